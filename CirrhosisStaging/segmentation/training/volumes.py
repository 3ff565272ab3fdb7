"""Training volumes in model space, prepared once and kept in memory (they are small at model spacing)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import SimpleITK as sitk

from ...io import read_image, read_mask, validate_image, validate_mask
from ...io.atomic import atomic_path
from ...preprocessing import prepare
from ...preprocessing.intensity import body_region
from .sources import TrainingItem


@dataclass
class PreparedVolume:
    item: TrainingItem
    image: np.ndarray      # (z, y, x) float32, z-scored
    label: np.ndarray      # (z, y, x) uint8
    body: np.ndarray       # (z, y, x) uint8, the region intensities are normalised over (intensity.body_region)
    labelled: np.ndarray   # (classes,) bool
    original_image: sitk.Image | None = None
    original_label: sitk.Image | None = None


def prepare_volume(item: TrainingItem, spacing_xyz, num_classes: int, keep_original: bool = False,
                   normalization: str = "zscore") -> PreparedVolume:
    image = validate_image(read_image(item.image), item.image)
    # On the image's grid or refused: resampling a label from another grid would train on misplaced organs.
    label = validate_mask(read_mask(item.label), image, item.label, item.image)
    space = prepare(image, spacing_xyz, normalization=normalization)
    label_model = space.to_model(sitk.Cast(label, sitk.sitkUInt8), "nearest")
    labelled = np.zeros(num_classes, bool)
    labelled[list(item.labelled)] = True
    return PreparedVolume(item, space.array, sitk.GetArrayFromImage(label_model).astype(np.uint8),
                          body_region(normalization)(space.image).astype(np.uint8), labelled,
                          image if keep_original else None, label if keep_original else None)


def cached_volume(item: TrainingItem, spacing_xyz, num_classes: int, normalization: str = "zscore",
                  cache: Path | None = None) -> PreparedVolume:
    """prepare_volume, kept in `cache` as <item>-<spacing>-<normalization>.npz: folds of a cross-validation (and
    a GPU machine without the raw scans) read the prepared arrays instead of preparing every scan again."""
    if cache is None:
        return prepare_volume(item, spacing_xyz, num_classes, normalization=normalization)
    spacing = "x".join(f"{float(value):g}" for value in spacing_xyz)
    path = Path(cache) / f"{item.name}-{spacing}-{normalization}.npz"
    if path.is_file():
        with np.load(path, allow_pickle=False) as arrays:
            return PreparedVolume(item, arrays["image"].astype(np.float32), arrays["label"], arrays["body"],
                                  arrays["labelled"])
    volume = prepare_volume(item, spacing_xyz, num_classes, normalization=normalization)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as temporary:
        with open(temporary, "wb") as stream:   # a file object: np.savez would append ".npz" to the name
            np.savez_compressed(stream, image=volume.image.astype(np.float16), label=volume.label, body=volume.body,
                                labelled=volume.labelled)
    return volume
