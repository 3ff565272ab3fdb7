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
