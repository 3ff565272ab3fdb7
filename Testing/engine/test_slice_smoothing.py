"""Averaging a 2.5D network's probabilities across neighbouring slices (slices.smooth_across_slices): the weights,
the axis it runs along on the input grid, the quality evidence taken before it, and the models that ask for it."""

from __future__ import annotations

import numpy as np
import pytest
import SimpleITK as sitk
from synthetic_volumes import make_volume, organ_mask

from CirrhosisStaging.preprocessing import prepare
from CirrhosisStaging.segmentation.inference import _slice_axis, outputs_to_segmentation
from CirrhosisStaging.segmentation.network import build_network, slice_smoothing
from CirrhosisStaging.segmentation.slices import NEIGHBOUR_SLICE_WEIGHT, smooth_across_slices

CORONAL = (1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, -1.0, 0.0)   # index j steps down (feet), k steps back: slices A-P


def test_each_slice_is_averaged_with_its_neighbours_and_the_edges_stand_in_for_missing_ones():
    column = np.array([0.0, 0.0, 1.0, 0.0, 0.5])[None, :, None, None]
    smoothed = smooth_across_slices(column, 0.3)[0, :, 0, 0]
    assert smoothed == pytest.approx([0.0, 0.3, 0.4, 0.45, 0.5 * 0.7])
    probabilities = np.random.default_rng(0).dirichlet(np.ones(5), size=(6, 4, 3)).transpose(3, 0, 1, 2)
    assert np.allclose(smooth_across_slices(probabilities, 0.3).sum(axis=0), 1.0)
    assert smooth_across_slices(probabilities, 0.0) is probabilities
    along_x = smooth_across_slices(probabilities.transpose(0, 3, 2, 1), 0.3, axis=3)
    assert np.allclose(along_x, smooth_across_slices(probabilities, 0.3).transpose(0, 3, 2, 1))


@pytest.mark.parametrize("direction, axis", [(None, 0), (CORONAL, 1)])
def test_the_smoothing_runs_along_the_scans_own_slice_axis_on_the_input_grid(direction, axis):
    """A 2.5D model space keeps the scan's own slices in a canonical (axial-first) order: on a coronal scan its slice
    axis is the array's y axis, not z."""
    image = make_volume() if direction is None else make_volume(direction=direction)
    assert _slice_axis(image) == axis


def _one_slice_spur_outputs():
    """(outputs, image, liver, spur): a liver the network is sure of, plus a spur it calls liver at 0.6 in one slice
    only, joined to the liver (so the largest-piece clean-up keeps it)."""
    image = make_volume()
    liver = sitk.GetArrayFromImage(organ_mask(image)) == 1
    slices = np.nonzero(liver.any(axis=(1, 2)))[0]
    middle = int(slices[len(slices) // 2])
    spur = np.zeros_like(liver)
    ys, xs = np.nonzero(liver[middle])
    spur[middle, ys.min():ys.max() + 1, xs.max() + 1:xs.max() + 6] = True
    probability = np.where(liver, 0.97, np.where(spur, 0.6, 0.02)).astype(np.float32)
    organs = np.stack([probability, *[np.zeros_like(probability)] * 3])
    space = prepare(image, (image.GetSpacing()[0], image.GetSpacing()[1], 0.0))
    model = np.stack([sitk.GetArrayFromImage(space.to_model(_like(image, channel), "linear")) for channel in organs])
    probabilities = np.concatenate([1.0 - model.sum(axis=0, keepdims=True), model])
    return [(probabilities, space.image)], image, liver, spur


def _like(image, array):
    result = sitk.GetImageFromArray(array.astype(np.float32))
    result.CopyInformation(image)
    return result


def test_a_liver_spur_in_one_slice_only_is_dropped_and_the_quality_evidence_is_the_networks_own():
    outputs, image, liver, spur = _one_slice_spur_outputs()
    plain, plain_evidence = outputs_to_segmentation(outputs, image, None)
    smoothed, smoothed_evidence = outputs_to_segmentation(outputs, image, None, [NEIGHBOUR_SLICE_WEIGHT])
    plain, smoothed = (sitk.GetArrayFromImage(labels) == 1 for labels in (plain, smoothed))
    assert spur.sum() > 20 and (plain & spur).sum() > 0.9 * spur.sum()
    assert (smoothed & spur).sum() < 0.1 * spur.sum()
    assert (smoothed & liver).sum() > 0.9 * liver.sum()
    assert smoothed_evidence.uncertain_share == plain_evidence.uncertain_share


def test_only_models_whose_manifest_entry_asks_for_it_are_smoothed_and_the_key_is_not_a_layer():
    from CirrhosisStaging.segmentation.loading import load_segmenter

    tiny = {"class": "UNet", "spatial_dims": 2, "in_channels": 3, "out_channels": 5, "channels": [4, 8],
            "strides": [2], "num_res_units": 0, "slice_smoothing": 0.3}
    build_network(tiny)
    assert slice_smoothing(tiny) == 0.3 and slice_smoothing({"class": "UNet"}) == 0.0
    assert [m.slice_smoothing for m in load_segmenter("cpu", "liver-spleen-slices-2.5.0").members] == [0.3]
    assert [m.slice_smoothing for m in load_segmenter("cpu", "liver-spleen-slices-2.4.0").members] == [0.0]
