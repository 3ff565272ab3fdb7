"""Paint layers onto sample points: signal (optional) and per-label partial-volume fractions."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .layers import Layer
from .sampling import SamplePoints

LABELS = ("liver", "kidney_r", "kidney_l", "spleen", "ascites")


@dataclass
class Rendering:
    image: np.ndarray | None           # signal per sample (None in geometry-only mode)
    weights: dict[str, np.ndarray]     # label -> visible fraction per sample, 0..1


def render(layers: list[Layer], points: SamplePoints, contrast=None) -> Rendering:
    """Without `contrast`, only label fractions are computed (cheaper: unlabelled tissue is skipped)."""
    shape = points.shape
    image = None if contrast is None else np.full(shape, contrast.mean("air"), dtype=np.float32)
    weights: dict[str, np.ndarray] = {}
    for layer in layers:
        geometry_only = contrast is None
        if geometry_only and layer.label is None and (not layer.covers_labels or not weights):
            continue  # cannot change any label
        if layer.within is not None and layer.within not in weights:
            continue
        block = points.block(*layer.box)
        if block is None:
            continue
        d, value = layer.evaluate(points.x[block], points.y[block], points.z[block], contrast, points.edge_mm)
        alpha = np.clip(0.5 - d / np.float32(points.edge_mm), 0.0, 1.0).astype(np.float32, copy=False)
        if layer.within is not None:
            np.minimum(alpha, weights[layer.within][block], out=alpha)
        if not alpha.any():
            continue
        if image is not None:
            target = image[block]
            target += alpha * (value - target)
        if layer.covers_labels:
            for name, weight in weights.items():
                if name != layer.label:
                    weight[block] *= 1.0 - alpha
        if layer.label is not None:
            if layer.label not in weights:
                weights[layer.label] = np.zeros(shape, dtype=np.float32)
            own = weights[layer.label][block]
            own += alpha * (1.0 - own)
    for name in LABELS:
        weights.setdefault(name, np.zeros(shape, dtype=np.float32))
    return Rendering(image, weights)
