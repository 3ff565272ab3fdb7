"""Regenerative nodules as a cellular (Voronoi) field in patient space.

Cirrhosis rebuilds the liver into nodules wrapped in fibrous septa. Here every nodule is the
Voronoi cell of a seed point: the distance to the nearest seed (f1) and to the second nearest (f2)
give both a dome inside each cell (used to bulge the liver surface) and thin walls where
f2 - f1 is small (used as septa in the parenchymal texture).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree


@dataclass
class CellSample:
    dome: np.ndarray      # 1 at a nodule's centre, 0 on the septum between two nodules
    septum: np.ndarray    # 1 on a septum, fading to 0 within about `septum_mm`
    cell_value: np.ndarray  # per-nodule random number in [-1, 1] (nodules differ in signal)
    cell_size: np.ndarray   # per-nodule size factor (bigger nodules bulge more)


class NoduleField:
    def __init__(self, rng: np.random.Generator, lo, hi, spacing_mm: float, septum_mm: float = 1.0):
        lo = np.asarray(lo, dtype=float) - spacing_mm
        hi = np.asarray(hi, dtype=float) + spacing_mm
        # A jittered lattice keeps nodules of similar size without the regularity of a grid.
        axes = [np.arange(a, b, spacing_mm) for a, b in zip(lo, hi)]
        grid = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, 3)
        seeds = grid + rng.uniform(-0.45, 0.45, grid.shape) * spacing_mm
        self.tree = cKDTree(seeds)
        self.value = rng.uniform(-1.0, 1.0, len(seeds)).astype(np.float32)
        self.size = rng.uniform(0.5, 1.5, len(seeds)).astype(np.float32)
        self.septum_mm = float(septum_mm)

    def sample(self, x, y, z) -> CellSample:
        points = np.stack([np.ravel(x), np.ravel(y), np.ravel(z)], axis=1)
        distances, index = self.tree.query(points, k=2, workers=-1)
        f1 = distances[:, 0].astype(np.float32)
        f2 = distances[:, 1].astype(np.float32)
        shape = np.shape(x)
        ratio = 2.0 * f1 / np.maximum(f1 + f2, 1e-6)  # 0 at the seed, 1 on the cell border
        dome = (1.0 - ratio * ratio).reshape(shape)
        septum = np.exp(-(((f2 - f1) / np.float32(self.septum_mm)) ** 2)).reshape(shape)
        nearest = index[:, 0]
        return CellSample(dome, septum, self.value[nearest].reshape(shape), self.size[nearest].reshape(shape))
