"""A 2.5D network fine-tuned with more neighbouring slices starts as exactly the network it came from."""

from __future__ import annotations

import pytest
import torch

from CirrhosisStaging.errors import InputError
from CirrhosisStaging.segmentation.network import build_network
from CirrhosisStaging.segmentation.training.context_widening import widen_input_channels
from CirrhosisStaging.training.checkpoint import load_initial_weights

PLANAR = {"class": "UNet", "spatial_dims": 2, "out_channels": 5, "channels": [4, 8], "strides": [2],
          "num_res_units": 1, "norm": "batch"}


def planar(context: int, **changes):
    return build_network(dict(PLANAR, in_channels=2 * context + 1, **changes)).eval()


def test_widened_network_computes_what_the_narrower_one_did(tmp_path):
    torch.manual_seed(0)
    narrow = planar(1)
    torch.save(narrow.state_dict(), tmp_path / "narrow.pt")
    torch.manual_seed(1)
    wide = planar(2)
    load_initial_weights(tmp_path / "narrow.pt", wide, widen_input_channels)
    slices = torch.randn(2, 5, 32, 32)
    with torch.no_grad():
        # The outer neighbours start with zero weight: whatever they hold changes nothing yet.
        assert torch.allclose(wide(slices), narrow(slices[:, 1:4]), atol=1e-5)
        assert torch.allclose(wide(slices), wide(torch.cat([slices[:, :1] * 0 + 7, slices[:, 1:4],
                                                             slices[:, 4:] * 0 - 3], 1)), atol=1e-5)
    first = [key for key in wide.state_dict() if key.startswith("model.0.") and key.endswith("weight")
             and wide.state_dict()[key].dim() == 4]
    assert first and all(wide.state_dict()[key].shape[1] == 5 for key in first)


def test_widening_refuses_another_architecture_in_one_line(tmp_path):
    torch.save(planar(1).state_dict(), tmp_path / "narrow.pt")
    with pytest.raises(InputError) as error:   # wider inside, not only at the input: another network
        load_initial_weights(tmp_path / "narrow.pt", planar(2, channels=[4, 16]), widen_input_channels)
    assert str(tmp_path / "narrow.pt") in str(error.value) and "\n" not in str(error.value)
    with pytest.raises(InputError):   # without the widening step, more context is a shape mismatch
        load_initial_weights(tmp_path / "narrow.pt", planar(2))
    with pytest.raises(InputError) as error:   # other classes: the output layer differs, named in the message
        load_initial_weights(tmp_path / "narrow.pt", planar(1, out_channels=7), widen_input_channels)
    assert "has shape" in str(error.value) and "\n" not in str(error.value)


def test_widening_does_not_depend_on_the_order_of_the_saved_keys(tmp_path):
    torch.manual_seed(0)
    narrow = planar(1)
    torch.save(dict(reversed(list(narrow.state_dict().items()))), tmp_path / "reversed.pt")
    wide = planar(2)
    load_initial_weights(tmp_path / "reversed.pt", wide, widen_input_channels)
    slices = torch.randn(1, 5, 32, 32)
    with torch.no_grad():
        assert torch.allclose(wide(slices), narrow(slices[:, 1:4]), atol=1e-5)


def test_train_seg_widens_a_three_slice_start_to_five_slices(tmp_path):
    """train-seg --context-slices 2 --init-weights <a 3-slice run>: trains, and its network is 5-slice wide with the
    start's centre weights where they were before the first step (the recipe of liver-spleen-slices 2.3.0)."""
    import json

    from synthetic_volumes import write_chaos_folder

    from CirrhosisStaging.cli.main import main

    chaos = write_chaos_folder(tmp_path / "chaos", (1, 2))
    common = ["train-seg", "--chaos", str(chaos), "--val-fraction", "0", "--select-on", "last", "--epochs", "1",
              "--iterations", "1", "--spacing", "8,8,0"]
    assert main([*common, "--context-slices", "1", "--out", str(tmp_path / "three")]) == 0
    assert main([*common, "--context-slices", "2", "--learning-rate", "1e-12", "--init-weights",
                 str(tmp_path / "three" / "best.pt"), "--out", str(tmp_path / "five")]) == 0
    config = json.loads((tmp_path / "five" / "config.json").read_text())
    assert config["architecture"]["in_channels"] == 5 and config["context_slices"] == 2
    three = torch.load(tmp_path / "three" / "best.pt", weights_only=True)
    five = torch.load(tmp_path / "five" / "best.pt", weights_only=True)
    first = next(key for key, value in three.items() if value.dim() == 4 and value.shape[1] == 3)
    assert five[first].shape[1] == 5
    # A vanishing learning rate: the centre channels stay the start's, the outer ones (almost) zero.
    assert torch.allclose(five[first][:, 1:4], three[first], atol=1e-6)
    assert five[first][:, [0, 4]].abs().max() < 1e-6
