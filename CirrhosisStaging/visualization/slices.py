"""Axial slices in radiological convention (patient's right on the left of the picture, anterior at the top)."""

from __future__ import annotations

import numpy as np
import SimpleITK as sitk

from ..preprocessing import to_canonical


def axial_views(image: sitk.Image, mask: sitk.Image | None = None) -> tuple[np.ndarray, np.ndarray | None, float]:
    """(z, y, x) arrays in LPS order, which displayed row-by-row is the radiological view; plus pixel aspect."""
    canonical = to_canonical(image)
    mask_array = sitk.GetArrayFromImage(to_canonical(mask)) if mask is not None else None
    spacing = canonical.GetSpacing()
    return sitk.GetArrayFromImage(canonical), mask_array, spacing[1] / spacing[0]


def key_slice(mask_array: np.ndarray | None, depth: int) -> int:
    """The slice with the most mask (the liver's widest section), else the middle one."""
    if mask_array is None or not mask_array.any():
        return depth // 2
    return int(np.argmax((mask_array > 0).sum(axis=(1, 2))))


def display_window(array: np.ndarray) -> tuple[float, float]:
    low, high = np.percentile(array, [1, 99.5])
    return float(low), float(high if high > low else low + 1)
