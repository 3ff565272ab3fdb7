"""Edge refinement: coarse organ probabilities snap to the image's own edges, sums stay one, thick slices unmixed."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from CirrhosisStaging.segmentation.edge_refinement import guided_filter, radius_voxels, scaled_guide
from CirrhosisStaging.segmentation.metrics import dice


def _disc_scan(seed=0):
    """A bright disc organ on a darker body, fine grid, with noise: (image, truth)."""
    z, y, x = np.mgrid[0:6, 0:96, 0:96]
    truth = (y - 45.5) ** 2 + (x - 50.5) ** 2 < 26.0 ** 2
    image = np.where(truth, 300.0, 180.0) + np.random.default_rng(seed).normal(0, 6, truth.shape)
    return image.astype(np.float32), truth


def test_a_coarse_probability_snaps_to_the_organ_edge_in_the_image():
    image, truth = _disc_scan()
    # What comes back from a network at twice the voxel size: a blurred, slightly shifted probability.
    coarse = ndimage.gaussian_filter(np.roll(truth, 2, axis=2).astype(np.float32), (0, 2.5, 2.5))
    refined = guided_filter(scaled_guide(image), coarse[None], radius_voxels((5.0, 1.25, 1.25), 5.0))[0]
    before, after = dice(coarse > 0.5, truth), dice(refined > 0.5, truth)
    assert after > 0.985 and after > before + 0.01, (before, after)


def test_refined_classes_still_sum_to_one():
    image, truth = _disc_scan(1)
    organ = ndimage.gaussian_filter(truth.astype(np.float32), (0, 3, 3))
    spleen = 0.5 * (1 - organ) * (np.arange(96) > 70)[None, None, :]
    stack = np.stack([1 - organ - spleen, organ, spleen])
    refined = guided_filter(scaled_guide(image), stack, (0, 4, 4))
    assert np.allclose(refined.sum(axis=0), 1.0, atol=1e-4)   # the filter is linear and keeps constants


def test_window_in_voxels_follows_the_spacing_and_leaves_thick_slices_alone():
    assert radius_voxels((7.7, 1.25, 1.25), 5.0) == (0, 4, 4)
    assert radius_voxels((1.5, 1.5, 1.5), 5.0) == (3, 3, 3)
    assert radius_voxels((5.0, 2.5, 2.5), 5.0) == (1, 2, 2)
    image, truth = _disc_scan(2)
    coarse = ndimage.gaussian_filter(truth.astype(np.float32), (0, 2, 2))
    coarse[3] = 0.0   # one slice without the organ: with no window across slices it must stay empty
    refined = guided_filter(scaled_guide(image), coarse[None], radius_voxels((7.7, 1.25, 1.25), 5.0))[0]
    assert np.abs(refined[3]).max() < 1e-4


def test_guide_is_scaled_to_unit_range_by_robust_percentiles():
    image = np.linspace(-100, 900, 1000, dtype=np.float32).reshape(10, 10, 10)
    image[0, 0, 0] = 1e6   # one hot voxel does not squash the scale
    guide = scaled_guide(image)
    assert guide.min() == 0.0 and guide.max() == 1.0 and 0.45 < np.median(guide) < 0.55
