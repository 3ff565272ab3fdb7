"""Per-slice 8-bit PNG export of a volume and its mask, as in the release's Cirrhosis_T2_2D folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import SimpleITK as sitk


def write_slices(image: sitk.Image, mask: sitk.Image, folder: Path) -> int:
    """Write folder/images/<k>.png (windowed to 0-255) and folder/masks/<k>.png (0/255), k = 0-based slice.

    Slices are the volume's own third axis, in stored order; returns the number of slices.
    """
    volume = sitk.GetArrayFromImage(image).astype(np.float32)
    labels = sitk.GetArrayFromImage(mask)
    low, high = np.percentile(volume, (0.5, 99.5))
    scaled = np.clip((volume - low) / max(float(high - low), 1e-6), 0.0, 1.0)
    grey = np.round(scaled * 255.0).astype(np.uint8)
    binary = np.where(labels > 0, 255, 0).astype(np.uint8)
    (folder / "images").mkdir(parents=True, exist_ok=True)
    (folder / "masks").mkdir(parents=True, exist_ok=True)
    for k in range(grey.shape[0]):
        sitk.WriteImage(sitk.GetImageFromArray(grey[k]), str(folder / "images" / f"{k}.png"))
        sitk.WriteImage(sitk.GetImageFromArray(binary[k]), str(folder / "masks" / f"{k}.png"))
    return grey.shape[0]
