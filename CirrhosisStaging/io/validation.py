"""Checks that turn unusable inputs into one-line errors before any model sees them."""

from __future__ import annotations

import os

import numpy as np
import SimpleITK as sitk

from ..errors import InputError
from .geometry import Grid

# A liver is 15-20 cm across; a field of view smaller than this in any direction cannot hold one.
MIN_EXTENT_MM = 80.0
# No body is a metre across in two directions (a whole-body scan is long in one): a field of view that is, is a
# header whose voxel spacing is wrong (cm read as mm, a lost spacing), and resampling it to model spacing would take
# minutes to segment noise.
MAX_CROSS_EXTENT_MM = 1000.0
MIN_VOXELS_PER_AXIS = 8
# 64-bit integers above this lose their differences in the float32 working copy (a varied image turns constant).
MAX_INTEGER_VALUE = 2**31
_WIDE = {sitk.sitkInt64, sitk.sitkUInt64, sitk.sitkFloat64}
_COMPLEX = {sitk.sitkComplexFloat32, sitk.sitkComplexFloat64}


def validate_image(image: sitk.Image, path: str | os.PathLike | None) -> sitk.Image:
    """Return the image as a 3D float32 volume, or raise InputError saying why it cannot be used."""
    dimension = image.GetDimension()
    if dimension == 2:
        raise InputError(path, f"is a 2D image {_size(image)}; a 3D volume is needed")
    if dimension != 3:
        raise InputError(path, f"is a {dimension}D image {_size(image)}; a single 3D volume is needed")
    if image.GetNumberOfComponentsPerPixel() != 1:
        raise InputError(path, f"has {image.GetNumberOfComponentsPerPixel()} components per voxel "
                               "(colour or vector image); a single-channel MRI volume is needed")
    size = image.GetSize()
    if 1 in size:
        raise InputError(path, f"is a single slice {_size(image)}; a 3D volume is needed")
    if min(size) < MIN_VOXELS_PER_AXIS:
        raise InputError(path, f"has only {min(size)} voxels along one axis {_size(image)}; "
                               f"at least {MIN_VOXELS_PER_AXIS} are needed")
    spacing = image.GetSpacing()
    if min(spacing) <= 0 or not np.all(np.isfinite(spacing)):
        raise InputError(path, f"has an invalid voxel spacing {tuple(spacing)}")
    extent = [n * s for n, s in zip(size, spacing)]
    if min(extent) < MIN_EXTENT_MM:
        raise InputError(path, "field of view {} mm is too small to hold a liver (at least {:g} mm "
                               "along each axis)".format(_triple(extent), MIN_EXTENT_MM))
    if sorted(extent)[1] > MAX_CROSS_EXTENT_MM:
        raise InputError(path, "field of view {} mm is larger than any body (over {:g} mm in two directions): "
                               "check the voxel spacing in the header".format(_triple(extent), MAX_CROSS_EXTENT_MM))
    _check_value_range(image, path)
    volume = sitk.Cast(image, sitk.sitkFloat32)
    array = sitk.GetArrayViewFromImage(volume)
    finite = np.isfinite(array)
    if not finite.all():
        bad = int(array.size - finite.sum())
        raise InputError(path, f"has {bad} NaN or infinite voxels")
    if float(array.max()) == float(array.min()):
        raise InputError(path, f"is constant (every voxel is {float(array.min()):g}): no image content")
    return volume


def _check_value_range(image: sitk.Image, path) -> None:
    """Values the float32 working copy cannot hold faithfully are refused, not silently rounded or made inf."""
    if image.GetPixelID() in _COMPLEX:
        raise InputError(path, "holds complex voxels; an MRI magnitude image is needed")
    if image.GetPixelID() not in _WIDE:
        return
    array = sitk.GetArrayViewFromImage(image)
    if np.issubdtype(array.dtype, np.floating):
        finite = np.isfinite(array)
        if not finite.all():
            raise InputError(path, f"has {int(array.size - finite.sum())} NaN or infinite voxels")
        largest, limit = float(np.abs(array).max()), float(np.finfo(np.float32).max)
    else:   # exact integers: 2**63 + 1 must not look like 2**63
        largest, limit = max(abs(int(array.min())), abs(int(array.max()))), MAX_INTEGER_VALUE
    if largest > limit:
        raise InputError(path, f"has voxel values up to {largest:.3g}, beyond any MRI magnitude (limit {limit:.3g}); "
                               "rescale the image first")


def validate_mask(mask: sitk.Image, image: sitk.Image, mask_path, image_path=None) -> sitk.Image:
    """Return the mask as uint8 labels on the image's grid, or raise InputError naming the mask file."""
    if mask.GetDimension() != 3 or mask.GetNumberOfComponentsPerPixel() != 1:
        raise InputError(mask_path, f"mask is not a single-channel 3D volume {_size(mask)}")
    mask_grid, image_grid = Grid.of(mask), Grid.of(image)
    if not mask_grid.matches(image_grid):
        against = f" of {os.fspath(image_path)}" if image_path is not None else ""
        raise InputError(mask_path, f"mask grid does not match the image grid{against}: "
                                    f"{image_grid.describe_difference(mask_grid)}")
    values = sitk.GetArrayViewFromImage(mask)
    if not np.all(np.isfinite(values)):
        raise InputError(mask_path, "mask has NaN or infinite voxels")
    if values.min() < 0 or values.max() > 255 or not np.array_equal(values, np.round(values)):
        raise InputError(mask_path, "mask values must be whole numbers from 0 to 255 (labels)")
    if values.max() == 0:
        raise InputError(mask_path, "mask is empty (no labelled voxel)")
    # Stamp the image grid exactly: the match above allows float noise in the header.
    return image_grid.apply_to(sitk.Cast(mask, sitk.sitkUInt8))


def _size(image: sitk.Image) -> str:
    return "(" + "x".join(str(n) for n in image.GetSize()) + ")"


def _triple(values) -> str:
    return "x".join(f"{v:.0f}" for v in values)
