"""Where on the input's grid an organ can be: the box that resampling the probabilities back must cover.

Resampling every class probability onto the whole input grid is most of the CPU time of a segmentation once the
network runs on a GPU. Outside the organs every foreground probability is tiny and the voxel can only come out as
background, so only a box around the model-space foreground needs resampling; the rest is background by
construction, and the labels are the same as a whole-grid resampling would give (tested against one).
"""

from __future__ import annotations

import itertools

import numpy as np
import SimpleITK as sitk

from ..masks import bounding_slices

# Where every foreground class is below this, background (at least 1 - 4 x 0.05 with four organ classes) wins.
FOREGROUND_FLOOR = 0.05


def foreground_box(probabilities: np.ndarray, model_image: sitk.Image, original: sitk.Image, margin_xyz=(0, 0, 0)):
    """Index box (x0, y0, z0, x1, y1, z1), end-exclusive, on `original`'s grid that contains every input voxel
    whose linearly interpolated foreground could reach FOREGROUND_FLOOR, grown by `margin_xyz` input voxels a side
    and clipped to the image; None when no class gets there."""
    foreground = np.max(probabilities[1:], axis=0) >= FOREGROUND_FLOOR
    if not foreground.any():
        return None
    # One model voxel of margin, not clipped to the model grid: linear interpolation reads the neighbours of a
    # point's continuous index, and clamps them at the grid's edge.
    corners_zyx = [(box.start - 1, box.stop) for box in bounding_slices(foreground, 0)]
    points = [original.TransformPhysicalPointToContinuousIndex(
                  model_image.TransformContinuousIndexToPhysicalPoint([float(x), float(y), float(z)]))
              for z, y, x in itertools.product(*corners_zyx)]
    low = np.floor(np.min(points, axis=0)).astype(int) - 1
    high = np.ceil(np.max(points, axis=0)).astype(int) + 2
    size = np.array(original.GetSize())
    low, high = np.clip(low, 0, size), np.clip(high, 0, size)
    if np.any(high <= low):
        return None   # the organs lie outside the input's grid
    margin = np.asarray(margin_xyz, dtype=int)
    return (*np.maximum(low - margin, 0).tolist(), *np.minimum(high + margin, size).tolist())

