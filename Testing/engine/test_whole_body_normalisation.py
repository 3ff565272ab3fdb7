"""The "robust-body" normalisation: statistics over the whole body (air against tissue, on log intensities), which a
dark liver or a bright stomach cannot shrink, unlike the Otsu split that the "robust" form takes them from."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk

from CirrhosisStaging.evaluation.segmentation_stress import STRESS_CHANGES
from CirrhosisStaging.preprocessing.intensity import (body_mask, body_region, normalize_intensity,
                                                      robust_zscore_in_region, whole_body_mask)
from CirrhosisStaging.segmentation.labels import LIVER
from CirrhosisStaging.segmentation.training.volumes import cached_volume

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "round_volume_cache.py"


def fat_suppressed_abdomen(seed: int = 0) -> tuple[sitk.Image, np.ndarray]:
    """A T2-SPIR-like slab: noisy air, a large body of dark (fat-suppressed) tissue, a medium-grey liver with bright
    vessels, a bright spleen. Returns the image and its labels (1 liver, 4 spleen)."""
    rng = np.random.default_rng(seed)
    z, y, x = np.meshgrid(np.linspace(-1, 1, 12), np.linspace(-1, 1, 64), np.linspace(-1, 1, 64), indexing="ij")
    body = (x / 0.92) ** 2 + (y / 0.75) ** 2 < 1
    liver = ((x + 0.35) / 0.4) ** 2 + (y / 0.45) ** 2 < 1
    spleen = ((x - 0.5) / 0.15) ** 2 + ((y - 0.1) / 0.25) ** 2 < 1
    vessels = liver & (np.abs(np.sin(9 * x + 3 * y)) > 0.93)
    array = (8.0 + 60.0 * body + 240.0 * liver + 260.0 * vessels + 320.0 * spleen
             + rng.normal(0.0, 4.0, body.shape)).clip(0)
    labels = (LIVER * liver + 4 * spleen).astype(np.uint8)
    image = sitk.GetImageFromArray(array.astype(np.float32))
    image.SetSpacing((5.0, 5.0, 8.0))
    return image, labels


def _body_share(mask: np.ndarray) -> float:
    return float(mask.mean())


def test_the_whole_body_is_found_where_otsu_keeps_only_the_bright_organs():
    image, labels = fat_suppressed_abdomen()
    z, y, x = np.meshgrid(np.linspace(-1, 1, 12), np.linspace(-1, 1, 64), np.linspace(-1, 1, 64), indexing="ij")
    truth = (x / 0.92) ** 2 + (y / 0.75) ** 2 < 1
    whole, otsu = whole_body_mask(image), body_mask(image)
    inner = np.s_[2:-2]   # both masks leave out the first and last two slices (intensity._largest_filled)
    assert not whole[:2].any() and not whole[-2:].any()
    truth, whole, otsu, labels = truth[inner], whole[inner], otsu[inner], labels[inner]
    assert np.mean(whole[truth]) > 0.97 and np.mean(whole[~truth]) < 0.03
    assert np.all(whole[labels > 0])
    # The failure the new form fixes: Otsu's split on this contrast leaves most of the dark body out.
    assert np.mean(otsu[truth & (labels == 0)]) < 0.5


@pytest.mark.parametrize("change", ["dark_liver_x0.3", "fluid_stomach_1500ml"])
def test_a_dark_liver_or_a_bright_stomach_leaves_the_whole_body_and_its_scale_in_place(change):
    image, labels = fat_suppressed_abdomen()
    changed, _ = STRESS_CHANGES[change](image, labels, np.random.default_rng(0))
    before, after = whole_body_mask(image), whole_body_mask(changed)
    assert abs(_body_share(after) / _body_share(before) - 1.0) < 0.02
    # Tissue outside the liver keeps its normalised values (within 0.15 units) however the liver or a stomach looks.
    outside = (labels == 0) & before & after
    normalised = [sitk.GetArrayFromImage(normalize_intensity(volume, method="robust-body")) for volume in (image, changed)]
    untouched = outside & (sitk.GetArrayFromImage(changed) == sitk.GetArrayFromImage(image))
    assert abs(float(np.median(normalised[1][untouched]) - np.median(normalised[0][untouched]))) < 0.15


def test_the_whole_body_mask_ignores_an_affine_rescaling_of_intensities():
    image, _ = fat_suppressed_abdomen(seed=1)
    rescaled = sitk.Cast(image, sitk.sitkFloat32) * 3.0 + 500.0
    assert np.mean(whole_body_mask(image) == whole_body_mask(rescaled)) > 0.999


def test_robust_body_normalises_over_the_whole_body_and_unknown_names_fail():
    image, _ = fat_suppressed_abdomen(seed=2)
    array = sitk.GetArrayFromImage(image).astype(np.float32)
    expected = robust_zscore_in_region(array, whole_body_mask(image))
    assert np.allclose(sitk.GetArrayFromImage(normalize_intensity(image, method="robust-body")), expected)
    assert body_region("robust") is body_mask and body_region("robust-body") is whole_body_mask
    with pytest.raises(ValueError, match="intensity normalisation 'nope'"):
        body_region("nope")


def test_the_training_cache_keeps_the_region_its_normalisation_uses(tmp_path):
    from synthetic_volumes import write_training_items

    item = write_training_items(tmp_path, count=1)[0]
    volume = cached_volume(item, (8.0, 8.0, 8.0), 5, "robust-body", tmp_path / "cache")
    model_image = sitk.GetImageFromArray(volume.image)
    assert np.array_equal(volume.body.astype(bool), whole_body_mask(model_image))
    assert (tmp_path / "cache" / f"{item.name}-8x8x8-robust-body.npz").is_file()


def test_the_cache_rounding_script_moves_intensities_by_half_a_step_and_nothing_else(tmp_path):
    source = tmp_path / "cache"
    source.mkdir()
    rng = np.random.default_rng(0)
    image = rng.normal(0.0, 2.0, (3, 8, 8)).astype(np.float16)
    label, body = rng.integers(0, 5, (3, 8, 8)).astype(np.uint8), np.ones((3, 8, 8), np.uint8)
    np.savez_compressed(source / "toy-1-8x8x0-robust-body.npz", image=image, label=label, body=body,
                        labelled=np.ones(5, bool))
    done = subprocess.run([sys.executable, str(SCRIPT), str(source), str(tmp_path / "rounded"), "--step", "0.05"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    with np.load(tmp_path / "rounded" / "toy-1-8x8x0-robust-body.npz") as rounded:
        error = np.abs(rounded["image"].astype(np.float32) - image.astype(np.float32))
        assert rounded["image"].dtype == np.float16 and error.max() <= 0.025 + 0.01 and error.max() > 0
        steps = rounded["image"].astype(np.float32) / 0.05
        assert np.allclose(steps, np.round(steps), atol=0.05)
        assert np.array_equal(rounded["label"], label) and np.array_equal(rounded["body"], body)
    empty = subprocess.run([sys.executable, str(SCRIPT), str(tmp_path / "rounded" / "none"), str(tmp_path / "x")],
                           capture_output=True, text=True)
    assert empty.returncode == 2 and "holds no prepared volumes" in empty.stderr and len(empty.stderr.splitlines()) == 1
    same = subprocess.run([sys.executable, str(SCRIPT), str(source), str(source)], capture_output=True, text=True)
    assert same.returncode == 2 and "another folder" in same.stderr
