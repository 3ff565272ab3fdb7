"""Sets of sample points in patient coordinates, laid out as a (slices, rows, columns) volume.

An acquisition samples the anatomy at several sub-slices per image slice (averaged later into a
thick slice) and may shift each slice a little (HASTE motion); a reference grid for ground-truth
volumes is one sub-slice per slice and no motion. In both cases the mapping from index to
patient coordinates is affine up to a small per-slice shift, so an organ's bounding box maps to a
conservative block of indices and organs are only evaluated where they can be.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class SamplePoints:
    x: np.ndarray  # (n_sub_slices, rows, columns) patient coordinates, mm, float32
    y: np.ndarray
    z: np.ndarray
    affine: np.ndarray       # 3x3: (column, row, slice-position) index -> patient mm, nominal
    offset: np.ndarray       # patient mm of index (0, 0, 0)
    slice_positions: np.ndarray  # fractional slice index of every sub-slice, increasing
    max_shift_mm: float      # largest per-slice motion shift, for conservative culling
    edge_mm: float           # width over which a surface turns from inside to outside (~ voxel size)

    @property
    def shape(self) -> tuple[int, int, int]:
        return self.x.shape

    @classmethod
    def build(cls, affine, offset, columns: int, rows: int, slice_positions, edge_mm: float,
              shifts=None) -> "SamplePoints":
        """Points at index (i, j, k) -> offset + affine @ (i, j, k) + shifts[k]."""
        affine = np.asarray(affine, dtype=float)
        offset = np.asarray(offset, dtype=float)
        k = np.asarray(slice_positions, dtype=float)
        shifts = np.zeros((len(k), 3)) if shifts is None else np.asarray(shifts, dtype=float)
        starts = offset + k[:, None] * affine[:, 2] + shifts  # (n_sub, 3) patient mm of each sub-slice's first voxel
        i = np.arange(columns, dtype=np.float32)
        j = np.arange(rows, dtype=np.float32)
        coords = []
        for axis in range(3):
            plane = (np.float32(affine[axis, 0]) * i[None, :] + np.float32(affine[axis, 1]) * j[:, None])
            coords.append(starts[:, axis].astype(np.float32)[:, None, None] + plane[None, :, :])
        max_shift = float(np.abs(shifts).max()) * np.sqrt(3) if len(shifts) else 0.0
        return cls(*coords, affine=affine, offset=offset, slice_positions=k,
                   max_shift_mm=max_shift, edge_mm=float(edge_mm))

    def block(self, lo, hi):
        """Index slices covering every sample that can lie in the box [lo, hi] (None if none can)."""
        margin = self.max_shift_mm + self.edge_mm
        lo = np.asarray(lo, dtype=float) - margin
        hi = np.asarray(hi, dtype=float) + margin
        corners = np.array([[a, b, c] for a in (lo[0], hi[0]) for b in (lo[1], hi[1]) for c in (lo[2], hi[2])])
        index = np.linalg.solve(self.affine, (corners - self.offset).T)  # rows: i, j, k
        n_sub, rows, columns = self.shape
        i0, i1 = _span(index[0], columns)
        j0, j1 = _span(index[1], rows)
        k0 = int(np.searchsorted(self.slice_positions, index[2].min(), side="left")) - 1
        k1 = int(np.searchsorted(self.slice_positions, index[2].max(), side="right")) + 1
        k0, k1 = max(k0, 0), min(k1, n_sub)
        if i0 >= i1 or j0 >= j1 or k0 >= k1:
            return None
        return (slice(k0, k1), slice(j0, j1), slice(i0, i1))


def _span(values, length: int) -> tuple[int, int]:
    return max(int(np.floor(values.min())) - 1, 0), min(int(np.ceil(values.max())) + 2, length)
