"""What a volume's header promises, checked before a single voxel is read (any format SimpleITK knows).

A header is a claim: 30000^3 voxels, complex numbers, a sheared grid. Each is refused here in one line, so
no reader allocates memory for it or prints warnings about it first.
"""

from __future__ import annotations

import numpy as np
import SimpleITK as sitk

from ..errors import InputError
from .geometry import is_orthonormal
from .image_limits import check_voxel_budget
from .itk_errors import itk_reason

_COMPLEX = {sitk.sitkComplexFloat32, sitk.sitkComplexFloat64}


def check_image_header(path, file_name=None, slices: int | None = None) -> None:
    """Refuse before reading voxels: unknown format, complex voxels, too many bytes, bad spacing or direction.

    `file_name` is the file whose header is read when `path` is a folder (a DICOM series of `slices` files).
    """
    reader = sitk.ImageFileReader()
    reader.SetFileName(str(file_name or path))
    try:
        reader.ReadImageInformation()
    except RuntimeError as error:
        raise InputError(path, f"cannot be read as an image (truncated or corrupt file?): {itk_reason(error)}") from None
    pixel_id = reader.GetPixelID()
    if pixel_id in _COMPLEX:
        raise InputError(path, f"holds complex voxels ({sitk.GetPixelIDValueAsString(pixel_id)}); an MRI magnitude "
                               "image is needed (save the magnitude, not the complex signal)")
    components = reader.GetNumberOfComponents()
    if components != 1:
        raise InputError(path, f"has {components} components per voxel (colour or vector image); "
                               "a single-channel MRI volume is needed")
    size = list(reader.GetSize())
    if slices is not None and len(size) >= 3:
        size[2] = max(size[2], 1) * slices
    itemsize = _bytes_per_component(pixel_id, reader.GetDimension())
    check_voxel_budget(path, size, itemsize, sitk.GetPixelIDValueAsString(pixel_id))
    spacing = np.asarray(reader.GetSpacing(), dtype=float)
    if not np.all(np.isfinite(spacing)) or np.any(spacing <= 0):
        raise InputError(path, f"has an invalid voxel spacing {tuple(float(v) for v in spacing)}: "
                               "every spacing must be a positive number of mm")
    if not is_orthonormal(reader.GetDirection()):
        raise InputError(path, "has a non-orthogonal (sheared) direction matrix; resample it onto an orthogonal "
                               "grid first (masks must sit on exactly the input's grid)")


def _bytes_per_component(pixel_id: int, dimension: int) -> int:
    """Bytes per voxel component, from a one-voxel image of the same type (no table to keep in step with ITK)."""
    try:
        return sitk.GetArrayViewFromImage(sitk.Image([1] * dimension, pixel_id)).itemsize
    except RuntimeError:
        return 8   # an exotic type: assume the widest scalar
