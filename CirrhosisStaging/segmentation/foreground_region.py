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

# Where every foreground class is below this, background (at least 1 - 4 x 0.05 with four organ classes) wins.
FOREGROUND_FLOOR = 0.05


def foreground_box(probabilities: np.ndarray, model_image: sitk.Image, original: sitk.Image):
    """Index box (x0, y0, z0, x1, y1, z1), end-exclusive, on `original`'s grid that contains every input voxel
    whose linearly interpolated foreground could reach FOREGROUND_FLOOR; None when no class gets there."""
    foreground = np.max(probabilities[1:], axis=0) >= FOREGROUND_FLOOR
    if not foreground.any():
        return None
    # One model voxel of margin: linear interpolation reads the neighbours of a point's continuous index.
    corners_zyx = [(first - 1, last + 1) for first, last in nonzero_bounds(foreground)]
    points = [original.TransformPhysicalPointToContinuousIndex(
                  model_image.TransformContinuousIndexToPhysicalPoint([float(x), float(y), float(z)]))
              for z, y, x in itertools.product(*corners_zyx)]
    low = np.floor(np.min(points, axis=0)).astype(int) - 1
    high = np.ceil(np.max(points, axis=0)).astype(int) + 2
    size = np.array(original.GetSize())
    low, high = np.clip(low, 0, size), np.clip(high, 0, size)
    if np.any(high <= low):
        return None
    return (*low.tolist(), *high.tolist())


def nonzero_bounds(mask: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) index of the True voxels along each axis of a non-empty mask."""
    bounds = []
    for axis in range(mask.ndim):
        present = np.flatnonzero(mask.any(axis=tuple(a for a in range(mask.ndim) if a != axis)))
        bounds.append((int(present[0]), int(present[-1])))
    return bounds
