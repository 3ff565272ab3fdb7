"""CHAOS T2-SPIR folder reader on a fake folder (tests never read /work/shared)."""

from __future__ import annotations

from pathlib import Path

import pytest

from CirrhosisStaging.data import LEFT_KIDNEY, LIVER, RIGHT_KIDNEY, SPLEEN, ChaosCase, list_chaos_cases
from CirrhosisStaging.errors import InputError


def touch(folder: Path, *names: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_bytes(b"")  # the reader lists files; it does not open them


def test_cases_sorted_by_integer_id(tmp_path):
    touch(tmp_path, "image_10.nii.gz", "label_10.nii.gz", "image_2.nii.gz", "label_2.nii.gz",
          "image_1.nii", "label_1.nii.gz", "README.md", "notes_3.nii.gz")
    cases = list_chaos_cases(tmp_path)
    assert [case.subject_id for case in cases] == ["1", "2", "10"]
    assert cases[0] == ChaosCase("1", tmp_path / "image_1.nii", tmp_path / "label_1.nii.gz")


def test_folder_without_pairs_is_an_error(tmp_path):
    touch(tmp_path, "README.md")
    with pytest.raises(InputError, match="no CHAOS image_<id>.nii.gz / label_<id>.nii.gz pairs"):
        list_chaos_cases(tmp_path)
    with pytest.raises(InputError, match="no such folder"):
        list_chaos_cases(tmp_path / "missing")


def test_image_without_label_is_an_error(tmp_path):
    touch(tmp_path, "image_1.nii.gz", "label_1.nii.gz", "image_5.nii.gz")
    with pytest.raises(InputError, match="no label_5.nii.gz beside this image") as error:
        list_chaos_cases(tmp_path)
    assert error.value.path == str(tmp_path / "image_5.nii.gz")


def test_label_without_image_and_duplicate_subjects_are_errors(tmp_path):
    touch(tmp_path, "image_1.nii.gz", "label_1.nii.gz", "label_4.nii.gz")
    with pytest.raises(InputError, match="no image_4.nii.gz beside this label"):
        list_chaos_cases(tmp_path)
    touch(tmp_path, "image_4.nii.gz", "image_04.nii.gz")
    with pytest.raises(InputError, match="same subject \\(4\\)"):
        list_chaos_cases(tmp_path)


def test_label_codes():
    assert (LIVER, RIGHT_KIDNEY, LEFT_KIDNEY, SPLEEN) == (1, 2, 3, 4)
