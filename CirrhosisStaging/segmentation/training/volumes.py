"""Training volumes in model space, prepared once and kept in memory (they are small at model spacing)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import SimpleITK as sitk

from ...io import read_image, read_mask, validate_image
from ...preprocessing import body_mask, prepare
from .sources import TrainingItem


@dataclass
class PreparedVolume:
    item: TrainingItem
    image: np.ndarray      # (z, y, x) float32, z-scored
    label: np.ndarray      # (z, y, x) uint8
    body: np.ndarray       # (z, y, x) uint8, the region intensities are normalised over
    labelled: np.ndarray   # (classes,) bool
    original_image: sitk.Image | None = None
    original_label: sitk.Image | None = None


def prepare_volume(item: TrainingItem, spacing_xyz, num_classes: int, keep_original: bool = False) -> PreparedVolume:
    image = validate_image(read_image(item.image), item.image)
    label = read_mask(item.label)
    space = prepare(image, spacing_xyz)
    label_model = space.to_model(sitk.Cast(label, sitk.sitkUInt8), "nearest")
    labelled = np.zeros(num_classes, bool)
    labelled[list(item.labelled)] = True
    return PreparedVolume(item, space.array, sitk.GetArrayFromImage(label_model).astype(np.uint8),
                          body_mask(space.image).astype(np.uint8), labelled,
                          image if keep_original else None, label if keep_original else None)
