"""`simulate` on small synthetic labelled volumes in the CHAOS layout (never the shared data): the release it
writes, determinism for a seed, labels that still cover the moved liver, effects that grow with stage."""

from __future__ import annotations

import csv
import subprocess
import sys

import numpy as np
import pytest
import SimpleITK as sitk

from CirrhosisStaging.data import CirrMRIDataset
from CirrhosisStaging.io import read_image, read_mask, write_image
from CirrhosisStaging.staging.training.cases import healthy_splits, staged_patients

LIVER_SIGNAL, BODY_SIGNAL, SPLEEN_SIGNAL, FLUID_SIGNAL = 250.0, 100.0, 170.0, 700.0


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "CirrhosisStaging.cli.main", *map(str, args)],
                          capture_output=True, text=True, encoding="utf-8")


def _subject(seed: int):
    """Abdomen-like labelled volume (LPS, patient's right at low x): liver right, spleen left, two kidneys, and a
    small bright fluid-filled structure (as a gallbladder or spinal canal makes T2W's brightest percent)."""
    rng = np.random.default_rng(seed)
    shape = (36, 80, 96)
    spacing = np.array([5.0, 3.5, 3.5])   # z, y, x mm
    z, y, x = (np.indices(shape) - (np.array(shape) / 2)[:, None, None, None]) * spacing[:, None, None, None]
    body = (x / 160) ** 2 + (y / 120) ** 2 < 1
    stretch = rng.uniform(0.9, 1.1)
    liver = ((x + 55) / (70 * stretch)) ** 2 + ((y + 5) / 60) ** 2 + (z / 65) ** 2 < 1
    liver |= ((x - 15) / 45) ** 2 + ((y + 35) / 25) ** 2 + ((z - 10) / 40) ** 2 < 1   # left lobe
    spleen = ((x - 95) / 30) ** 2 + ((y - 25) / 40) ** 2 + ((z - 5) / 45) ** 2 < 1
    right_kidney = ((x + 60) / 22) ** 2 + ((y - 65) / 22) ** 2 + ((z + 35) / 40) ** 2 < 1
    left_kidney = ((x - 65) / 22) ** 2 + ((y - 70) / 22) ** 2 + ((z + 40) / 40) ** 2 < 1
    fluid = ((x + 5) / 20) ** 2 + ((y - 80) / 20) ** 2 < 1
    labels = np.zeros(shape, np.uint8)
    for value, region in ((1, liver), (2, right_kidney), (3, left_kidney), (4, spleen & ~liver)):
        labels[region & body] = value
    array = BODY_SIGNAL * body + rng.normal(0, 6, shape)
    array[labels == 1] = LIVER_SIGNAL + rng.normal(0, 6, int((labels == 1).sum()))
    array[labels == 4] = SPLEEN_SIGNAL + rng.normal(0, 6, int((labels == 4).sum()))
    array[(labels == 2) | (labels == 3)] = 140.0
    array[fluid & body & (labels == 0)] = FLUID_SIGNAL
    image = sitk.GetImageFromArray(array.astype(np.float32))
    image.SetSpacing(tuple(spacing[::-1]))
    image.SetOrigin((-170.0, -140.0, -90.0))
    label_image = sitk.GetImageFromArray(labels)
    label_image.CopyInformation(image)
    return image, label_image


@pytest.fixture(scope="module")
def chaos(tmp_path_factory):
    folder = tmp_path_factory.mktemp("chaos")
    for number in (3, 8, 21):
        image, labels = _subject(number)
        write_image(image, folder / f"image_{number}.nii.gz")
        write_image(labels, folder / f"label_{number}.nii.gz")
    return folder


@pytest.fixture(scope="module")
def release(chaos, tmp_path_factory):
    out = tmp_path_factory.mktemp("sim") / "release"
    done = _cli("simulate", "--chaos", chaos, "--out", out, "--seed", 5, "--preview", out.parent / "preview.png")
    assert done.returncode == 0, done.stderr
    return out


def _truth(release):
    with open(release / "Simulation_truth.csv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_release_layout_stages_and_splits_by_subject(release):
    dataset = CirrMRIDataset(release)
    assert sorted(p.patient_id for p in dataset.patients(split="healthy")) == ["21", "3", "8"]
    patients = dataset.patients()
    assert len(patients) == 9 and sorted(p.stage for p in patients) == [1, 1, 1, 2, 2, 2, 3, 3, 3]
    splits = healthy_splits(release, ["3", "8", "21"])
    for patient in patients:
        subject = str(int(patient.patient_id) % 10000)
        assert patient.split == splits[subject]   # the original and its stages: one split
    staged = staged_patients(release, "all")
    assert len(staged) == 12 and sum(p.is_healthy for p in staged) == 3
    truth = _truth(release)
    assert len(truth) == 9 and {"nodularity_mm", "right_lobe_scale", "caudate_scale", "spleen_volume_ml",
                                 "ascites_mm", "septa_strength", "t2_iron_darkening", "after_liver_volume_ml",
                                 "after_spleen_volume_ml", "ascites_volume_ml", "seed"} <= set(truth[0])
    assert (release.parent / "preview.png").read_bytes()[:4] == b"\x89PNG"


def test_simulated_labels_cover_the_simulated_liver(release):
    """The liver label moved with the image: a mask re-derived from the simulated image's liver signal (what the
    simulated scan shows) agrees with it, and better than with the original, unmoved liver label."""
    from scipy import ndimage

    for row in _truth(release):
        name = f"{row['patient_id']}.nii.gz"
        image = sitk.GetArrayFromImage(read_image(next(release.glob(f"Cirrhosis_T2_3D/*_images/{name}"))))
        labels = sitk.GetArrayFromImage(read_mask(release / "Phantom_organs" / "T2" / name))
        original = sitk.GetArrayFromImage(read_mask(release / "Phantom_organs" / "T2" / f"{row['subject_id']}.nii.gz"))
        smoothed = ndimage.median_filter(image, size=3)
        derived = (smoothed > (LIVER_SIGNAL + SPLEEN_SIGNAL) / 2 - 30) & (smoothed < (LIVER_SIGNAL + FLUID_SIGNAL) / 2)
        # voxels part fluid, part fat (ascites on thick voxels) pass the threshold too: left out, with the spleen
        derived &= ~ndimage.binary_dilation((smoothed > (LIVER_SIGNAL + FLUID_SIGNAL) / 2) | (labels == 4))
        derived = ndimage.binary_opening(derived, iterations=1)
        pieces, count = ndimage.label(derived)
        derived = pieces == 1 + int(np.argmax(ndimage.sum_labels(derived, pieces, range(1, count + 1))))
        liver, unmoved = labels == 1, original == 1
        dice = 2 * (derived & liver).sum() / (derived.sum() + liver.sum())
        dice_unmoved = 2 * (derived & unmoved).sum() / (derived.sum() + unmoved.sum())
        assert dice > 0.85, (row["patient_id"], dice, dice_unmoved)
        if row["stage"] == "3":
            assert dice > dice_unmoved + 0.03, (row["patient_id"], dice, dice_unmoved)


def test_effects_grow_with_stage(release):
    rows = _truth(release)
    for subject in ("3", "8", "21"):
        by_stage = {int(r["stage"]): r for r in rows if r["subject_id"] == subject}
        spleen = [float(by_stage[s]["after_spleen_volume_ml"]) for s in (1, 2, 3)]
        nodularity = [float(by_stage[s]["nodularity_mm"]) for s in (1, 2, 3)]
        assert spleen == sorted(spleen) and spleen[-1] > float(by_stage[1]["before_spleen_volume_ml"])
        assert nodularity == sorted(nodularity) and nodularity[0] > 0
    original = sitk.GetArrayFromImage(read_image(release / "Healthy_subjects/T2_W_Healthy/T2_images/8.nii.gz"))
    severe = sitk.GetArrayFromImage(read_image(next(release.glob("Cirrhosis_T2_3D/*_images/30008.nii.gz"))))
    assert original.shape == severe.shape and not np.allclose(original, severe)


def test_same_seed_same_release_other_seed_other(chaos, release, tmp_path):
    again = tmp_path / "again"
    assert _cli("simulate", "--chaos", chaos, "--out", again, "--seed", 5, "--stages", "2").returncode == 0
    other = tmp_path / "other"
    assert _cli("simulate", "--chaos", chaos, "--out", other, "--seed", 6, "--stages", "2").returncode == 0
    name = "Cirrhosis_T2_3D/{}_images/20008.nii.gz"
    first = next(release.glob(name.format("*")))
    repeat, different = next(again.glob(name.format("*"))), next(other.glob(name.format("*")))
    np.testing.assert_array_equal(sitk.GetArrayFromImage(read_image(first)), sitk.GetArrayFromImage(read_image(repeat)))
    assert not np.array_equal(sitk.GetArrayFromImage(read_image(first)), sitk.GetArrayFromImage(read_image(different)))


def test_t1_input_and_bad_input(chaos, tmp_path):
    out = tmp_path / "t1"
    assert _cli("simulate", "--chaos", chaos, "--sequence", "t1", "--out", out, "--stages", "3").returncode == 0
    assert len(list(out.glob("Cirrhosis_T1_3D/*_images/*.nii.gz"))) == 3
    original = sitk.GetArrayFromImage(read_image(out / "Healthy_subjects/T1_W_Healthy/T1_images/3.nii.gz"))
    severe_path = next(out.glob("Cirrhosis_T1_3D/*_images/30003.nii.gz"))
    severe, labels = sitk.GetArrayFromImage(read_image(severe_path)), sitk.GetArrayFromImage(
        read_mask(out / "Phantom_organs/T1/30003.nii.gz"))
    # T1W: fibrotic septa darker than the parenchyma around them, no bright fluid (ascites is dark on T1W)
    assert np.percentile(severe[labels == 1], 5) < np.percentile(original[original > 200], 5)
    assert severe.max() <= original.max() + 1
    bad = _cli("simulate", "--chaos", tmp_path / "nothing", "--out", tmp_path / "never")
    assert bad.returncode == 2 and bad.stderr.startswith("error: ") and not (tmp_path / "never").exists()
    bad = _cli("simulate", "--chaos", chaos, "--out", tmp_path / "never", "--stages", "4")
    assert bad.returncode == 2 and "--stages" in bad.stderr


def test_a_release_healthy_subjects_as_source(release, tmp_path):
    """--release: a CirrMRI600+ release's healthy subjects (liver masks only: no spleen to enlarge)."""
    out = tmp_path / "from_release"
    done = _cli("simulate", "--release", release, "--out", out, "--stages", "2", "--seed", 9)
    assert done.returncode == 0, done.stderr
    patients = CirrMRIDataset(out).patients()
    assert sorted(p.patient_id for p in patients) == ["20003", "20008", "20021"] and {p.stage for p in patients} == {2}
    rows = _truth(out)
    assert all(float(r["after_spleen_volume_ml"]) == 0.0 for r in rows)
