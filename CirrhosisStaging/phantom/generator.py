"""One phantom series: a patient (stage + seed) scanned with one sequence on its own grid."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import SimpleITK as sitk

from ..io.geometry import array_to_image
from .acquisition import Acquisition, plan_acquisition
from .anatomy import Anatomy, patient_rng
from .artifacts import average_sub_slices, degrade
from .contrast import sample_contrast
from .render import render
from .truth import measure_truth

# Same organ codes as the CHAOS dataset.
ORGAN_CODES = {"liver": 1, "kidney_r": 2, "kidney_l": 3, "spleen": 4}
_SEQUENCE_KEY = {"t1": 1, "t2": 2}
_GEOMETRY, _CONTRAST, _NOISE = 100, 101, 102  # random stream keys of a series


@dataclass
class PhantomCase:
    stage: int
    seed: int
    sequence: str
    image: sitk.Image          # float32
    liver_mask: sitk.Image     # uint8 0/1, on the image grid
    organ_labels: sitk.Image   # uint8, ORGAN_CODES, on the image grid
    truth: dict = field(default_factory=dict)  # patient ground truth (identical for T1 and T2)
    acquisition: Acquisition | None = None


# T1 and T2 of a patient are made one after the other: they share one anatomy and one truth measurement.
@lru_cache(maxsize=4)
def patient_anatomy(stage: int, seed: int, tail_fraction: float = 0.0) -> Anatomy:
    return Anatomy(stage, seed, tail_fraction)


@lru_cache(maxsize=256)
def _patient_truth(stage: int, seed: int, tail_fraction: float) -> tuple:
    return tuple(measure_truth(patient_anatomy(stage, seed, tail_fraction)).items())


def patient_truth(stage: int, seed: int, tail_fraction: float = 0.0) -> dict:
    return dict(_patient_truth(int(stage), int(seed), float(tail_fraction)))


def make_case(stage: int, seed: int, sequence: str, size_scale: float = 1.0, with_truth: bool = True,
              tail_fraction: float = 0.0) -> PhantomCase:
    """Deterministic for (stage, seed, sequence, size_scale, tail_fraction).

    `size_scale` changes the number of voxels (and so their size), not the anatomy: 0.5 gives
    half as many voxels per axis over the same field of view, for fast tests. `tail_fraction`: the chance of a
    left lobe wrapping the spleen (anatomy.Anatomy).
    """
    stage, seed = int(stage), int(seed)
    if sequence not in _SEQUENCE_KEY:
        raise ValueError(f"sequence must be 't1' or 't2', got {sequence!r}")
    anatomy = patient_anatomy(stage, seed, float(tail_fraction))
    key = _SEQUENCE_KEY[sequence]
    acquisition = plan_acquisition(sequence, patient_rng(seed, _GEOMETRY, key), size_scale)
    contrast = sample_contrast(sequence, patient_rng(seed, _CONTRAST, key), anatomy.effects)
    rendering = render(anatomy.layers, acquisition.sample_points(), contrast)
    anatomy.forget_fields()

    sub = acquisition.sub_slices
    signal = average_sub_slices(rendering.image, sub)
    image = degrade(patient_rng(seed, _NOISE, key), signal, sequence, contrast.mean("liver"))
    fractions = {name: average_sub_slices(rendering.weights[name], sub) for name in ORGAN_CODES}
    liver_mask = (fractions["liver"] >= 0.5).astype(np.uint8)
    labels = _organ_labels(fractions)

    grid = acquisition.grid
    return PhantomCase(
        stage=stage, seed=seed, sequence=sequence,
        image=array_to_image(image, grid),
        liver_mask=array_to_image(liver_mask, grid),
        organ_labels=array_to_image(labels, grid),
        truth=patient_truth(stage, seed, tail_fraction) if with_truth else {},
        acquisition=acquisition,
    )


def _organ_labels(fractions: dict[str, np.ndarray]) -> np.ndarray:
    """Each voxel gets the organ filling most of it, if that organ fills at least half of it."""
    names = list(ORGAN_CODES)
    stack = np.stack([fractions[name] for name in names])
    best = stack.argmax(axis=0)
    codes = np.array([ORGAN_CODES[name] for name in names], dtype=np.uint8)[best]
    return np.where(stack.max(axis=0) >= 0.5, codes, 0).astype(np.uint8)
