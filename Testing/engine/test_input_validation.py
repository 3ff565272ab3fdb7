"""Every bad input gives one line naming the file and the problem; the CLI exits 2 with no traceback."""

from __future__ import annotations

import gzip
import subprocess
import sys

import nibabel
import numpy as np
import pytest
import SimpleITK as sitk
from synthetic_volumes import make_volume, organ_mask

from CirrhosisStaging.errors import InputError
from CirrhosisStaging.io import read_image, read_mask, validate_image, validate_mask, write_image


def _load(path):
    return validate_image(read_image(path), path)


def _write_array(tmp_path, name, array, spacing=None):
    image = sitk.GetImageFromArray(array)
    if spacing:
        image.SetSpacing(spacing)
    return write_image(image, tmp_path / name)


def _problem(callable_, *args) -> str:
    with pytest.raises(InputError) as caught:
        callable_(*args)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_good_volume_passes_and_becomes_float32(tmp_path, volume):
    path = write_image(sitk.Cast(volume, sitk.sitkInt16), tmp_path / "ok.nii.gz")
    assert _load(path).GetPixelID() == sitk.sitkFloat32


def test_two_dimensional_image(tmp_path):
    path = _write_array(tmp_path, "slice.nrrd", np.random.rand(64, 64).astype(np.float32))
    message = _problem(_load, path)
    assert str(path) in message and "2D" in message


def test_single_slice_volume(tmp_path):
    path = _write_array(tmp_path, "one.nii.gz", np.random.rand(1, 64, 64).astype(np.float32), (4.0, 4.0, 5.0))
    assert "single slice" in _problem(_load, path)


def test_four_dimensional_image(tmp_path):
    # Written by nibabel, as a dynamic/multi-echo series from a scanner converter would be.
    path = tmp_path / "dyn.nii.gz"
    nibabel.save(nibabel.Nifti1Image(np.random.rand(32, 32, 20, 3).astype(np.float32), np.diag([4, 4, 5, 1])), path)
    message = _problem(_load, path)
    assert str(path) in message and "4D" in message


def test_vector_image(tmp_path):
    image = sitk.GetImageFromArray(np.random.rand(20, 32, 32, 3).astype(np.float32), isVector=True)
    image.SetSpacing((5.0, 5.0, 5.0))
    path = write_image(image, tmp_path / "rgb.nrrd")
    assert "components" in _problem(_load, path)


@pytest.mark.parametrize("bad_value", [np.nan, np.inf])
def test_nan_or_inf_voxels(tmp_path, volume, bad_value):
    array = sitk.GetArrayFromImage(volume)
    array[3, 4, 5] = bad_value
    image = sitk.GetImageFromArray(array)
    image.CopyInformation(volume)
    path = write_image(image, tmp_path / "nan.nii.gz")
    assert "NaN or infinite" in _problem(_load, path)


def test_constant_image(tmp_path):
    path = _write_array(tmp_path, "flat.nii.gz", np.full((20, 40, 40), 7.0, np.float32), (5.0, 5.0, 5.0))
    assert "constant" in _problem(_load, path)


def test_volume_too_small_for_a_liver(tmp_path):
    path = _write_array(tmp_path, "tiny.nii.gz", np.random.rand(20, 20, 20).astype(np.float32), (1.0, 1.0, 1.0))
    assert "too small to hold a liver" in _problem(_load, path)


@pytest.mark.parametrize("spacing", [(12.5, 12.5, 77.0), (4.0, 40.0, 50.0)])
def test_field_of_view_larger_than_any_body_is_a_wrong_header(tmp_path, spacing):
    """Voxel spacing in cm read as mm (x10): refused at once, where segmenting it took minutes and gave noise."""
    path = _write_array(tmp_path, "cm.nii.gz", np.random.rand(40, 256, 256).astype(np.float32), spacing)
    message = _problem(_load, path)
    assert str(path) in message and "larger than any body" in message and "voxel spacing" in message


def test_a_long_whole_body_field_of_view_passes(tmp_path):
    """2 m head to foot, 50 cm across: a real whole-body scan, whichever axis the header calls what."""
    path = _write_array(tmp_path, "body.nii.gz", np.random.rand(200, 40, 40).astype(np.float32), (12.5, 12.5, 10.0))
    assert _load(path).GetSize() == (40, 40, 200)


def test_too_few_voxels(tmp_path):
    path = _write_array(tmp_path, "thin.nii.gz", np.random.rand(4, 40, 40).astype(np.float32), (5.0, 5.0, 30.0))
    assert "voxels along one axis" in _problem(_load, path)


def test_truncated_file(tmp_path, volume):
    path = write_image(volume, tmp_path / "cut.nii.gz")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    message = _problem(_load, path)
    assert str(path) in message and "cannot be read" in message


def test_truncated_uncompressed_nifti(tmp_path, volume):
    path = write_image(volume, tmp_path / "cut.nii", compress=False)
    path.write_bytes(path.read_bytes()[:1000])
    assert "cannot be read" in _problem(_load, path)


def test_not_an_image(tmp_path):
    path = tmp_path / "notes.nii.gz"
    path.write_bytes(gzip.compress(b"this is not a NIfTI header" * 20))
    assert "cannot be read" in _problem(_load, path)


def test_empty_and_missing_files(tmp_path):
    empty = tmp_path / "empty.nii.gz"
    empty.touch()
    assert "empty" in _problem(_load, empty)
    assert "no such file" in _problem(_load, tmp_path / "missing.nii.gz")


def test_folder_without_dicom(tmp_path):
    (tmp_path / "readme.txt").write_text("no images here")
    message = _problem(_load, tmp_path)
    assert str(tmp_path) in message and "no DICOM series" in message


def test_mask_on_another_grid(tmp_path, volume):
    other = make_volume(size=(40, 36, 21))
    mask_path = write_image(organ_mask(other), tmp_path / "mask.nii.gz")
    message = _problem(validate_mask, read_mask(mask_path), volume, mask_path, "image.nii.gz")
    assert str(mask_path) in message and "does not match" in message and "size" in message


def test_mask_with_shifted_origin(tmp_path, volume):
    mask = organ_mask(volume)
    mask.SetOrigin([v + 10.0 for v in volume.GetOrigin()])
    mask_path = write_image(mask, tmp_path / "moved.nii.gz")
    assert "origin" in _problem(validate_mask, read_mask(mask_path), volume, mask_path)


def test_empty_and_fractional_masks(tmp_path, volume):
    empty = sitk.Image(volume.GetSize(), sitk.sitkUInt8)
    empty.CopyInformation(volume)
    path = write_image(empty, tmp_path / "empty_mask.nii.gz")
    assert "empty" in _problem(validate_mask, read_mask(path), volume, path)
    fractional = sitk.Cast(organ_mask(volume), sitk.sitkFloat32) * 0.5
    path = write_image(fractional, tmp_path / "soft.nii.gz")
    assert "whole numbers" in _problem(validate_mask, read_mask(path), volume, path)


def test_valid_mask_takes_exact_image_grid(volume):
    mask = organ_mask(volume)
    mask.SetOrigin([v + 1e-6 for v in volume.GetOrigin()])  # header float noise is tolerated
    checked = validate_mask(mask, volume, "mask.nii.gz")
    assert checked.GetOrigin() == volume.GetOrigin()
    assert checked.GetPixelID() == sitk.sitkUInt8


def test_cli_reports_bad_input_in_one_line_with_exit_code_2(tmp_path):
    path = _write_array(tmp_path, "flat.nii.gz", np.zeros((20, 40, 40), np.float32), (5.0, 5.0, 5.0))
    result = subprocess.run([sys.executable, "-m", "CirrhosisStaging.cli.main", "check", str(path)],
                            capture_output=True, text=True, encoding="utf-8")
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and str(path) in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_cli_check_mask_prints_grid_and_volumes(tmp_path, volume):
    image_path = write_image(volume, tmp_path / "image.nii.gz")
    mask_path = write_image(organ_mask(volume), tmp_path / "mask.nii.gz")
    result = subprocess.run([sys.executable, "-m", "CirrhosisStaging.cli.main", "check", str(image_path),
                             "--mask", str(mask_path)], capture_output=True, text=True, encoding="utf-8")
    assert result.returncode == 0, result.stderr
    assert '"label_volumes_ml"' in result.stdout and '"1":' in result.stdout
