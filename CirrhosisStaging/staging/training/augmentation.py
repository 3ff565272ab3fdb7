"""Augmentation of staging boxes: small shifts, intensity changes, mask jitter (segmentation is never perfect),
a slight blur (simulated stages are resampled, their originals are not: blur must not tell them apart) and
dropping a sequence (so single-sequence staging is trained too)."""

from __future__ import annotations

import numpy as np
from scipy import ndimage


def augment_case(arrays: dict, rng: np.random.Generator, drop_sequence: float = 0.3) -> dict:
    present = list(arrays)
    if len(present) == 2 and rng.random() < drop_sequence:
        present = [present[int(rng.integers(2))]]
    return {sequence: _augment(arrays[sequence], rng) for sequence in present}


def _augment(array: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    image, liver = array[0], array[1]
    shift = rng.integers(-3, 4, size=3)
    image = ndimage.shift(image, shift, order=0, mode="nearest")
    liver = ndimage.shift(liver, shift, order=0, mode="constant")
    if rng.random() < 0.5:
        # The liver mask a user or the segmenter gives is off by a voxel here and there.
        grow = rng.random() < 0.5
        binary = liver > 0.5
        binary = ndimage.binary_dilation(binary) if grow else ndimage.binary_erosion(binary)
        liver = binary.astype(np.float32)
    if rng.random() < 0.5:
        image = ndimage.gaussian_filter(image, rng.uniform(0.2, 0.7))
    lowest = image.min()
    image = (image - lowest) * rng.uniform(0.85, 1.15) + lowest + rng.uniform(-0.15, 0.15)
    if rng.random() < 0.3:
        image = image + rng.normal(0, rng.uniform(0.02, 0.1), size=image.shape)
    return np.stack([image, liver]).astype(np.float32)
