"""Reading and writing volumes: NIfTI, NRRD (any format SimpleITK knows) and DICOM series folders.

Images keep their own grid (size, spacing, origin, direction) from read to write; nothing here
reorients or resamples. Every failure becomes an InputError naming the file.
"""

from __future__ import annotations

import os
from pathlib import Path

import SimpleITK as sitk

from ..errors import InputError
from .atomic import atomic_path
from .dicom_slices import check_slice_geometry
from .image_header import check_image_header
from .itk_errors import itk_reason
from .nifti_integrity import check_nifti_integrity, is_nifti

IMAGE_SUFFIXES = (".nii", ".nii.gz", ".nrrd", ".nhdr", ".mha", ".mhd")


def read_image(path: str | os.PathLike, series_uid: str | None = None) -> sitk.Image:
    """Read a volume file or a folder holding a DICOM series (the largest one unless `series_uid` is given)."""
    path = Path(path)
    if not path.exists():
        raise InputError(path, "no such file or folder")
    if path.is_dir():
        return _read_dicom_folder(path, series_uid)
    if path.stat().st_size == 0:
        raise InputError(path, "file is empty")
    if is_nifti(path):
        check_nifti_integrity(path)   # first: ITK's own header reading already prints for some of what it refuses
    check_image_header(path)
    try:
        return sitk.ReadImage(str(path))
    except RuntimeError as error:
        raise InputError(path, f"cannot be read as an image (truncated or corrupt file?): {itk_reason(error)}") from None
    except MemoryError:
        raise InputError(path, "does not fit in memory; nothing was written") from None


def read_mask(path: str | os.PathLike) -> sitk.Image:
    """Read a label volume as uint8."""
    image = read_image(path)
    if image.GetNumberOfComponentsPerPixel() != 1:
        raise InputError(path, "mask has several components per voxel; a single label value per voxel is needed")
    return image


def write_image(image: sitk.Image, path: str | os.PathLike, compress: bool = True) -> Path:
    """Write atomically: a reader never sees a half-written file, and a failure leaves no file behind."""
    path = Path(path)
    with atomic_path(path) as temporary:
        try:
            sitk.WriteImage(image, str(temporary), useCompression=compress)
        except RuntimeError as error:   # ITK's way of saying disk full, read-only or unknown format
            raise OSError(itk_reason(error)) from None
    return path


def list_dicom_series(folder: str | os.PathLike) -> dict[str, list[str]]:
    """Series instance UID -> sorted file names, for every DICOM series directly in `folder`."""
    reader = sitk.ImageSeriesReader()
    series = {}
    for uid in reader.GetGDCMSeriesIDs(str(folder)) or ():
        files = reader.GetGDCMSeriesFileNames(str(folder), uid)
        if files:
            series[uid] = list(files)
    return series


def _read_dicom_folder(folder: Path, series_uid: str | None) -> sitk.Image:
    series = list_dicom_series(folder)
    if not series:
        raise InputError(folder, "folder holds no DICOM series")
    if series_uid is not None:
        if series_uid not in series:
            raise InputError(folder, f"no DICOM series with UID {series_uid} (found {len(series)} other series)")
        files = series[series_uid]
    else:
        # A folder often mixes a localiser with the real series: the largest series is the volume.
        files = max(series.values(), key=len)
    check_image_header(folder, file_name=files[0], slices=len(files))
    reader = sitk.ImageSeriesReader()
    reader.SetFileNames(files)
    reader.MetaDataDictionaryArrayUpdateOn()   # each slice's position, for the spacing check
    try:
        image = reader.Execute()
    except RuntimeError as error:
        raise InputError(folder, f"DICOM series cannot be read: {itk_reason(error)}") from None
    check_slice_geometry(folder, reader, files)
    return image
