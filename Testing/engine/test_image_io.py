"""Round trips: what is written back sits exactly on the input's grid, for every format and orientation."""

from __future__ import annotations

import numpy as np
import pytest
import SimpleITK as sitk
from synthetic_volumes import make_volume, organ_mask

from CirrhosisStaging.errors import InputError
from CirrhosisStaging.io import Grid, array_to_image, read_image, write_image
from CirrhosisStaging.io.atomic import atomic_directory
from CirrhosisStaging.preprocessing import prepare, resample_to_reference


@pytest.mark.parametrize("suffix", [".nii.gz", ".nii", ".nrrd"])
def test_file_round_trip_keeps_grid_and_values(tmp_path, any_orientation_volume, suffix):
    path = write_image(any_orientation_volume, tmp_path / f"case{suffix}")
    back = read_image(path)
    assert Grid.of(back).matches(Grid.of(any_orientation_volume))
    assert np.allclose(back.GetDirection(), any_orientation_volume.GetDirection(), atol=1e-6)
    np.testing.assert_array_equal(sitk.GetArrayFromImage(back), sitk.GetArrayFromImage(any_orientation_volume))


def test_model_space_round_trip_returns_exact_input_grid(tmp_path, any_orientation_volume):
    """Canonical orientation + resampling, then back: the mask lands on the input's grid, in the right place."""
    truth = organ_mask(any_orientation_volume)
    space = prepare(any_orientation_volume, spacing=(2.0, 2.0, 3.0))
    assert space.image.GetSpacing() == pytest.approx((2.0, 2.0, 3.0))
    mask_in_model = space.to_model(truth, "nearest")
    back = space.to_original(sitk.GetArrayFromImage(mask_in_model), "nearest", sitk.sitkUInt8)
    path = write_image(back, tmp_path / "mask.nii.gz")
    reread = read_image(path)
    assert Grid.of(reread).matches(Grid.of(any_orientation_volume))
    a, b = sitk.GetArrayFromImage(reread) > 0, sitk.GetArrayFromImage(truth) > 0
    dice = 2 * (a & b).sum() / (a.sum() + b.sum())
    assert dice > 0.95


def test_nifti_written_by_nibabel_convention_reads_in_lps(tmp_path):
    """A RAS-stored NIfTI and an LPS NRRD of the same image agree on physical positions."""
    image = make_volume(direction=(-1, 0, 0, 0, -1, 0, 0, 0, 1), origin=(100.0, 90.0, -20.0))
    nifti = read_image(write_image(image, tmp_path / "ras.nii.gz"))
    nrrd = read_image(write_image(image, tmp_path / "lps.nrrd"))
    index = (5, 7, 3)
    assert np.allclose(nifti.TransformIndexToPhysicalPoint(index), nrrd.TransformIndexToPhysicalPoint(index))


def test_dicom_series_folder_reads_as_one_volume(tmp_path):
    image = sitk.Cast(make_volume(size=(32, 32, 12), spacing=(5.0, 5.0, 8.0)), sitk.sitkInt16)
    folder = tmp_path / "dicom"
    folder.mkdir()
    _write_dicom_series(image, folder)
    read = read_image(folder)
    assert read.GetSize() == image.GetSize()
    assert read.GetSpacing() == pytest.approx(image.GetSpacing(), abs=1e-3)
    assert read.GetOrigin() == pytest.approx(image.GetOrigin(), abs=1e-3)
    np.testing.assert_array_equal(sitk.GetArrayFromImage(read), sitk.GetArrayFromImage(image))


@pytest.fixture
def dicom_folder(tmp_path):
    """A 12-slice MR series, 8 mm apart, one file per slice (slice000.dcm ...)."""
    folder = tmp_path / "dicom"
    folder.mkdir()
    _write_dicom_series(sitk.Cast(make_volume(size=(32, 32, 12), spacing=(5.0, 5.0, 8.0)), sitk.sitkInt16), folder)
    return folder


def _rewrite_slice(source, target, tags: dict) -> None:
    """Write DICOM slice `source` to `target` with `tags` changed, keeping its UIDs."""
    image = sitk.ReadImage(str(source))
    for key, value in tags.items():
        image.SetMetaData(key, value)
    writer = sitk.ImageFileWriter()
    writer.KeepOriginalImageUIDOn()
    writer.SetFileName(str(target))
    writer.Execute(image)


def test_dicom_series_with_a_missing_slice_is_refused(dicom_folder):
    """ITK would spread the gap over every slice; the series is refused, saying where the step changes."""
    (dicom_folder / "slice005.dcm").unlink()
    with pytest.raises(InputError, match=r"not evenly spaced: 16.0 mm between slices 5 and 6 of 11"):
        read_image(dicom_folder)


def test_dicom_series_with_a_copied_slice_is_refused(dicom_folder):
    _rewrite_slice(dicom_folder / "slice004.dcm", dicom_folder / "slice099.dcm",
                   {"0008|0018": "1.2.826.0.1.3680043.2.1125.1.12345.99"})   # its own instance UID
    with pytest.raises(InputError, match="two files at one slice position"):
        read_image(dicom_folder)


def test_dicom_series_mixing_orientations_is_refused(dicom_folder):
    """A slice of another orientation under the series UID (a localiser) would be stacked as a parallel slice."""
    _rewrite_slice(dicom_folder / "slice006.dcm", dicom_folder / "slice006.dcm", {"0020|0037": "1\\0\\0\\0\\0\\-1"})
    with pytest.raises(InputError, match=r"mixes slice orientations \(slice006.dcm is not parallel"):
        read_image(dicom_folder)


def test_array_to_image_stamps_reference_grid(volume):
    image = array_to_image(np.zeros(sitk.GetArrayViewFromImage(volume).shape, np.uint8), volume)
    assert Grid.of(image) == Grid.of(volume)


def test_resample_to_reference_matches_reference_grid(volume):
    other = make_volume(size=(25, 25, 10), spacing=(6.0, 6.0, 11.0), direction=(0, 1, 0, 1, 0, 0, 0, 0, -1))
    result = resample_to_reference(other, volume)
    assert Grid.of(result) == Grid.of(volume)


def test_failed_write_leaves_no_file(tmp_path, volume):
    target = tmp_path / "out.nii.gz"
    with pytest.raises(InputError, match="out.unknownformat: cannot be written"):
        write_image(volume, tmp_path / "out.unknownformat")
    assert list(tmp_path.iterdir()) == []
    write_image(volume, target)
    assert [p.name for p in tmp_path.iterdir()] == ["out.nii.gz"]


def test_atomic_directory_appears_whole_or_not_at_all(tmp_path):
    target = tmp_path / "results"
    with pytest.raises(ZeroDivisionError):
        with atomic_directory(target) as work:
            (work / "half.txt").write_text("x")
            1 / 0
    assert list(tmp_path.iterdir()) == []
    with atomic_directory(target) as work:
        (work / "done.txt").write_text("x")
    assert (target / "done.txt").exists()
    with pytest.raises(InputError, match="already exists"):
        with atomic_directory(target):
            pass
    assert (target / "done.txt").exists()


def _write_dicom_series(image: sitk.Image, folder) -> None:
    """Minimal MR DICOM series, one file per slice, with the geometry tags readers need."""
    writer = sitk.ImageFileWriter()
    writer.KeepOriginalImageUIDOn()
    direction = image.GetDirection()
    series_uid = "1.2.826.0.1.3680043.2.1125.1.12345"
    for index in range(image.GetDepth()):
        slice_image = image[:, :, index]
        position = image.TransformIndexToPhysicalPoint((0, 0, index))
        tags = {
            "0008|0060": "MR",
            "0020|000e": series_uid,
            "0020|000d": "1.2.826.0.1.3680043.2.1125.1.1",
            "0020|0013": str(index + 1),
            "0020|0032": "\\".join(f"{v:.6f}" for v in position),
            # Row then column direction cosines: the first two columns of the 3x3 direction matrix.
            "0020|0037": "\\".join(f"{v:.6f}" for v in (*direction[0::3], *direction[1::3])),
            "0018|0050": f"{image.GetSpacing()[2]:.6f}",
            "0028|0030": f"{image.GetSpacing()[1]:.6f}\\{image.GetSpacing()[0]:.6f}",
            "0008|0018": f"{series_uid}.{index + 1}",
        }
        for key, value in tags.items():
            slice_image.SetMetaData(key, value)
        writer.SetFileName(str(folder / f"slice{index:03d}.dcm"))
        writer.Execute(slice_image)
