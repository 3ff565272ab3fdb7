"""Mask quality flags: a mirrored scan, a liver in pieces, implausible volumes, unsure networks; and how they reach
`segment`'s summary and `run`'s result.json (mask_quality per sequence, warnings)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import SimpleITK as sitk

from CirrhosisStaging.evaluation.segmentation_stress import flipped_front_back, mirrored
from CirrhosisStaging.io import write_image
from CirrhosisStaging.phantom import make_case
from CirrhosisStaging.segmentation.labels import LIVER
from CirrhosisStaging.segmentation.quality import MaskEvidence, assess_liver_mask


@pytest.fixture(scope="module")
def phantom():
    case = make_case(1, 77, "t2", size_scale=0.7)
    return case.image, sitk.GetArrayFromImage(case.organ_labels)


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "CirrhosisStaging.cli.main", *map(str, args)],
                          capture_output=True, text=True, encoding="utf-8")


def test_a_true_liver_is_ok_and_the_mirrored_scan_is_flagged(phantom):
    image, labels = phantom
    quality = assess_liver_mask(labels, image)
    assert quality["status"] == "ok" and quality["reasons"] == [] and quality["left_share"] < 0.3
    flipped, flipped_labels = mirrored(image, labels, None)
    assert flipped.GetDirection() == image.GetDirection() and flipped.GetOrigin() == image.GetOrigin()
    quality = assess_liver_mask(flipped_labels, flipped)
    assert quality["status"] == "check" and "patient's left" in quality["reasons"][0]


def test_the_side_comes_from_the_header_not_the_array(phantom):
    """The same voxels with an x-flipped direction (and origin moved to match) are the same anatomy: still ok."""
    image, labels = phantom
    flipped = sitk.Flip(image, [True, False, False])   # resamples voxels and header together: same patient
    quality = assess_liver_mask(np.flip(labels, axis=2).copy(), flipped)
    assert quality["status"] == "ok", quality["reasons"]


def test_pieces_volume_and_confidence_reasons(phantom):
    image, labels = phantom
    evidence = MaskEvidence(piece_volumes_ml=[1400.0, 300.0], member_dice=[0.95, 0.7], uncertain_share=0.5)
    reasons = " | ".join(assess_liver_mask(labels, image, evidence)["reasons"])
    assert "several large pieces" in reasons and "networks disagree" in reasons and "50 % liver probability" in reasons
    small = np.zeros_like(labels)
    small[labels.shape[0] // 2, 40:50, 40:50] = LIVER   # a few mL in the middle of the field of view
    assert "implausibly small" in " ".join(assess_liver_mask(small, image)["reasons"])
    cut = small.copy()
    cut[0, 40:80, 40:80] = LIVER                       # reaches the first slice: the field of view explains it
    assert not any("small" in r for r in assess_liver_mask(cut, image)["reasons"])
    assert assess_liver_mask(np.zeros_like(labels), image)["reasons"] == ["no liver was found"]
    one_small_piece = MaskEvidence(piece_volumes_ml=[1400.0, 20.0])
    assert assess_liver_mask(labels, image, one_small_piece)["status"] == "ok"


def test_a_whole_liver_without_spleen_or_kidneys_from_the_network_is_flagged(phantom):
    """The networks miss spleen and kidneys on a scan flipped front to back (the liver they still find): flagged for
    a model's mask, not for a user's liver-only mask, nor when the scan cuts the liver (they may lie outside it)."""
    image, labels = phantom
    liver_only = np.where(labels == LIVER, LIVER, 0).astype(labels.dtype)
    quality = assess_liver_mask(liver_only, image, MaskEvidence())
    assert quality["status"] == "check" and quality["spleen_kidneys_ml"] == 0.0
    assert any("spleen and kidneys were barely found" in reason for reason in quality["reasons"])
    assert assess_liver_mask(liver_only, image)["status"] == "ok"                 # a user's corrected mask
    assert assess_liver_mask(labels, image, MaskEvidence())["status"] == "ok"      # all four organs found
    cut = liver_only.copy()
    cut[0, 40:80, 40:80] = LIVER                                                   # reaches the first slice
    assert not any("spleen" in r for r in assess_liver_mask(cut, image, MaskEvidence())["reasons"])


def test_front_back_flip_moves_the_spine_forward_header_unchanged(phantom):
    image, labels = phantom
    flipped, flipped_labels = flipped_front_back(image, labels, None)
    assert flipped.GetDirection() == image.GetDirection() and flipped.GetOrigin() == image.GetOrigin()
    axis = 1   # the phantom is axial: array axis 1 runs front to back
    np.testing.assert_array_equal(flipped_labels, np.flip(labels, axis=axis))
    np.testing.assert_array_equal(sitk.GetArrayFromImage(flipped), np.flip(sitk.GetArrayFromImage(image), axis=axis))


def test_low_confidence_is_each_networks_own_doubt_not_two_sure_networks_a_few_voxels_apart(phantom):
    """Two sure networks whose livers lie 4 voxels apart (Dice 0.92 against their mean) average to 50 % along the whole
    boundary: more than 30 % of the liver, but that is their disagreement (judged by member Dice), not doubt. A
    network that is itself unsure is flagged, alone or beside a sure one."""
    from CirrhosisStaging.segmentation.inference import _uncertain_share, outputs_to_segmentation
    from CirrhosisStaging.segmentation.quality import MAX_UNCERTAIN_SHARE

    image, labels = phantom
    liver = labels == LIVER
    shifted = np.roll(liver, 4, axis=2)

    def network(mask, sure=0.97):   # a liver as given; kidneys and spleen where the phantom has them
        others = [np.where((labels == organ) & ~mask, 0.97, 0.0).astype(np.float32) for organ in (2, 3, 4)]
        organs = np.stack([np.where(mask, sure, 0.02).astype(np.float32)] + others)
        return np.concatenate([1.0 - organs.sum(axis=0, keepdims=True), organs]), image

    averaged = np.mean([np.where(mask, 0.97, 0.02) for mask in (liver, shifted)], axis=0)
    assert _uncertain_share(averaged) > MAX_UNCERTAIN_SHARE               # what the average alone would say
    ensemble, evidence = outputs_to_segmentation([network(liver), network(shifted)], image, None)
    quality = assess_liver_mask(sitk.GetArrayFromImage(ensemble), image, evidence)
    assert evidence.uncertain_share < 0.05 and min(evidence.member_dice) > 0.9
    assert quality["status"] == "ok", quality["reasons"]
    _, unsure = outputs_to_segmentation([network(liver), network(liver, 0.55)], image, None)
    assert unsure.uncertain_share == pytest.approx(0.5, abs=0.05)           # the mean of 0 and 1
    assert "50 % liver probability" in " ".join(assess_liver_mask(labels, image, unsure)["reasons"])


def test_a_volume_given_as_t2w_whose_spleen_is_darker_than_its_liver_is_flagged(phantom):
    """T1W contrast (the robustness suite's T1-like change) on a volume given as T2W: the T2W model is the wrong one.
    Read the same after any intensity scale or offset; not checked when the sequence is unknown or T1W."""
    from CirrhosisStaging.evaluation.segmentation_stress import t1_like

    image, labels = phantom
    quality = assess_liver_mask(labels, image, sequence="t2")
    assert quality["status"] == "ok" and quality["spleen_to_liver_signal"] > 1.5
    inverted, _ = t1_like(image, labels, np.random.default_rng(0))
    quality = assess_liver_mask(labels, inverted, sequence="t2")
    assert quality["status"] == "check" and quality["spleen_to_liver_signal"] < 1.0
    assert "T1-weighted" in " ".join(quality["reasons"])
    assert assess_liver_mask(labels, inverted * 3.0 + 500.0, sequence="t2")["spleen_to_liver_signal"] == pytest.approx(
        quality["spleen_to_liver_signal"], abs=2e-3)
    for sequence in (None, "t1"):
        assert assess_liver_mask(labels, inverted, sequence=sequence)["status"] == "ok"
    no_spleen = np.where(labels == 4, 0, labels)
    assert assess_liver_mask(no_spleen, inverted, sequence="t2")["status"] == "ok"


def test_segment_flags_a_mirrored_scan(tmp_path, phantom):
    image, labels = phantom
    flipped, _ = mirrored(image, labels, None)
    path = write_image(flipped, tmp_path / "mirrored.nii.gz")
    result = _cli("segment", path, "--out", tmp_path / "labels.nii.gz", "--device", "cpu")
    assert result.returncode == 0, result.stderr
    quality = json.loads(result.stdout)["quality"]
    assert quality["status"] == "check" and quality["reasons"], quality


def test_run_reports_mask_quality_and_warnings(tmp_path, phantom):
    """A corrected mask given to `run` is checked too: a mirrored pair staged with a warning, and the report has it."""
    image, labels = phantom
    flipped, flipped_labels = mirrored(image, labels, None)
    t2 = write_image(flipped, tmp_path / "t2.nii.gz")
    mask = tmp_path / "mask.nii.gz"
    write_image(sitk.GetImageFromArray(flipped_labels.astype(np.uint8)), mask)
    reference = sitk.ReadImage(str(mask))
    reference.CopyInformation(flipped)
    write_image(reference, mask)
    result = _cli("run", "--t2", t2, "--t2-mask", mask, "--out", tmp_path / "case", "--device", "cpu")
    assert result.returncode == 0, result.stderr
    saved = json.loads((tmp_path / "case" / "result.json").read_text())
    assert saved["sequences"]["t2"]["mask_quality"]["status"] == "check"
    assert [w["code"] for w in saved["warnings"]] == ["mask_check"] and saved["warnings"][0]["sequence"] == "t2"
    assert saved["warnings"][0]["message"].startswith("check the liver mask: the liver lies mostly on the patient's left")
