"""Thin-slice scans and a 2.5D network trained on thick slices (slices.slice_spacing_for): a model that asks for it
("min_slice_spacing_mm" in its architecture) sees a thinner scan resampled to that slice spacing, along the axis it
steps through (superior-inferior, also on a coronal scan), and its labels still come back on the scan's own grid."""

from __future__ import annotations

import pytest
import SimpleITK as sitk
from synthetic_volumes import make_volume

from CirrhosisStaging.segmentation.inference import Segmenter
from CirrhosisStaging.segmentation.network import build_network, min_slice_spacing
from CirrhosisStaging.segmentation.slices import THINNEST_TRAINED_SLICE_MM, scan_slice_spacing, slice_spacing_for
from CirrhosisStaging.segmentation.training.publish import with_slice_options

CORONAL = (1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, -1.0, 0.0)   # index j steps down (feet), k steps back
TINY_2D = {"class": "UNet", "spatial_dims": 2, "in_channels": 3, "out_channels": 5, "channels": [4, 8],
           "strides": [2], "num_res_units": 0}


def test_the_slice_spacing_is_the_one_along_the_patients_long_axis():
    assert scan_slice_spacing(make_volume(spacing=(1.5, 1.5, 3.0))) == 3.0
    # a coronal scan: 6-mm slices front to back, 1.5-mm pixels head to foot (the steps an axial 2.5D network takes)
    assert scan_slice_spacing(make_volume(spacing=(1.4, 1.5, 6.0), direction=CORONAL)) == 1.5


@pytest.mark.parametrize("spacing, minimum, expected", [
    ((1.5, 1.5, 3.0), 5.7, (1.5, 1.5, 5.7)),     # thinner: coarsened to the minimum
    ((1.5, 1.5, 7.7), 5.7, (1.5, 1.5, 0.0)),     # thick enough: the scan's own slices
    ((1.5, 1.5, 5.7), 5.7, (1.5, 1.5, 0.0)),
    ((1.5, 1.5, 3.0), 0.0, (1.5, 1.5, 0.0)),     # a model that does not ask
])
def test_only_slices_thinner_than_the_models_minimum_are_resampled(spacing, minimum, expected):
    assert slice_spacing_for((1.5, 1.5, 0.0), make_volume(spacing=spacing), minimum) == expected


def test_a_3d_networks_spacing_is_never_changed():
    assert slice_spacing_for((2.5, 2.5, 5.0), make_volume(spacing=(1.5, 1.5, 2.0)), 5.7) == (2.5, 2.5, 5.0)


@pytest.mark.parametrize("direction", [(1, 0, 0, 0, 1, 0, 0, 0, 1), CORONAL])
def test_a_thin_slice_scan_reaches_the_network_at_the_models_slice_spacing_and_returns_on_its_own_grid(direction):
    image = make_volume(size=(40, 36, 30), spacing=(4.0, 4.0, 2.0), direction=direction)
    network = build_network(dict(TINY_2D))
    asks = Segmenter(network, (4.0, 4.0, 0.0), "cpu", context=1, min_slice_spacing_mm=6.0, edge_radius_mm=None)
    plain = Segmenter(network, (4.0, 4.0, 0.0), "cpu", context=1, edge_radius_mm=None)
    (_, model_image), = asks.model_outputs(image)
    (_, plain_image), = plain.model_outputs(image)
    assert model_image.GetSpacing()[2] == pytest.approx(6.0)
    assert plain_image.GetSpacing()[2] == pytest.approx(scan_slice_spacing(image))
    assert model_image.GetSize()[2] < plain_image.GetSize()[2]
    labels = asks.segment(image).labels
    assert labels.GetSize() == image.GetSize() and labels.GetSpacing() == image.GetSpacing()
    assert labels.GetDirection() == image.GetDirection()


def test_the_option_is_published_in_the_architecture_read_back_at_loading_and_is_not_a_layer():
    from CirrhosisStaging.segmentation.loading import load_segmenter

    published = with_slice_options(TINY_2D, 0.3, 5.7)
    assert published["min_slice_spacing_mm"] == 5.7 and published["slice_smoothing"] == 0.3
    assert "min_slice_spacing_mm" not in with_slice_options(TINY_2D, 0.3)
    build_network(published)
    assert min_slice_spacing(published) == 5.7 and min_slice_spacing(TINY_2D) == 0.0
    # the shipped T2W networks ask for the thinnest slices they trained on
    assert [m.min_slice_spacing_mm for m in load_segmenter("cpu", "liver-spleen-slices-2.5.0").members] == [
        THINNEST_TRAINED_SLICE_MM]
    assert [m.min_slice_spacing_mm for m in load_segmenter("cpu", "liver-spleen-slices-2.4.0").members] == [0.0]
    folds = load_segmenter("cpu", "liver-spleen-folds-1.5.0").members
    assert [m.min_slice_spacing_mm for m in folds] == [THINNEST_TRAINED_SLICE_MM] * 5
