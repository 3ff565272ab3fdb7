"""Air-like organ voxels (postprocess.drop_air_like): a black lung or bowel gas labelled liver or spleen is dropped,
while the organ's own dark voxels and a uniformly dark (iron-laden) liver stay, whatever the intensity scale."""

from __future__ import annotations

import numpy as np
import pytest
import SimpleITK as sitk
from synthetic_volumes import make_volume, organ_mask

from CirrhosisStaging.segmentation.postprocess import drop_air_like


def _scan_with_lung_above_the_liver():
    """(image, labels): body at 300, liver at 500 with a dark vessel inside, spleen at 400, an air-dark "lung"
    (value 5 over air 0) above the liver that the labels call liver, and a gas pocket beside the spleen called spleen."""
    image = np.zeros((20, 40, 40), np.float32)
    image[:, 4:36, 4:36] = 300.0
    labels = np.zeros(image.shape, np.uint8)
    image[2:12, 8:24, 8:24] = 500.0
    labels[2:12, 8:24, 8:24] = 1
    image[6, 14:18, 14:18] = 20.0            # a dark vessel (flow void) inside the liver
    image[12:16, 8:24, 8:24] = 5.0           # lung above the dome, labelled liver
    labels[12:16, 8:24, 8:24] = 1
    image[4:10, 26:32, 26:32] = 400.0
    labels[4:10, 26:32, 26:32] = 4
    image[4:10, 32:34, 26:32] = 2.0          # gas beside the spleen, labelled spleen
    labels[4:10, 32:34, 26:32] = 4
    return image, labels


def test_air_dark_regions_labelled_liver_or_spleen_are_dropped_and_enclosed_dark_voxels_stay():
    image, labels = _scan_with_lung_above_the_liver()
    result = drop_air_like(labels, image)
    assert not result[12:16].any()                          # the lung
    assert not result[4:10, 32:34, 26:32].any()             # the gas pocket
    assert (result[2:12, 8:24, 8:24] == 1).all()            # the liver, its dark vessel included
    assert (result[4:10, 26:32, 26:32] == 4).all()          # the spleen
    assert not drop_air_like(np.zeros_like(labels), image).any()


@pytest.mark.parametrize("scale, offset", [(1e-3, 0.0), (40.0, 0.0), (1.0, 1000.0)])
def test_the_rule_reads_the_same_after_any_intensity_scale_or_offset(scale, offset):
    image, labels = _scan_with_lung_above_the_liver()
    assert np.array_equal(drop_air_like(labels, image * scale + offset), drop_air_like(labels, image))


def test_a_uniformly_dark_liver_keeps_every_voxel():
    """Iron overload: the liver at a fifth of its signal (darker than the body around it), vessels bright."""
    image, labels = _scan_with_lung_above_the_liver()
    image[2:12, 8:24, 8:24] = 100.0
    image[6, 14:18, 14:18] = 600.0
    result = drop_air_like(labels, image)
    assert (result[2:12, 8:24, 8:24] == 1).all() and not result[12:16].any()


def test_segment_drops_a_liver_probability_that_spills_into_the_lung():
    """Through the whole mapping (probabilities -> labels on the input grid): a network that calls the black air
    above the organ "liver" does not get it into the mask."""
    from CirrhosisStaging.preprocessing import prepare
    from CirrhosisStaging.segmentation.inference import probabilities_to_labels

    image = make_volume()
    truth = sitk.GetArrayFromImage(organ_mask(image)) == 1
    air = np.zeros_like(truth)
    top = int(np.nonzero(truth.any(axis=(1, 2)))[0].max())
    air[top + 1:top + 4] = truth.any(axis=0)               # three slices of "lung" over the liver, as wide
    array = sitk.GetArrayFromImage(image)
    array[air] = float(np.percentile(array, 1.0))
    dark = sitk.GetImageFromArray(array)
    dark.CopyInformation(image)
    spilled = sitk.GetImageFromArray((truth | air).astype(np.uint8))
    spilled.CopyInformation(image)
    space = prepare(dark, (3.0, 3.0, 5.0))
    liver = sitk.GetArrayFromImage(space.to_model(spilled, "nearest")).astype(np.float32)
    probabilities = np.stack([1 - liver, liver, *[np.zeros_like(liver)] * 3])
    labels = sitk.GetArrayFromImage(probabilities_to_labels(probabilities, space.image, dark, None)) == 1
    assert air.sum() > 100 and (labels & air).sum() < 0.05 * air.sum()
    assert (labels & truth).sum() > 0.9 * truth.sum()
