"""Phantom cases: determinism, grids and orientation, anatomy sides, stage effects."""

from __future__ import annotations

import time

import numpy as np
import pytest
import SimpleITK as sitk
from scipy import ndimage

from CirrhosisStaging.io.geometry import Grid
from CirrhosisStaging.phantom import ORGAN_CODES, make_case
from CirrhosisStaging.phantom.acquisition import plan_acquisition
from CirrhosisStaging.phantom.anatomy import patient_rng
from CirrhosisStaging.phantom.generator import _patient_truth, patient_anatomy

SMALL = 0.5  # voxels per axis relative to the default: coarse, fast cases


def _clear_caches():
    patient_anatomy.cache_clear()
    _patient_truth.cache_clear()


def _array(image: sitk.Image) -> np.ndarray:
    return sitk.GetArrayFromImage(image)


def _volume_ml(mask: np.ndarray, image: sitk.Image) -> float:
    return float(mask.sum()) * float(np.prod(image.GetSpacing())) / 1000.0


def _roughness(mask_image: sitk.Image, sigma_mm: float = 6.0) -> float:
    """Surface nodularity seen in a mask: voxels that change when the mask is smoothed, per surface voxel."""
    mask = _array(mask_image).astype(bool)
    sigma = [sigma_mm / s for s in mask_image.GetSpacing()[::-1]]
    smooth = ndimage.gaussian_filter(mask.astype(np.float32), sigma) >= 0.5
    surface = mask ^ ndimage.binary_erosion(mask)
    return float((smooth ^ mask).sum()) / max(int(surface.sum()), 1)


def _centroid_mm(labels: sitk.Image, code: int) -> np.ndarray:
    """Physical (LPS) centre of a label, through the image's own direction matrix."""
    k, j, i = np.nonzero(_array(labels) == code)
    index = np.array([i.mean(), j.mean(), k.mean()])
    return np.array(labels.TransformContinuousIndexToPhysicalPoint(index.tolist()))


@pytest.fixture(scope="module")
def stage_series():
    """T1 of four patients (seeds 0-3) at stages 1, 2 and 3, coarse."""
    return {stage: [make_case(stage, seed, "t1", size_scale=SMALL) for seed in range(4)] for stage in (1, 2, 3)}


def test_same_seed_gives_identical_case_and_other_seed_differs():
    _clear_caches()
    first = make_case(2, 11, "t2", size_scale=0.35)
    _clear_caches()
    again = make_case(2, 11, "t2", size_scale=0.35)
    other = make_case(2, 12, "t2", size_scale=0.35)
    for name in ("image", "liver_mask", "organ_labels"):
        assert np.array_equal(_array(getattr(first, name)), _array(getattr(again, name)))
        assert Grid.of(getattr(first, name)) == Grid.of(getattr(again, name))
    assert first.truth == again.truth
    assert Grid.of(first.image) != Grid.of(other.image)
    assert first.truth != other.truth


def test_types_and_mask_on_image_grid():
    case = make_case(1, 5, "t1", size_scale=0.35)
    assert case.image.GetPixelID() == sitk.sitkFloat32
    assert case.liver_mask.GetPixelID() == sitk.sitkUInt8
    assert case.organ_labels.GetPixelID() == sitk.sitkUInt8
    grid = Grid.of(case.image)
    assert Grid.of(case.liver_mask).matches(grid) and Grid.of(case.organ_labels).matches(grid)
    mask, labels = _array(case.liver_mask), _array(case.organ_labels)
    assert set(np.unique(mask)) == {0, 1}
    assert set(np.unique(labels)) == {0, *ORGAN_CODES.values()}
    assert np.array_equal(mask == 1, labels == ORGAN_CODES["liver"])
    assert np.isfinite(_array(case.image)).all() and _array(case.image).min() >= 0  # magnitude image


def test_t1_and_t2_of_one_patient_share_anatomy_not_grid():
    t1 = make_case(3, 7, "t1", size_scale=SMALL)
    t2 = make_case(3, 7, "t2", size_scale=SMALL)
    g1, g2 = Grid.of(t1.image), Grid.of(t2.image)
    assert g1.size != g2.size and not np.allclose(g1.spacing, g2.spacing) and not np.allclose(g1.origin, g2.origin)
    assert g2.spacing[2] > g1.spacing[2]  # HASTE slices are thicker
    assert t1.truth == t2.truth
    # same liver seen twice: volumes from the two masks agree with the truth within coarse-voxel error
    for case in (t1, t2):
        measured = _volume_ml(_array(case.liver_mask), case.image)
        assert measured == pytest.approx(case.truth["liver_volume_ml"], rel=0.12)


def test_direction_matrices_are_not_always_identity():
    directions = [plan_acquisition(seq, patient_rng(seed, 100, key)).direction
                  for seed in range(12) for key, seq in ((1, "t1"), (2, "t2"))]
    assert any(not np.allclose(d, np.eye(3)) for d in directions)
    assert any(not np.allclose(np.abs(d), np.round(np.abs(d))) for d in directions)  # some oblique
    assert any(np.allclose(d, np.eye(3)) for d in directions)
    for d in directions:
        assert np.allclose(d.T @ d, np.eye(3), atol=1e-9)
        assert abs(d[2, 2]) > 0.95  # still axial slices


def test_organs_on_the_anatomical_sides():
    # LPS: +x is the patient's left, +y the back. The liver is on the right, spleen on the left.
    for seed, sequence in ((0, "t1"), (1, "t2"), (2, "t1"), (3, "t2")):
        case = make_case(seed % 3 + 1, seed, sequence, size_scale=SMALL)
        liver = _centroid_mm(case.organ_labels, ORGAN_CODES["liver"])
        spleen = _centroid_mm(case.organ_labels, ORGAN_CODES["spleen"])
        right_kidney = _centroid_mm(case.organ_labels, ORGAN_CODES["kidney_r"])
        left_kidney = _centroid_mm(case.organ_labels, ORGAN_CODES["kidney_l"])
        shift = case.acquisition.patient_shift  # patient position in the scanner
        assert liver[0] - shift[0] < -20 and spleen[0] - shift[0] > 40
        assert right_kidney[0] < shift[0] < left_kidney[0]
        assert right_kidney[1] > liver[1] and left_kidney[1] > liver[1]  # kidneys behind the liver


def test_healthy_truth_is_realistic():
    for seed in range(3):
        truth = make_case(0, seed, "t2", size_scale=0.3).truth
        assert 1100 < truth["liver_volume_ml"] < 2100
        assert 120 < truth["spleen_volume_ml"] < 300
        assert truth["ascites_volume_ml"] == 0 and truth["nodularity_mm"] == 0
        assert truth["caudate_right_ratio"] < 0.1


def test_stage_effects_grow_from_mild_to_severe(stage_series):
    def mean(stage, measure):
        return np.mean([measure(case) for case in stage_series[stage]])

    spleen_ml = lambda c: _volume_ml(_array(c.organ_labels) == ORGAN_CODES["spleen"], c.image)  # noqa: E731
    roughness = lambda c: _roughness(c.liver_mask)  # noqa: E731
    ratio = lambda c: c.truth["caudate_right_ratio"]  # noqa: E731
    ascites = lambda c: c.truth["ascites_volume_ml"]  # noqa: E731
    for measure in (spleen_ml, roughness, ratio, ascites):
        assert mean(1, measure) < mean(3, measure)
    for measure in (spleen_ml, ratio):
        assert mean(1, measure) < mean(2, measure) < mean(3, measure)
    assert mean(3, lambda c: c.truth["liver_volume_ml"]) < mean(1, lambda c: c.truth["liver_volume_ml"])
    # mild cirrhosis rarely has ascites
    assert sum(case.truth["ascites_volume_ml"] > 0 for case in stage_series[1]) <= 1


def test_same_person_progresses_with_stage():
    truths = [make_case(stage, 21, "t1", size_scale=0.3).truth for stage in (0, 1, 2, 3)]
    for key in ("spleen_volume_ml", "caudate_right_ratio", "nodularity_mm"):
        values = [truth[key] for truth in truths]
        assert values == sorted(values) and values[0] < values[-1]


def test_rejects_unknown_stage_and_sequence():
    with pytest.raises(ValueError):
        make_case(4, 0, "t1")
    with pytest.raises(ValueError):
        make_case(1, 0, "flair")


def test_default_size_case_is_reasonable():
    """Default-scale series have the intended matrix; the time is printed, not asserted."""
    started = time.perf_counter()
    case = make_case(2, 3, "t1")
    elapsed = time.perf_counter() - started
    columns, rows, slices = case.image.GetSize()
    assert 140 <= columns <= 180 and 100 <= rows <= 180 and 40 <= slices <= 95
    assert 1.5 <= case.image.GetSpacing()[0] <= 2.8 and 2.0 <= case.image.GetSpacing()[2] <= 4.5
    print(f"default T1 case {case.image.GetSize()} in {elapsed:.2f} s")
