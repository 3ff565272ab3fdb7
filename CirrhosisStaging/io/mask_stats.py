"""Volumes of the labels in a mask, in millilitres."""

from __future__ import annotations

import numpy as np
import SimpleITK as sitk

from .geometry import Grid


def label_volumes_ml(mask: sitk.Image) -> dict[int, float]:
    """Label value -> volume (mL) for every non-zero label present."""
    counts = np.bincount(sitk.GetArrayViewFromImage(mask).ravel().astype(np.int64))
    voxel_ml = Grid.of(mask).voxel_volume_ml
    return {int(label): round(float(count) * voxel_ml, 3) for label, count in enumerate(counts) if label and count}
