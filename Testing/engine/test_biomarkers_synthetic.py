"""Biomarkers on analytic shapes: known volumes on any grid, zero-ish nodularity for a smooth
ellipsoid, more for a bumpy one, and the input errors of compute_biomarkers."""

from __future__ import annotations

import math

import numpy as np
import pytest
import SimpleITK as sitk

from CirrhosisStaging.biomarkers import SPLENOMEGALY_THRESHOLD_ML, compute_biomarkers, organ_volumes
from CirrhosisStaging.errors import InputError

LIVER_RADII = (70.0, 55.0, 45.0)  # mm: 725.7 mL
OBLIQUE = tuple(sitk.VersorTransform((0.3, 0.2, 1.0), math.radians(20)).GetMatrix())


def _grid(spacing, fov=(190.0, 160.0, 130.0), direction=None) -> sitk.Image:
    """An empty float image of the field of view `fov` (mm), centred on the world origin."""
    size = [int(round(f / s)) for f, s in zip(fov, spacing)]
    image = sitk.Image(size, sitk.sitkFloat32)
    image.SetSpacing(spacing)
    if direction is not None:
        image.SetDirection(direction)
    centre = image.TransformContinuousIndexToPhysicalPoint([(n - 1) / 2 for n in size])
    image.SetOrigin([-c for c in centre])
    return image


def _world(image: sitk.Image):
    """World x, y, z (mm) of every voxel, as (z, y, x) arrays."""
    size = image.GetSize()
    k, j, i = np.meshgrid(*(np.arange(n, dtype=np.float32) for n in size[::-1]), indexing="ij")
    direction = np.array(image.GetDirection()).reshape(3, 3) * np.array(image.GetSpacing())
    origin = np.array(image.GetOrigin())
    return [origin[a] + direction[a, 0] * i + direction[a, 1] * j + direction[a, 2] * k for a in range(3)]


def _ellipsoid(x, y, z, radii, centre=(0.0, 0.0, 0.0), bump_mm=0.0, wavelength_mm=16.0):
    """Inside of an ellipsoid, its surface optionally pushed out by up to `bump_mm` in a 3D egg-box pattern."""
    (a, b, c), (cx, cy, cz) = radii, centre
    depth = (np.sqrt(((x - cx) / a) ** 2 + ((y - cy) / b) ** 2 + ((z - cz) / c) ** 2) - 1.0) * np.mean(radii)
    w = 2 * np.pi / wavelength_mm
    return depth < bump_mm * np.abs(np.cos(w * x) * np.cos(w * y) * np.cos(w * z))


def _case(spacing, bump_mm=0.0, spleen_radii=None, direction=None):
    """(image, labels): liver ellipsoid (label 1), optional spleen ellipsoid (label 4), noisy image."""
    # with a spleen (centred at x 60, y 30 mm, radii up to 40 x 45 x 50 mm) the field of view grows to hold it
    fov = (190.0, 160.0, 130.0) if spleen_radii is None else (220.0, 200.0, 140.0)
    grid = _grid(spacing, fov=fov, direction=direction)
    x, y, z = _world(grid)
    labels = _ellipsoid(x, y, z, LIVER_RADII, (-15.0, 0.0, 0.0), bump_mm).astype(np.uint8)
    if spleen_radii is not None:
        labels[_ellipsoid(x, y, z, spleen_radii, (60.0, 30.0, 0.0))] = 4
    noise = np.random.default_rng(0).normal(0.0, 10.0, labels.shape)
    return _image(100.0 + 300.0 * (labels > 0) + noise, grid), _image(labels, grid)


def _image(array, grid: sitk.Image) -> sitk.Image:
    image = sitk.GetImageFromArray(array.astype(np.float32 if array.dtype.kind == "f" else np.uint8))
    image.CopyInformation(grid)
    return image


def _ml(radii) -> float:
    return 4.0 / 3.0 * math.pi * float(np.prod(radii)) / 1000.0


def test_volume_of_an_ellipsoid_on_axis_aligned_and_oblique_anisotropic_grids():
    for spacing, direction in (((1.5, 1.5, 1.5), None), ((1.3, 1.1, 4.0), OBLIQUE)):
        _, labels = _case(spacing, direction=direction)
        assert organ_volumes(labels)["liver_volume_ml"] == pytest.approx(_ml(LIVER_RADII), rel=0.015)


def test_resampling_a_mask_to_an_oblique_anisotropic_grid_keeps_its_volume():
    _, labels = _case((1.25, 1.25, 1.25), spleen_radii=(40.0, 45.0, 50.0))
    target = _grid((1.4, 1.2, 5.0), fov=(240.0, 220.0, 160.0), direction=OBLIQUE)
    moved = sitk.Resample(labels, target, sitk.Transform(), sitk.sitkNearestNeighbor, 0, sitk.sitkUInt8)
    before, after = organ_volumes(labels), organ_volumes(moved)
    for key in ("liver_volume_ml", "spleen_volume_ml", "liver_spleen_volume_ratio"):
        assert after[key] == pytest.approx(before[key], rel=0.02)


def test_smooth_ellipsoid_has_near_zero_nodularity_and_bumps_raise_it():
    # measured (1.5 mm pixels): smooth 0.15 mm, bumps of 3 mm 0.33 mm; with 7 mm slices 0.14 / 0.28
    for spacing in ((1.5, 1.5, 1.5), (1.5, 1.5, 7.0)):
        smooth = compute_biomarkers(*_case(spacing))
        bumpy = compute_biomarkers(*_case(spacing, bump_mm=3.0))
        assert smooth["surface_nodularity_mm"] < 0.2, spacing  # thick-slice staircase must not count
        assert bumpy["surface_nodularity_mm"] > 1.7 * smooth["surface_nodularity_mm"], spacing
        assert bumpy["surface_nodularity_p90_mm"] > smooth["surface_nodularity_p90_mm"], spacing


def test_splenomegaly_flag_and_ratio_follow_the_spleen_volume():
    small_radii, big_radii = (35.0, 40.0, 40.0), (40.0, 45.0, 50.0)  # 234.6 and 377.0 mL
    small = organ_volumes(_case((2.0, 2.0, 4.0), spleen_radii=small_radii)[1])
    big = organ_volumes(_case((2.0, 2.0, 4.0), spleen_radii=big_radii)[1])
    assert small["spleen_volume_ml"] == pytest.approx(_ml(small_radii), rel=0.02)
    assert big["spleen_volume_ml"] == pytest.approx(_ml(big_radii), rel=0.02)
    assert small["splenomegaly"] is False and big["splenomegaly"] is True
    assert small["splenomegaly_threshold_ml"] == SPLENOMEGALY_THRESHOLD_ML == 314.5
    assert big["liver_spleen_volume_ratio"] == pytest.approx(big["liver_volume_ml"] / big["spleen_volume_ml"])
    assert small["spleen_truncated"] is False and small["liver_truncated"] is False


def test_liver_cut_by_the_field_of_view_is_flagged_and_its_cut_not_counted_as_nodularity():
    image, labels = _case((2.0, 2.0, 5.0))
    whole = compute_biomarkers(image, labels)
    start, size = (20, 0, 8), (75, 80, 18)  # cuts the liver in-plane (left side) and below
    cut = compute_biomarkers(sitk.RegionOfInterest(image, size, start), sitk.RegionOfInterest(labels, size, start))
    assert whole["liver_truncated"] is False and cut["liver_truncated"] is True
    assert cut["liver_volume_ml"] < 0.85 * whole["liver_volume_ml"]
    assert cut["surface_nodularity_mm"] == pytest.approx(whole["surface_nodularity_mm"], abs=0.05)


def test_empty_liver_and_bad_label_maps_raise_input_errors():
    image, labels = _case((4.0, 4.0, 8.0), spleen_radii=(35.0, 40.0, 40.0))
    empty = sitk.Image(labels.GetSize(), sitk.sitkUInt8)
    empty.CopyInformation(labels)
    spleen_only = sitk.Cast(labels == 4, sitk.sitkUInt8) * 4
    for bad in (empty, spleen_only):
        with pytest.raises(InputError, match="liver mask is empty") as caught:
            compute_biomarkers(image, bad)
        assert caught.value.path is None
    shifted = sitk.Image(labels)
    shifted.SetOrigin([o + 10.0 for o in labels.GetOrigin()])
    with pytest.raises(InputError, match="grid"):
        compute_biomarkers(image, shifted)
