"""Image grids (size, spacing, origin, direction) and their comparison.

Every output the engine writes must sit on exactly its input's grid, and T1W/T2W of one patient
never share one, so the grid is an explicit value here rather than something implied by arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import SimpleITK as sitk


@dataclass(frozen=True)
class Grid:
    size: tuple[int, ...]        # (x, y, z) voxels, SimpleITK order
    spacing: tuple[float, ...]   # mm
    origin: tuple[float, ...]    # mm, LPS (ITK convention)
    direction: tuple[float, ...]  # row-major 3x3

    @classmethod
    def of(cls, image: sitk.Image) -> "Grid":
        return cls(
            tuple(int(v) for v in image.GetSize()),
            tuple(float(v) for v in image.GetSpacing()),
            tuple(float(v) for v in image.GetOrigin()),
            tuple(float(v) for v in image.GetDirection()),
        )

    def matches(self, other: "Grid", tolerance: float = 1e-4) -> bool:
        """Same voxels in the same place: sizes equal, the rest equal up to `tolerance` (relative for spacing)."""
        if self.size != other.size:
            return False
        spacing_ok = np.allclose(self.spacing, other.spacing, rtol=tolerance, atol=0)
        origin_ok = np.allclose(self.origin, other.origin, rtol=0, atol=tolerance * max(self.spacing))
        direction_ok = np.allclose(self.direction, other.direction, rtol=0, atol=tolerance)
        return bool(spacing_ok and origin_ok and direction_ok)

    def describe_difference(self, other: "Grid") -> str:
        """Which grid fields differ, for error messages."""
        parts = []
        for name in ("size", "spacing", "origin", "direction"):
            mine, theirs = getattr(self, name), getattr(other, name)
            if name == "size":
                differs = mine != theirs
            else:
                differs = not np.allclose(mine, theirs, rtol=1e-4, atol=1e-4)
            if differs:
                parts.append(f"{name} {_fmt(theirs)} vs {_fmt(mine)}")
        return "; ".join(parts) or "none"

    def apply_to(self, image: sitk.Image) -> sitk.Image:
        """Stamp this grid's geometry on an image of the same size (in place) and return it."""
        if tuple(image.GetSize()) != self.size:
            raise ValueError(f"cannot put a {image.GetSize()} image on a {self.size} grid")
        image.SetSpacing(self.spacing)
        image.SetOrigin(self.origin)
        image.SetDirection(self.direction)
        return image

    @property
    def voxel_volume_ml(self) -> float:
        return float(np.prod(self.spacing)) / 1000.0


# Float32 headers carry about 7 digits; a real shear is far above this.
ORTHOGONALITY_TOLERANCE = 1e-3


def is_orthonormal(direction, tolerance: float = ORTHOGONALITY_TOLERANCE) -> bool:
    """True if the square direction matrix (row-major, any dimension) has unit, mutually orthogonal axes.

    Sheared grids are refused rather than approximated: a mask must sit on exactly its image's grid, and ITK
    and NIfTI writers each turn a shear into a different orthogonal one.
    """
    values = np.asarray(direction, dtype=float)
    n = int(round(np.sqrt(values.size)))
    if n * n != values.size or not np.all(np.isfinite(values)):
        return False
    matrix = values.reshape(n, n)
    return bool(np.abs(matrix.T @ matrix - np.eye(n)).max() <= tolerance)


def _fmt(values) -> str:
    return "(" + ", ".join(f"{v:g}" for v in values) + ")"


def array_to_image(array: np.ndarray, reference: sitk.Image | Grid) -> sitk.Image:
    """A (z, y, x) numpy array as an image on the reference's grid."""
    grid = reference if isinstance(reference, Grid) else Grid.of(reference)
    return grid.apply_to(sitk.GetImageFromArray(array))
