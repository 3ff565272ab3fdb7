"""What the staging network sees for one series: a fixed box around the liver and upper abdomen.

The box is axis-aligned in patient space (LPS), 3 x 3 x 4 mm voxels, wide enough for liver, spleen and
perihepatic ascites; centred in-plane on the body and in height on the liver. Channels: body z-scored image
and the liver mask (segmentation first: staging never ignores the mask). The box's grid is kept so the
attention map can go back onto the input's grid.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import SimpleITK as sitk

from ..data.labels import LIVER
from ..errors import InputError
from ..preprocessing import body_mask, normalize_intensity
from ..preprocessing.resample import resample_to_reference

BOX_SPACING_XYZ = (3.0, 3.0, 4.0)
BOX_SIZE_XYZ = (128, 96, 48)   # 384 x 288 x 192 mm; each divisible by 16 for the encoder
# Below this a mask cannot be a liver, even a shrunken cirrhotic one (rarely under ~600 mL) cut by the field of view:
# staging it would give a confident answer about a few voxels. Between this and segmentation.quality's whole-liver
# minimum the mask is staged with a mask_check warning.
MIN_STAGEABLE_LIVER_ML = 200.0


@dataclass
class StagingInput:
    array: np.ndarray        # (2, z, y, x) float32: image, liver mask
    box: sitk.Image          # the box grid (values unused): reference for mapping back
    original: sitk.Image     # the input image, on its own grid


def prepare_staging_input(image: sitk.Image, labels: sitk.Image, path=None) -> StagingInput:
    """Image and label map on the same grid -> network input in the liver box."""
    liver = sitk.GetArrayViewFromImage(labels) == LIVER
    if not liver.any():
        raise InputError(path, "liver mask is empty: nothing to stage")
    liver_ml = float(liver.sum()) * float(np.prod(image.GetSpacing())) / 1000.0
    if liver_ml < MIN_STAGEABLE_LIVER_ML:
        raise InputError(path, f"liver mask holds {liver_ml:.1f} mL, under the {MIN_STAGEABLE_LIVER_ML:.0f} mL that "
                               "any liver has: not a liver mask, nothing to stage")
    body = body_mask(image)  # used twice: intensity statistics and the box centre
    normalized = normalize_intensity(sitk.Cast(image, sitk.sitkFloat32), body)
    box = box_grid(image, liver, body)
    background = float(sitk.GetArrayViewFromImage(normalized).min())
    image_box = sitk.GetArrayFromImage(resample_to_reference(normalized, box, "linear", default_value=background))
    liver_image = sitk.Cast(labels == LIVER, sitk.sitkFloat32)
    liver_box = sitk.GetArrayFromImage(resample_to_reference(liver_image, box, "linear"))
    return StagingInput(np.stack([image_box, liver_box]).astype(np.float32), box, image)


def box_grid(image: sitk.Image, liver: np.ndarray, body: np.ndarray) -> sitk.Image:
    """An identity-direction grid of BOX_SIZE_XYZ voxels centred on the body (x, y) and the liver (z)."""
    liver_centre = np.array(image.TransformContinuousIndexToPhysicalPoint(_centroid_xyz(liver)))
    low, high = _physical_bounds(image, body)
    centre = np.array([(low[0] + high[0]) / 2, (low[1] + high[1]) / 2, liver_centre[2]])
    spacing = np.array(BOX_SPACING_XYZ)
    size = np.array(BOX_SIZE_XYZ)
    box = sitk.Image([int(v) for v in size], sitk.sitkUInt8)
    box.SetSpacing(spacing.tolist())
    box.SetOrigin((centre - spacing * (size - 1) / 2.0).tolist())
    return box


def _centroid_xyz(mask: np.ndarray) -> list[float]:
    z, y, x = np.nonzero(mask)
    return [float(x.mean()), float(y.mean()), float(z.mean())]


def _physical_bounds(image: sitk.Image, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Patient-space bounding box of a mask, valid for oblique and permuted grids alike."""
    z, y, x = np.nonzero(mask)
    step = max(1, len(x) // 20000)  # a subsample bounds the box just as well
    indices = np.stack([x[::step], y[::step], z[::step]], axis=1).astype(float)
    direction = np.array(image.GetDirection()).reshape(3, 3)
    points = np.array(image.GetOrigin()) + (indices * np.array(image.GetSpacing())) @ direction.T
    return points.min(axis=0), points.max(axis=0)
