"""Resampling between an image's own grid and a model's spacing, in physical space."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import SimpleITK as sitk

INTERPOLATORS = {"linear": sitk.sitkLinear, "bspline": sitk.sitkBSpline, "nearest": sitk.sitkNearestNeighbor,
                 "label": sitk.sitkLabelGaussian}


def resample_to_spacing(image: sitk.Image, spacing: Sequence[float], interpolation: str = "linear",
                        default_value: float = 0.0) -> sitk.Image:
    """Same field of view and direction, new voxel spacing (for example the model's spacing)."""
    old_spacing = np.array(image.GetSpacing(), float)
    new_spacing = np.array([s if s and s > 0 else o for s, o in zip(spacing, old_spacing)], float)
    old_size = np.array(image.GetSize(), float)
    new_size = np.maximum(1, np.round(old_size * old_spacing / new_spacing)).astype(int)
    # Keep the field of view centred: voxel centres move when the spacing changes.
    direction = np.array(image.GetDirection()).reshape(3, 3)
    half_shift = (new_spacing - old_spacing) / 2.0
    origin = np.array(image.GetOrigin()) + direction @ half_shift
    return sitk.Resample(image, [int(v) for v in new_size], sitk.Transform(), INTERPOLATORS[interpolation],
                         origin.tolist(), new_spacing.tolist(), image.GetDirection(), default_value,
                         image.GetPixelID())


def resample_to_reference(image: sitk.Image, reference: sitk.Image, interpolation: str = "linear",
                          default_value: float = 0.0, pixel_type: int | None = None) -> sitk.Image:
    """Resample onto exactly `reference`'s grid (how every output returns to the input's grid)."""
    pixel = image.GetPixelID() if pixel_type is None else pixel_type
    resampled = sitk.Resample(image, reference, sitk.Transform(), INTERPOLATORS[interpolation], default_value, pixel)
    resampled.CopyInformation(reference)
    return resampled
