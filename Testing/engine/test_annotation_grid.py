"""The drawn slice grid of labels copied (nearest neighbour) onto finer image slices: found from the repeated label
slices; a segmentation exact on the anatomy scores about 1 there, clearly less against the copies."""

from __future__ import annotations

import numpy as np
import SimpleITK as sitk

from CirrhosisStaging.segmentation.annotation_grid import find_annotation_grid
from CirrhosisStaging.segmentation.metrics import dice

IMAGE_MM, DRAWN_MM, DRAWN_OFFSET_MM = 7.7, 9.0, 2.0


def _organ(z_mm) -> np.ndarray:
    """A slanted ellipsoid organ (centre 120 mm, half-height 100 mm, drifting 0.1 mm in y per mm in z, so no two
    slices are alike) sampled on 48 x 48 slices at the given heights."""
    z = np.asarray(z_mm, dtype=float)[:, None, None]
    y, x = np.mgrid[0:48, 0:48]
    radius = 12.0 * np.sqrt(np.clip(1.0 - ((z - 120.0) / 100.0) ** 2, 0.0, None))
    return ((y - 12.0 - 0.1 * z) ** 2 + (x - 23.5) ** 2 < radius ** 2).astype(np.uint8)


def _copied_labels(slices: int = 31):
    """Labels drawn every 9 mm (from 2 mm), copied onto 7.7 mm image slices by nearest neighbour."""
    image_mm = np.arange(slices) * IMAGE_MM
    drawn_index = np.round((image_mm - DRAWN_OFFSET_MM) / DRAWN_MM)
    return _organ(drawn_index * DRAWN_MM + DRAWN_OFFSET_MM), image_mm


def test_the_drawn_spacing_and_slice_positions_are_found_from_the_repeats():
    truth, image_mm = _copied_labels()
    grid = find_annotation_grid(truth)
    assert grid is not None
    assert abs(grid.ratio * IMAGE_MM - DRAWN_MM) < 0.15
    true_positions = (np.round((grid.positions * IMAGE_MM - DRAWN_OFFSET_MM) / DRAWN_MM) * DRAWN_MM
                      + DRAWN_OFFSET_MM) / IMAGE_MM
    assert np.abs(grid.positions - true_positions).max() < 0.2    # in image slices (7.7 mm)
    drawn = grid.labels(truth)
    labelled = drawn[drawn.reshape(len(drawn), -1).any(axis=1)]
    assert not any(np.array_equal(a, b) for a, b in zip(labelled[1:], labelled[:-1]))   # each drawn slice once
    assert len(grid.positions) == len(np.unique(np.round((image_mm - DRAWN_OFFSET_MM) / DRAWN_MM)))


def test_labels_drawn_on_the_image_slices_give_no_grid():
    assert find_annotation_grid(_organ(np.arange(31) * IMAGE_MM)) is None
    assert find_annotation_grid(np.zeros((10, 8, 8), np.uint8)) is None


def test_a_segmentation_exact_on_the_anatomy_scores_one_on_the_drawn_slices_only():
    truth, image_mm = _copied_labels()
    grid = find_annotation_grid(truth)
    on_image_slices = _organ(image_mm)                     # the organ as it is at each image slice's height
    on_drawn_slices = _organ(grid.positions * IMAGE_MM)
    against_copies, on_drawn = dice(on_image_slices, truth), dice(on_drawn_slices, grid.labels(truth))
    assert on_drawn > 0.99 and on_drawn > against_copies + 0.01, (against_copies, on_drawn)


def test_the_reference_image_lies_on_the_drawn_slices():
    truth, image_mm = _copied_labels()
    grid = find_annotation_grid(truth)
    # An image whose value is its height in mm: linear resampling must read back each drawn slice's height.
    image = sitk.GetImageFromArray(np.broadcast_to(image_mm[:, None, None], truth.shape).astype(np.float32))
    image.SetSpacing((1.5, 1.5, IMAGE_MM))
    image.SetOrigin((-10.0, 4.0, 30.0))
    reference = grid.reference(image)
    assert reference.GetSize() == (48, 48, len(grid.positions))
    assert np.allclose(reference.GetSpacing(), (1.5, 1.5, grid.ratio * IMAGE_MM))
    heights = sitk.GetArrayFromImage(reference)[:, 10, 10]
    inside = (grid.positions >= 0) & (grid.positions <= len(image_mm) - 1)
    assert np.allclose(heights[inside], grid.positions[inside] * IMAGE_MM, atol=1e-3)
    assert np.isclose(reference.GetOrigin()[2], 30.0 + grid.positions[0] * IMAGE_MM)
