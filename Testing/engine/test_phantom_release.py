"""Phantom release: CirrMRI600+ layout, metadata CSVs, determinism, atomic output."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk

from CirrhosisStaging.errors import InputError
from CirrhosisStaging.io.geometry import Grid
from CirrhosisStaging.phantom import release_writer, write_release
from CirrhosisStaging.phantom.cohort import plan_cohort
from CirrhosisStaging.phantom.generator import _patient_truth, patient_anatomy

HEADER = ["Patient ID", "Age", "Gender", "Radiological Evaluation"]
PAIRED = "T1&T2_Paired_age_gender_evaluation.csv"
OPTIONS = dict(cases=5, seed=4, healthy=1, size_scale=0.3, progress=False)


def _clear_caches():
    patient_anatomy.cache_clear()
    _patient_truth.cache_clear()


def _read_csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def _digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    _clear_caches()
    return write_release(tmp_path_factory.mktemp("phantom") / "CirrMRI600+", **OPTIONS)


def test_layout_and_masks_on_image_grids(release):
    ids = {}
    for sequence in ("T1", "T2"):
        top = release / f"Cirrhosis_{sequence}_3D"
        ids[sequence] = {}
        for split in ("train", "valid", "test"):
            images = sorted(p.name for p in (top / f"{split}_images").glob("*.nii.gz"))
            masks = sorted(p.name for p in (top / f"{split}_masks").glob("*.nii.gz"))
            assert images == masks
            ids[sequence].update({name.removesuffix(".nii.gz"): split for name in images})
            for name in images:
                image = sitk.ReadImage(str(top / f"{split}_images" / name))
                mask = sitk.ReadImage(str(top / f"{split}_masks" / name))
                assert image.GetPixelID() == sitk.sitkFloat32 and mask.GetPixelID() == sitk.sitkUInt8
                assert Grid.of(mask).matches(Grid.of(image))
                assert set(np.unique(sitk.GetArrayFromImage(mask))) <= {0, 1}
                organs = sitk.ReadImage(str(release / "Phantom_organs" / sequence / name))
                assert Grid.of(organs).matches(Grid.of(image))
    assert all(pid.isdigit() for pid in ids["T1"] | ids["T2"])
    # a patient is in the same split for both sequences; every split is used
    for pid in set(ids["T1"]) & set(ids["T2"]):
        assert ids["T1"][pid] == ids["T2"][pid]
    assert set(ids["T1"].values()) | set(ids["T2"].values()) == {"train", "valid", "test"}
    assert len(set(ids["T1"]) ^ set(ids["T2"])) == 1  # round(5 * 48 / 339) patient has only one series

    healthy = release / "Healthy_subjects"
    for sequence in ("T1", "T2"):
        folder = healthy / f"{sequence}_W_Healthy"
        images = sorted(p.name for p in (folder / f"{sequence}_images").glob("*.nii.gz"))
        assert images == sorted(p.name for p in (folder / f"{sequence}_masks").glob("*.nii.gz")) and len(images) == 1
        assert images[0].removesuffix(".nii.gz") not in ids["T1"] | ids["T2"]

    for pid, split in ids["T2"].items():
        folder = release / "Cirrhosis_T2_2D" / split / pid
        slices = sitk.ReadImage(str(release / "Cirrhosis_T2_3D" / f"{split}_images" / f"{pid}.nii.gz")).GetSize()[2]
        assert len(list((folder / "images").glob("*.png"))) == slices == len(list((folder / "masks").glob("*.png")))
        png = sitk.ReadImage(str(folder / "masks" / "0.png"))
        assert png.GetPixelID() == sitk.sitkUInt8
        assert set(np.unique(sitk.GetArrayFromImage(png))) <= {0, 255}


def test_metadata_csvs(release):
    folder = release / "Metadata"
    paired_bytes = (folder / PAIRED).read_bytes()
    assert paired_bytes.startswith(b"\xef\xbb\xbf")
    for name in ("T1_age_gender_evaluation.csv", "T2_age_gender_evaluation.csv"):
        assert not (folder / name).read_bytes().startswith(b"\xef\xbb\xbf")
    tables = {}
    for name in ("T1", "T2"):
        path = folder / f"{name}_age_gender_evaluation.csv"
        with open(path, newline="", encoding="utf-8") as handle:
            assert next(csv.reader(handle)) == HEADER
        tables[name] = {row["Patient ID"]: row for row in _read_csv(path)}
        on_disk = {p.name.removesuffix(".nii.gz") for p in (release / f"Cirrhosis_{name}_3D").glob("*_images/*.nii.gz")}
        assert set(tables[name]) == on_disk
    with open(folder / PAIRED, newline="", encoding="utf-8-sig") as handle:
        assert next(csv.reader(handle)) == HEADER
    paired = {row["Patient ID"] for row in _read_csv(folder / PAIRED)}
    assert paired == set(tables["T1"]) & set(tables["T2"])
    for row in [*tables["T1"].values(), *tables["T2"].values()]:
        assert row["Radiological Evaluation"] in {"1", "2", "3"} and row["Gender"] in {"M", "F"}
        assert 18 <= int(row["Age"]) <= 90

    truth = _read_csv(release / "Phantom_truth.csv")
    assert len(truth) == OPTIONS["cases"] + OPTIONS["healthy"]
    for row in truth:
        stage = int(row["stage"])
        assert (row["group"] == "healthy") == (stage == 0)
        if stage:
            evaluation = (tables["T1"].get(row["patient_id"]) or tables["T2"][row["patient_id"]])
            assert int(evaluation["Radiological Evaluation"]) == stage
        assert float(row["liver_volume_ml"]) > 500 and float(row["spleen_volume_ml"]) > 100


def test_release_is_deterministic(release, tmp_path):
    _clear_caches()
    again = write_release(tmp_path / "again", **OPTIONS)
    assert _digest(again) == _digest(release)


def test_release_appears_atomically(tmp_path, monkeypatch):
    target = tmp_path / "release"
    calls = []

    def failing_make_case(*args, **kwargs):
        calls.append(args)
        if len(calls) == 3:
            raise RuntimeError("simulated crash")
        return real_make_case(*args, **kwargs)

    real_make_case = release_writer.make_case
    monkeypatch.setattr(release_writer, "make_case", failing_make_case)
    with pytest.raises(RuntimeError, match="simulated crash"):
        write_release(target, cases=3, seed=1, healthy=0, size_scale=0.25, with_2d=False, progress=False)
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []  # no half-written temporary tree left behind either

    monkeypatch.setattr(release_writer, "make_case", real_make_case)
    write_release(target, cases=1, seed=1, healthy=0, size_scale=0.25, with_2d=False, progress=False)
    with pytest.raises(InputError, match="already exists"):
        write_release(target, cases=1, seed=1, healthy=0, size_scale=0.25, with_2d=False, progress=False)


def test_cohort_plan_is_balanced_and_split_by_patient():
    plans = plan_cohort(30, seed=9, healthy=3)
    patients = [p for p in plans if not p.healthy]
    stages = [p.stage for p in patients]
    assert sorted(set(stages)) == [1, 2, 3] and max(stages.count(s) for s in (1, 2, 3)) == 10
    assert sum(p.has_t1 and p.has_t2 for p in patients) == 30 - round(30 * 48 / 339)
    assert all(p.has_t1 or p.has_t2 for p in patients)
    splits = [p.split for p in patients]
    assert splits.count("test") == splits.count("valid") == round(30 * 0.15)
    for split in ("train", "valid", "test"):
        assert len({p.stage for p in patients if p.split == split}) >= 2  # stratified
    ids = [p.patient_id for p in plans]
    assert len(set(ids)) == len(ids) and all(i.isdigit() for i in ids)
    assert len({p.seed for p in plans}) == len(plans)
    assert all(p.split is None and p.stage == 0 for p in plans if p.healthy)
    assert plan_cohort(30, seed=9, healthy=3) == plans
