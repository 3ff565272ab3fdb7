"""CirrMRI600+ reader on small fake release trees (8x8x8 volumes; only paths and CSVs matter here)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk

from CirrhosisStaging.data import STAGE_HEALTHY, CirrMRIDataset
from CirrhosisStaging.errors import InputError


def write_volume(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    sitk.WriteImage(sitk.GetImageFromArray(np.zeros((8, 8, 8), np.uint8)), str(path))
    return path


def write_png(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    sitk.WriteImage(sitk.GetImageFromArray(np.zeros((8, 8), np.uint8)), str(path))
    return path


def write_csv(path: Path, text: str, bom: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


# sequence folder -> split -> (image file names, mask file names)
LAYOUT = {
    "Cirrhosis_T1_3D": {
        "train": (["1.nii.gz", "2.nii.gz", "0003.nii"], ["1.nii.gz", "2.nii.gz"]),  # 3: T1 only, .nii, no mask
        "valid": (["4.nii.gz"], ["4.nii.gz"]),
        "test": (["5.nii.gz"], ["5.nii.gz"]),
    },
    "Cirrhosis_T2_3D": {
        "train": (["1.nii.gz", "2.nii.gz", "6.nii.gz"], ["1.nii.gz", "2.nii.gz", "6_mask.nii.gz"]),  # 6: T2 only
        "valid": (["4.nii.gz"], ["4.nii.gz"]),
        "test": (["5.nii.gz", "7.nii.gz"], ["5.nii.gz", "7.nii.gz"]),
    },
}


def make_release(root: Path) -> Path:
    for sequence_folder, splits in LAYOUT.items():
        for split, (images, masks) in splits.items():
            for name in images:
                write_volume(root / sequence_folder / f"{split}_images" / name)
            for name in masks:
                write_volume(root / sequence_folder / f"{split}_masks" / name)
    for tag, ids in (("T1", ["1", "2"]), ("T2", ["1"])):
        for patient_id in ids:
            write_volume(root / "Healthy_subjects" / f"{tag}_W_Healthy" / f"{tag}_images" / f"{patient_id}.nii.gz")
            write_volume(root / "Healthy_subjects" / f"{tag}_W_Healthy" / f"{tag}_masks" / f"{patient_id}.nii.gz")
    for name in ("slice_1.png", "slice_2.png", "slice_10.png"):
        write_png(root / "Cirrhosis_T2_2D" / "train" / "1" / "images" / name)
    for name in ("slice_1.png", "slice_2.png"):  # slice_10 has no mask
        write_png(root / "Cirrhosis_T2_2D" / "train" / "1" / "masks" / name)
    write_png(root / "Cirrhosis_T2_2D" / "test" / "5" / "images" / "slice_1.png")

    metadata = root / "Metadata"
    write_csv(metadata / "T1_age_gender_evaluation.csv", bom=True, text=(
        "Patient ID,Age,Gender,Radiological Evaluation\n1,61,M,1\n2,55,F,2\n3,70,Male,3\n4,48,F,1\n5,66,M,2\n"))
    # Header spelling variants, zero-padded and float ids, an empty stage.
    write_csv(metadata / "T2_age_gender_evaluation.csv", text=(
        " patient_ID ,AGE,sex,radiological_evaluation\n006,59,female,3\n7.0,40,M,\n"))
    write_csv(metadata / "T1&T2_Paired_age_gender_evaluation.csv", text=(
        "Patient  ID,Age,Gender,Radiological Evaluation\n1,61,M,1\n2,55,F,2\n99,50,M,1\n"))
    write_csv(metadata / "Healthy_subjects_age_gender.csv", text="Patient ID,Age,Gender\n1,30,F\n2,35,M\n")
    return root


@pytest.fixture
def release(tmp_path) -> Path:
    return make_release(tmp_path / "CirrMRI600+")


def test_every_split_is_read(release):
    dataset = CirrMRIDataset(release)
    assert [p.patient_id for p in dataset.patients("train")] == ["1", "2", "3", "6"]
    assert [p.patient_id for p in dataset.patients("valid")] == ["4"]
    assert [p.patient_id for p in dataset.patients("test")] == ["5", "7"]
    assert len(dataset) == 7
    assert [s.patient_id for s in dataset.series("t1", "train")] == ["1", "2", "3"]
    assert [s.patient_id for s in dataset.series("t2")] == ["1", "2", "4", "5", "6", "7"]  # id order, across splits


def test_t1_and_t2_are_paired_by_patient_id(release):
    patient = CirrMRIDataset(release).patient("0001")
    assert patient.paired and patient.sequences == ("t1", "t2")
    assert patient.t1.image == release / "Cirrhosis_T1_3D" / "train_images" / "1.nii.gz"
    assert patient.t2.mask == release / "Cirrhosis_T2_3D" / "train_masks" / "1.nii.gz"
    assert (patient.t1.sequence, patient.t2.sequence, patient.t1.split) == ("t1", "t2", "train")


def test_single_sequence_patients(release):
    dataset = CirrMRIDataset(release)
    t1_only, t2_only = dataset.patient(3), dataset.patient("6")
    assert t1_only.sequences == ("t1",) and t1_only.t2 is None
    assert t2_only.sequences == ("t2",) and t2_only.t1 is None
    assert "3" not in [p.patient_id for p in dataset.patients(sequence="t2")]
    assert "6" in [p.patient_id for p in dataset.patients(sequence="t2")]


def test_nii_and_zero_padded_file_names(release):
    patient = CirrMRIDataset(release).patient("3")
    assert patient.t1.image.name == "0003.nii"
    assert patient.stage == 3  # the CSV says "3", the file "0003"


def test_stages_and_clinical_data_from_every_csv(release):
    dataset = CirrMRIDataset(release)
    stages = {p.patient_id: p.stage for p in dataset.patients()}
    assert stages == {"1": 1, "2": 2, "3": 3, "4": 1, "5": 2, "6": 3, "7": None}
    one = dataset.patient("1")  # from the CSV with a byte-order mark
    assert (one.age, one.gender, one.stage_name) == (61, "M", "mild")
    six = dataset.patient("6")  # from the CSV with variant headers and id "006"
    assert (six.age, six.gender, six.stage) == (59, "F", 3)
    assert dataset.patient("3").gender == "M"
    assert dataset.patient("7").stage_name == "unknown"


def test_healthy_subjects_are_kept_apart(release):
    dataset = CirrMRIDataset(release)
    assert all(not p.is_healthy for p in dataset.patients())
    healthy = dataset.patients("healthy")
    assert [(p.patient_id, p.stage, p.split) for p in healthy] == [("1", STAGE_HEALTHY, "healthy"), ("2", 0, "healthy")]
    assert healthy[0].paired and healthy[1].sequences == ("t1",)
    assert (healthy[0].age, healthy[0].gender) == (30, "F")  # the healthy CSV, not cirrhosis patient 1's row
    assert len(dataset.patients(include_healthy=True)) == 9
    assert {p.key for p in dataset.patients(include_healthy=True)} >= {"1", "healthy-1"}
    assert dataset.patient("1", healthy=True).t1.split == "healthy"
    assert [s.patient_id for s in dataset.series("t2", "healthy")] == ["1"]


def test_missing_mask_is_listed_as_none_or_raises_when_required(release):
    patient = CirrMRIDataset(release).patient("3")
    assert patient.t1.mask is None
    assert CirrMRIDataset(release).patient("6").t2.mask.name == "6_mask.nii.gz"
    with pytest.raises(InputError, match="no mask for patient 3") as error:
        CirrMRIDataset(release, require_masks=True)
    assert error.value.path.endswith("0003.nii")


def test_patient_in_two_splits_is_a_leak_error(release):
    write_volume(release / "Cirrhosis_T2_3D" / "test_images" / "3.nii.gz")  # T1 of 3 is in train
    with pytest.raises(InputError, match="patient 3 is in the train split here but in the test split") as error:
        CirrMRIDataset(release)
    assert error.value.path.endswith("0003.nii") and "test_images/3.nii.gz" in str(error.value)


def test_2d_folder_in_another_split_is_a_leak_error(release):
    write_png(release / "Cirrhosis_T2_2D" / "valid" / "2" / "images" / "slice_1.png")
    with pytest.raises(InputError, match="patient 2 is in the train split"):
        CirrMRIDataset(release)


def test_conflicting_stages_name_both_csvs(release):
    write_csv(release / "Metadata" / "T1&T2_Paired_age_gender_evaluation.csv",
              "Patient ID,Age,Gender,Radiological Evaluation\n2,55,F,3\n")
    with pytest.raises(InputError, match="patient 2 has Radiological Evaluation") as error:
        CirrMRIDataset(release)
    message = str(error.value)
    assert "T1&T2_Paired_age_gender_evaluation.csv" in message and "T1_age_gender_evaluation.csv" in message


def test_invalid_stage_value_is_an_error(release):
    write_csv(release / "Metadata" / "extra.csv", "Patient ID,Radiological Evaluation\n4,5\n")
    with pytest.raises(InputError, match="'5' is not 1 \\(mild\\)"):
        CirrMRIDataset(release)


def test_two_files_for_one_patient_is_an_error(release):
    write_volume(release / "Cirrhosis_T1_3D" / "train_images" / "3.nii.gz")  # beside 0003.nii
    with pytest.raises(InputError, match="same patient \\(3\\)"):
        CirrMRIDataset(release)


def test_not_a_release_folder(tmp_path):
    (tmp_path / "something").mkdir()
    with pytest.raises(InputError, match="not a CirrMRI600\\+ release folder") as error:
        CirrMRIDataset(tmp_path)
    assert error.value.path == str(tmp_path)
    with pytest.raises(InputError, match="no such folder"):
        CirrMRIDataset(tmp_path / "missing")


def test_release_unpacked_one_folder_down(release):
    assert CirrMRIDataset(release.parent).root == release


def test_t2_only_release_without_metadata(tmp_path):
    write_volume(tmp_path / "Cirrhosis_T2_3D" / "train_images" / "1.nii")
    dataset = CirrMRIDataset(tmp_path)
    assert dataset.patient(1).stage is None and dataset.patient(1).t2.mask is None
    assert any("no Metadata folder" in warning for warning in dataset.warnings)


def test_2d_slices_in_natural_order_with_masks(release):
    dataset = CirrMRIDataset(release)
    slices = dataset.slices_2d("1")
    assert [s.image.name for s in slices] == ["slice_1.png", "slice_2.png", "slice_10.png"]
    assert [s.mask.name if s.mask else None for s in slices] == ["slice_1.png", "slice_2.png", None]
    assert [s.index for s in slices] == [0, 1, 2] and {s.split for s in slices} == {"train"}
    assert dataset.slices_2d("4") == []
    assert dataset.slice_patients() == ["1", "5"] and dataset.slice_patients("test") == ["5"]


def test_summary_counts(release):
    summary = CirrMRIDataset(release).summary()
    assert summary["patients"] == {"train": 4, "valid": 1, "test": 2}
    assert summary["series"] == {"t1": {"train": 3, "valid": 1, "test": 1}, "t2": {"train": 3, "valid": 1, "test": 2}}
    assert summary["stages"]["train"] == {"mild": 1, "moderate": 1, "severe": 2, "unknown": 0}
    assert summary["stages"]["test"] == {"mild": 0, "moderate": 1, "severe": 0, "unknown": 1}
    assert (summary["paired"], summary["t1_only"], summary["t2_only"]) == (4, 1, 2)
    assert summary["healthy"] == {"subjects": 2, "t1": 2, "t2": 1}
    assert summary["missing_masks"] == 1
    assert summary["slices_2d_patients"] == {"train": 1, "valid": 0, "test": 1}
    assert summary["metadata_without_images"] == 1  # patient 99 of the paired CSV


def test_bad_arguments_are_value_errors(release):
    dataset = CirrMRIDataset(release)
    with pytest.raises(ValueError, match="split must be one of"):
        dataset.patients("validation")
    with pytest.raises(ValueError, match="sequence must be one of"):
        dataset.series("flair")
    with pytest.raises(InputError, match="no cirrhosis patient with id '42'"):
        dataset.patient("42")


def test_folder_names_are_matched_case_insensitively(release, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(release, copy)
    (copy / "Cirrhosis_T1_3D").rename(copy / "cirrhosis_t1_3d")
    (copy / "cirrhosis_t1_3d" / "train_images").rename(copy / "cirrhosis_t1_3d" / "Train_Images")
    assert CirrMRIDataset(copy).summary()["series"] == CirrMRIDataset(release).summary()["series"]


def test_semicolon_windows_csv_and_unrelated_csv(release):
    (release / "Metadata" / "T1_age_gender_evaluation.csv").write_bytes(
        "Patient ID;Age;Gender;Radiological Evaluation;Commentaire élargi\r\n4;48;F;mild;é\r\n".encode("cp1252"))
    write_csv(release / "Metadata" / "scanner_settings.csv", "Field strength,Vendor\n1.5,X\n")
    dataset = CirrMRIDataset(release)
    assert (dataset.patient("4").stage, dataset.patient("4").age) == (1, 48)
    assert dataset.patient("5").stage is None  # its only row was in the replaced file
    assert any("scanner_settings.csv: no patient id column" in warning for warning in dataset.warnings)
