"""The phantom liver's optional left-lobe tail (a left lateral segment that wraps the spleen)."""

from __future__ import annotations

import numpy as np
import SimpleITK as sitk

from CirrhosisStaging.phantom import ORGAN_CODES, make_case
from CirrhosisStaging.phantom.anatomy import Anatomy

SMALL = 0.5


def _organ_points_mm(case, organ: str) -> np.ndarray:
    """LPS positions of an organ's voxels, relative to the patient (the scanner shift taken off)."""
    k, j, i = np.nonzero(sitk.GetArrayFromImage(case.organ_labels) == ORGAN_CODES[organ])
    image = case.organ_labels
    direction = np.array(image.GetDirection()).reshape(3, 3)
    index = np.stack([i, j, k], axis=1) * np.array(image.GetSpacing())
    return np.array(image.GetOrigin()) + index @ direction.T - case.acquisition.patient_shift


def test_tail_takes_the_liver_around_to_the_left_and_leaves_the_spleen_alone():
    for seed, sequence in ((0, "t2"), (5, "t1")):   # tails differ in length: these two are long ones
        plain = make_case(2, seed, sequence, size_scale=SMALL, with_truth=False)
        tailed = make_case(2, seed, sequence, size_scale=SMALL, with_truth=False, tail_fraction=1.0)
        plain_liver, tailed_liver = _organ_points_mm(plain, "liver"), _organ_points_mm(tailed, "liver")
        # +x is the patient's left: the tail reaches at least 2 cm farther that way, and adds liver
        assert np.percentile(tailed_liver[:, 0], 99) > np.percentile(plain_liver[:, 0], 99) + 20
        assert len(tailed_liver) > 1.1 * len(plain_liver)
        # the spleen is drawn over the liver, so the tail wraps it instead of eating into it
        spleen = ORGAN_CODES["spleen"]
        plain_spleen = sitk.GetArrayFromImage(plain.organ_labels) == spleen
        tailed_spleen = sitk.GetArrayFromImage(tailed.organ_labels) == spleen
        assert (plain_spleen == tailed_spleen).mean() > 0.999


def test_no_tail_by_default_and_each_patient_draws_its_own():
    assert not any(Anatomy(2, seed).has_tail for seed in range(20))
    half = [Anatomy(2, seed, tail_fraction=0.5) for seed in range(20)]
    assert 4 <= sum(anatomy.has_tail for anatomy in half) <= 16
    assert [a.has_tail for a in half] == [Anatomy(2, seed, tail_fraction=0.5).has_tail for seed in range(20)]
    # a patient without a tail is the same patient as before the option existed
    for seed, anatomy in enumerate(half):
        default = Anatomy(2, seed)
        same = all(np.array_equal(a.center, b.center) and np.array_equal(a.radii, b.radii)
                   for a, b in zip(anatomy.liver.lobes, default.liver.lobes))
        assert same != anatomy.has_tail
    seed = next(seed for seed, anatomy in enumerate(half) if not anatomy.has_tail)
    default = make_case(1, seed, "t1", size_scale=0.3, with_truth=False)
    drawn = make_case(1, seed, "t1", size_scale=0.3, with_truth=False, tail_fraction=0.5)
    assert np.array_equal(sitk.GetArrayFromImage(default.image), sitk.GetArrayFromImage(drawn.image))
