"""Smooth random fields defined in physical space.

A field lives on a coarse lattice in patient coordinates and is read by trilinear interpolation,
so the same field can be sampled on any image grid: T1 and T2 of one patient see the same texture
and the same organ deformations.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage


class SmoothField:
    """Zero-mean, unit-variance Gaussian random field with correlation length ~`scale_mm`."""

    def __init__(self, rng: np.random.Generator, lo, hi, scale_mm: float, lattice_mm: float | None = None):
        self.lattice_mm = float(lattice_mm or max(scale_mm / 3.0, 1.0))
        self.lo = np.asarray(lo, dtype=float) - 2 * self.lattice_mm
        shape = np.ceil((np.asarray(hi, dtype=float) + 2 * self.lattice_mm - self.lo) / self.lattice_mm).astype(int) + 1
        white = rng.standard_normal(tuple(shape)).astype(np.float32)
        field = ndimage.gaussian_filter(white, sigma=scale_mm / self.lattice_mm, mode="wrap")
        field -= field.mean()
        field /= max(float(field.std()), 1e-12)
        self.values = field

    def __call__(self, x, y, z) -> np.ndarray:
        """Field values at the given points (outside the lattice: value at the nearest edge)."""
        h = np.float32(self.lattice_mm)
        coords = np.stack([np.ravel((x - np.float32(self.lo[0])) / h),
                           np.ravel((y - np.float32(self.lo[1])) / h),
                           np.ravel((z - np.float32(self.lo[2])) / h)])
        out = ndimage.map_coordinates(self.values, coords, order=1, mode="nearest")
        return out.reshape(np.shape(x)).astype(np.float32, copy=False)
