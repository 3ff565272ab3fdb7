"""2.5D segmentation networks (2D, neighbouring slices as channels, the scan's own slices): stacking, inference on
the input's grid, training batches, a training run and publishing. Tiny networks: the weights do not matter here."""

from __future__ import annotations

import json

import numpy as np
import pytest
import SimpleITK as sitk
import torch
from synthetic_volumes import OBLIQUE, make_volume, write_training_items

from CirrhosisStaging.io import Grid
from CirrhosisStaging.segmentation.inference import Segmenter, window_for_spacing
from CirrhosisStaging.segmentation.network import build_network
from CirrhosisStaging.segmentation.slices import context_slices, slice_probabilities, slice_stack

TINY_2D = {"class": "UNet", "spatial_dims": 2, "in_channels": 3, "out_channels": 5, "channels": [4, 8],
           "strides": [2], "num_res_units": 0}


class _ChannelEcho(torch.nn.Module):
    """Logits that put class c's evidence on input channel c: shows which slices the network was given."""

    def forward(self, stack):
        logits = torch.full((stack.shape[0], 5, *stack.shape[2:]), -1e4)
        logits[:, 1:4] = stack * 100.0
        return logits


def test_a_stack_is_the_slice_and_its_neighbours_in_order_with_edges_repeated():
    volume = np.arange(5)[:, None, None] * np.ones((5, 2, 3))
    assert slice_stack(volume, 2, 1)[:, 0, 0].tolist() == [1, 2, 3]
    assert slice_stack(volume, 0, 2)[:, 0, 0].tolist() == [0, 0, 0, 1, 2]
    assert slice_stack(volume, 4, 1)[:, 0, 0].tolist() == [3, 4, 4]


def test_context_comes_from_the_architecture():
    assert context_slices(TINY_2D) == 1
    assert context_slices(dict(TINY_2D, in_channels=5)) == 2
    assert context_slices(dict(TINY_2D, spatial_dims=3, in_channels=1)) is None
    with pytest.raises(ValueError, match="odd number"):
        context_slices(dict(TINY_2D, in_channels=2))


def test_every_slice_gets_its_own_neighbours_and_odd_sizes_come_back_uncropped():
    """A slice is marked by which class wins: slice k wins class 1 when k-1 is marked, 2 for k itself, 3 for k+1."""
    depth, height, width = 11, 13, 19   # not multiples of 16, more slices than one batch
    volume = np.zeros((depth, height, width), np.float32)
    volume[5] = 1.0
    probabilities = slice_probabilities(_ChannelEcho(), volume, 1, "cpu")
    assert probabilities.shape == (5, depth, height, width)
    assert np.allclose(probabilities.sum(axis=0), 1.0, atol=1e-5)
    winners = probabilities.argmax(axis=0)[:, 0, 0]
    assert winners[4] == 3 and winners[5] == 2 and winners[6] == 1
    assert np.all(probabilities[1:4, [0, 1, 2, 3, 7, 8, 9, 10]] < 0.5)   # tie between classes 1-3 elsewhere


def test_a_2_5d_segmenter_keeps_the_scans_own_slices_and_writes_on_the_input_grid():
    image = make_volume(direction=OBLIQUE, origin=(5.0, -3.0, 40.0))
    torch.manual_seed(0)
    segmenter = Segmenter(build_network(TINY_2D), (3.0, 3.0, 0.0), "cpu", context=1)
    assert segmenter.window_zyx is None
    from CirrhosisStaging.preprocessing import prepare, to_canonical

    model_image = prepare(image, segmenter.spacing_xyz).image
    assert model_image.GetSpacing()[2] == pytest.approx(to_canonical(image).GetSpacing()[2])
    assert model_image.GetSpacing()[:2] == pytest.approx((3.0, 3.0))
    probabilities = segmenter.probabilities(sitk.GetArrayFromImage(model_image))
    assert probabilities.shape == (5, *sitk.GetArrayFromImage(model_image).shape)
    result = segmenter.segment(image)
    assert Grid.of(result.labels) == Grid.of(image) and result.labels.GetPixelID() == sitk.sitkUInt8


def test_window_for_the_scans_own_slices_is_in_plane_only():
    assert window_for_spacing((1.5, 1.5, 0.0)) == (224, 224)
    assert window_for_spacing((2.5, 2.5, 5.0)) == (32, 128, 128)


@pytest.fixture(scope="module")
def toy_items(tmp_path_factory):
    return write_training_items(tmp_path_factory.mktemp("slices"))


def test_2_5d_batches_are_slice_stacks_with_the_middle_slices_labels(toy_items):
    from CirrhosisStaging.segmentation.training.batches import BatchStream, epoch_batches
    from CirrhosisStaging.segmentation.training.volumes import prepare_volume

    volumes = [prepare_volume(item, (6.0, 6.0, 0.0), 5) for item in toy_items]
    stream = BatchStream(volumes, np.array([0.5, 0.5]), (16, 16), batch_size=4, batches=3, seed=3, epoch=0, rank=0,
                         shape="deform", context=2)
    batches = list(epoch_batches(stream, 0))
    assert len(batches) == 3
    for images, labels, labelled in batches:
        assert images.shape == (4, 5, 16, 16) and labels.shape == (4, 16, 16) and labelled.shape == (4, 5)
        assert torch.isfinite(images).all() and set(labels.unique().tolist()) <= set(range(5))
    assert any(labels.any() for _, labels, _ in batches)   # slices with organs are drawn
    again = list(epoch_batches(stream, 0))
    assert all(torch.equal(a[0], b[0]) for a, b in zip(batches, again))


def test_a_2_5d_run_trains_validates_and_publishes_a_loadable_model(tmp_path, toy_items, monkeypatch):
    from CirrhosisStaging.models import MANIFEST_ENV
    from CirrhosisStaging.segmentation.loading import load_segmenter
    from CirrhosisStaging.segmentation.training.publish import publish_segmentation
    from CirrhosisStaging.segmentation.training.trainer import TrainingConfig, train_segmentation

    three_d = dict(TINY_2D, spatial_dims=3, in_channels=1)
    config = TrainingConfig(out_dir=tmp_path / "run", spacing_xyz=(6.0, 6.0, 0.0), architecture=three_d, epochs=2,
                            iterations_per_epoch=2, batch_size=4, device="cpu", select_on="toy", context_slices=1)
    assert config.architecture["spatial_dims"] == 2 and config.architecture["in_channels"] == 3
    assert config.patch_zyx == (64, 64)   # 320 mm at 6 mm, in plane only
    history = train_segmentation(config, toy_items[:1], toy_items[1:], progress=False)
    assert [r["epoch"] for r in history] == [1, 2] and 0.0 <= history[-1]["val_dice_liver@toy"] <= 1.0
    (tmp_path / "run" / "split.json").write_text(json.dumps({"train": ["toy-0"], "validation": ["toy-1"]}))
    manifest = tmp_path / "models" / "manifest.json"
    manifest.parent.mkdir()
    publish_segmentation(tmp_path / "run", "liver-slices", "0.1.0", "toy volumes", manifest_path=manifest)
    monkeypatch.setenv(MANIFEST_ENV, str(manifest))
    segmenter = load_segmenter("cpu", "liver-slices")
    assert segmenter.context == 1 and segmenter.spacing_xyz == (6.0, 6.0, 0.0)
    image = make_volume(seed=5)
    assert Grid.of(segmenter.segment(image).labels) == Grid.of(image)


def test_planar_architecture_refuses_a_2d_network_with_other_channels():
    from CirrhosisStaging.segmentation.training.trainer import planar_architecture

    assert planar_architecture(TINY_2D, 1) == TINY_2D
    with pytest.raises(ValueError, match="cannot take 2 slices"):
        planar_architecture(TINY_2D, 2)


@pytest.mark.parametrize("arguments, accepted", [
    (["--spacing", "1.5,1.5,0", "--context-slices", "1"], True),
    (["--spacing", "1.5,1.5,0"], False),               # a 3D network needs a slice spacing
    (["--spacing", "0,1.5,3", "--context-slices", "1"], False),
    (["--context-slices", "-1"], False),
])
def test_train_seg_takes_the_scans_own_slices_only_for_2_5d(tmp_path, capsys, arguments, accepted):
    from CirrhosisStaging.cli.main import main

    code = main(["train-seg", "--out", str(tmp_path / "run"), *arguments])
    error = capsys.readouterr().err.strip()
    if accepted:   # gets past the options to the missing data
        assert code == 2 and "no training data" in error
    else:
        assert code == 2 and error.startswith("error: --") and "\n" not in error
        assert not (tmp_path / "run").exists()
