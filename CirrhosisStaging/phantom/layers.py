"""A layer is one tissue region of the phantom: a shape, how it looks, and which organ label it carries.

The renderer paints layers in order, each over the ones before, so later layers win where shapes
overlap (a kidney painted after the liver leaves its impression in the liver, as in real anatomy).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

ShapeFn = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
ShadeFn = Callable[[np.ndarray, np.ndarray, np.ndarray, object], np.ndarray]


@dataclass
class Layer:
    name: str
    box: tuple                 # (lo, hi) in patient mm; nothing of the layer lies outside
    shape: ShapeFn             # signed distance, mm
    tissue: str | None = None  # contrast table key for a uniform tissue
    shade: ShadeFn | None = None  # textured tissue: (x, y, z, contrast) -> signal
    label: str | None = None   # organ label it carries (None: background)
    covers_labels: bool = True  # False: does not change labels (vessels inside an organ stay that organ)
    within: str | None = None   # visible only where this label already is (intrahepatic vessels)

    def evaluate(self, x, y, z, contrast, edge_mm: float):
        """(signed distance, signal or None when contrast is None).

        A textured signal is computed only where the layer shows (within edge_mm / 2 of inside):
        textures are the costly part and most of a layer's box lies outside it.
        """
        d = self.shape(x, y, z)
        if contrast is None:
            return d, None
        if self.shade is None:
            return d, np.float32(contrast.mean(self.tissue))
        value = np.zeros(d.shape, dtype=np.float32)
        shows = d < 0.5 * edge_mm
        if shows.any():
            value[shows] = self.shade(x[shows], y[shows], z[shows], contrast)
        return d, value
