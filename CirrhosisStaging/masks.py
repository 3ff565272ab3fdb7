"""Bounding box of a mask with a margin: filters, clean-up and resampling that only need an organ and its
surroundings work on that box. A module of its own so that any package can use it without importing another's
heavy dependencies."""

from __future__ import annotations

import numpy as np


def bounding_slices(mask: np.ndarray, margin_voxels) -> tuple[slice, ...]:
    """Slices of the mask's bounding box grown by `margin_voxels` per axis, clipped to the array."""
    index = np.nonzero(mask)
    margins = np.broadcast_to(np.asarray(margin_voxels, dtype=int), (mask.ndim,))
    return tuple(slice(max(int(i.min()) - m, 0), min(int(i.max()) + m + 1, n))
                 for i, m, n in zip(index, margins, mask.shape))
