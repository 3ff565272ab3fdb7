"""Where and how a series is acquired: image grid, orientation, patient position, slice profile, motion.

T1 is a breath-hold 3D GRE (thin contiguous slices, no motion); T2 a HASTE stack (thick slices,
sometimes with gaps, each slice its own shot and so its own small displacement). The two series
of one patient never share a grid, and because they are unregistered the patient also sits a few
millimetres and a degree or two differently in each.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..io.geometry import Grid
from .sampling import SamplePoints

# Axis conventions seen in practice: DICOM-like LPS, NIfTI files read as RAS (x, y flipped),
# left-right stored mirrored, slices stored head to feet.
_AXIS_FLIPS = ((1, 1, 1), (-1, -1, 1), (-1, 1, 1), (1, 1, -1), (-1, -1, -1))
_AXIS_FLIP_WEIGHTS = (0.45, 0.3, 0.1, 0.1, 0.05)


@dataclass(frozen=True)
class Acquisition:
    sequence: str
    size: tuple[int, int, int]          # columns, rows, slices (SimpleITK order)
    spacing: tuple[float, float, float]  # mm; the last one is slice spacing
    slice_thickness: float              # mm; <= slice spacing (HASTE may leave gaps)
    direction: np.ndarray               # 3x3, columns: index axes in world coordinates
    origin: np.ndarray                  # world mm of voxel (0, 0, 0)
    patient_rotation: np.ndarray        # world = patient_rotation @ patient + patient_shift
    patient_shift: np.ndarray
    sub_slices: int                     # samples through the slice thickness, averaged
    slice_motion: np.ndarray            # (slices, 3) world mm displacement of each slice

    @property
    def grid(self) -> Grid:
        return Grid(tuple(int(v) for v in self.size), tuple(float(v) for v in self.spacing),
                    tuple(float(v) for v in self.origin), tuple(float(v) for v in self.direction.ravel()))

    def sample_points(self) -> SamplePoints:
        """Patient-space sample points: `sub_slices` per slice spread over the slice thickness."""
        columns, rows, slices = self.size
        to_patient = self.patient_rotation.T
        affine = to_patient @ self.direction @ np.diag(self.spacing)
        offset = to_patient @ (self.origin - self.patient_shift)
        n = self.sub_slices
        within = ((np.arange(n) + 0.5) / n - 0.5) * (self.slice_thickness / self.spacing[2])
        positions = (np.arange(slices)[:, None] + within[None, :]).ravel()
        shifts = np.repeat(self.slice_motion @ to_patient.T, n, axis=0)
        return SamplePoints.build(affine, offset, columns, rows, positions,
                                  edge_mm=min(self.spacing[:2]), shifts=shifts)


def plan_acquisition(sequence: str, rng: np.random.Generator, size_scale: float = 1.0) -> Acquisition:
    if sequence not in ("t1", "t2"):
        raise ValueError(f"sequence must be 't1' or 't2', got {sequence!r}")
    if not size_scale > 0:
        raise ValueError(f"size_scale must be positive, got {size_scale!r}")
    if sequence == "t1":
        fov = rng.uniform(330.0, 400.0)
        columns = rng.uniform(150.0, 176.0)
        coverage = rng.uniform(185.0, 225.0)
        slices = coverage / rng.uniform(2.5, 4.0)
        gap = 0.0
    else:
        fov = rng.uniform(340.0, 420.0)
        columns = rng.uniform(176.0, 208.0)
        coverage = rng.uniform(190.0, 240.0)
        gap = rng.choice([0.0, rng.uniform(0.05, 0.2)])
        slices = coverage / (rng.uniform(5.0, 8.0) * (1.0 + gap))
    phase_fraction = rng.uniform(0.75, 0.95)  # rectangular field of view: fewer rows front to back
    columns = max(int(round(columns * size_scale)), 16)
    rows = max(int(round(columns * phase_fraction)), 12)
    slices = max(int(round(slices * size_scale)), 8)
    pixel = fov / columns
    slice_spacing = coverage / slices
    thickness = slice_spacing / (1.0 + gap)
    size = (columns, rows, slices)
    spacing = (pixel, pixel, slice_spacing)

    direction = np.diag(np.array(_AXIS_FLIPS[rng.choice(len(_AXIS_FLIPS), p=_AXIS_FLIP_WEIGHTS)], dtype=float))
    if rng.random() < 0.35:  # slightly oblique slab
        direction = _small_rotation(rng, rng.uniform(1.0, 8.0)) @ direction

    patient_rotation = _small_rotation(rng, rng.uniform(0.0, 2.0))
    patient_shift = np.array([rng.normal(0, 4.0), rng.normal(0, 4.0), rng.uniform(-150.0, 150.0)])
    # centre of the field of view, in patient coordinates: on the liver, give or take
    fov_center = np.array([rng.uniform(-15, 15), rng.uniform(-10, 10), rng.uniform(-5, 8)])
    center_world = patient_rotation @ fov_center + patient_shift
    extent = np.array(spacing) * (np.array(size) - 1)
    origin = center_world - direction @ (extent / 2.0)

    if sequence == "t2":
        sub = int(np.clip(round(thickness / (1.5 * pixel)), 2, 3))
        wobble = rng.uniform(0.3, 1.8)  # mm, in-plane shot-to-shot displacement
        motion = np.column_stack([rng.normal(0, wobble, slices), rng.normal(0, wobble, slices),
                                  rng.normal(0, 0.5 * wobble, slices)])
    else:
        sub = int(np.clip(round(thickness / pixel), 1, 3))
        motion = np.zeros((slices, 3))
    return Acquisition(sequence, size, spacing, float(thickness), direction, origin, patient_rotation,
                       patient_shift, sub, motion)


def _small_rotation(rng: np.random.Generator, degrees: float) -> np.ndarray:
    """Rotation by `degrees` about a random axis (Rodrigues)."""
    axis = rng.normal(size=3)
    axis /= np.linalg.norm(axis)
    angle = np.radians(degrees)
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + np.sin(angle) * k + (1 - np.cos(angle)) * (k @ k)
