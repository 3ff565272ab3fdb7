"""scripts/round_weights_8bit.py: the 8-bit start of the fine-tunes is close to the weights it rounds, and an
ensemble file splits into its members in order."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import torch

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "round_weights_8bit.py"


def _script():
    sys.path.insert(0, str(SCRIPT.parents[1]))
    spec = importlib.util.spec_from_file_location("round_weights_8bit", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_rounding_moves_each_weight_by_at_most_half_a_step_of_its_channel():
    script = _script()
    torch.manual_seed(0)
    state = {"conv.weight": torch.randn(4, 3, 3, 3) * torch.tensor([1.0, 10.0, 0.01, 0.0])[:, None, None, None],
             "norm.bias": torch.randn(4), "norm.num_batches_tracked": torch.tensor(7)}
    out = script.rounded(state)
    step = state["conv.weight"].reshape(4, -1).abs().amax(dim=1) / 127
    error = (out["conv.weight"] - state["conv.weight"]).reshape(4, -1).abs().amax(dim=1)
    assert torch.all(error <= step / 2 + 1e-7) and torch.any(error > 0)
    assert torch.equal(out["conv.weight"][3], torch.zeros(3, 3, 3))   # an all-zero channel stays zero
    assert out["norm.bias"].dtype == torch.float32 and torch.allclose(out["norm.bias"], state["norm.bias"], atol=1e-2)
    assert torch.equal(out["norm.num_batches_tracked"], torch.tensor(7))
    # Distinct per channel: 127 steps of its own largest value, so every channel keeps its resolution.
    assert len(torch.unique(out["conv.weight"][2])) > 10


def test_an_ensemble_file_splits_into_its_members_in_order(tmp_path):
    script = _script()
    ensemble = {f"{index}.layer.weight": torch.full((2, 2), float(index)) for index in (0, 1, 10, 2)}
    parts = script.members(ensemble)
    assert [float(part["layer.weight"][0, 0]) for part in parts] == [0.0, 1.0, 2.0, 10.0]


def test_the_command_writes_each_members_rounded_weights_and_refuses_a_single_network_as_an_ensemble(tmp_path):
    script = _script()
    torch.manual_seed(0)
    ensemble = {f"{index}.conv.weight": torch.randn(2, 3, 3) for index in range(3)}
    torch.save(ensemble, tmp_path / "ensemble.pt")
    done = subprocess.run([sys.executable, str(SCRIPT), str(tmp_path / "ensemble.pt"), str(tmp_path / "init"),
                           "--members"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    for index in range(3):
        member = torch.load(tmp_path / "init" / f"fold{index}.pt", weights_only=True)
        assert torch.equal(member["conv.weight"], script.rounded({"w": ensemble[f"{index}.conv.weight"]})["w"])
    torch.save({"conv.weight": torch.randn(2, 3)}, tmp_path / "single.pt")
    refused = subprocess.run([sys.executable, str(SCRIPT), str(tmp_path / "single.pt"), str(tmp_path / "x"),
                              "--members"], capture_output=True, text=True)
    assert refused.returncode == 2 and "single.pt" in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "x").exists()


def test_no_rounding_splits_the_members_unchanged(tmp_path):
    """Continuing a published recipe exactly (2.5.0 from 2.4.0's folds): the members as they were trained."""
    torch.manual_seed(1)
    ensemble = {f"{index}.conv.weight": torch.randn(2, 3, 3) for index in range(2)}
    torch.save(ensemble, tmp_path / "ensemble.pt")
    done = subprocess.run([sys.executable, str(SCRIPT), str(tmp_path / "ensemble.pt"), str(tmp_path / "init"),
                           "--members", "--no-rounding"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    for index in range(2):
        member = torch.load(tmp_path / "init" / f"fold{index}.pt", weights_only=True)
        assert torch.equal(member["conv.weight"], ensemble[f"{index}.conv.weight"])
