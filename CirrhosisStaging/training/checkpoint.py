"""Resumable checkpoints: model, optimizer, AMP scaler and a JSON state, loaded with weights_only=True."""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import InputError
from ..io.atomic import atomic_path
from ..models.torch_files import load_state_into, load_torch_file


def save_checkpoint(path: Path, network, optimizer, scaler, state: dict) -> None:
    import torch

    payload = {"model": network.state_dict(), "optimizer": optimizer.state_dict(), "scaler": scaler.state_dict(),
               "state": json.dumps(state)}
    with atomic_path(path) as temporary:  # a crash mid-save keeps the previous checkpoint
        torch.save(payload, temporary)


def load_checkpoint(path: Path, network, optimizer, scaler) -> dict:
    payload = load_torch_file(path, what="training checkpoint")
    try:
        load_state_into(network, payload["model"], path)
        optimizer.load_state_dict(payload["optimizer"])
        scaler.load_state_dict(payload["scaler"])
        return json.loads(payload["state"])
    except (KeyError, TypeError, ValueError, RuntimeError) as error:
        raise InputError(path, f"is not a checkpoint of this training run ({type(error).__name__}: "
                               f"{str(error).splitlines()[0] if str(error) else ''}); move it away to start "
                               "again, or pass --no-resume") from None


def load_initial_weights(path: Path, network, adapt=None) -> None:
    """Start a new run from earlier weights of the same architecture (fine-tuning); refuse any other shape.
    `adapt(state, target_state, path)` may first reshape what a deliberate change of the recipe needs (a 2.5D
    network given more neighbouring slices: segmentation.training.context_widening)."""
    state = load_torch_file(path)
    if isinstance(state, dict) and "model" in state:
        state = state["model"]   # a run's last.pt works too
    if adapt is not None and isinstance(state, dict):
        state = adapt(state, network.state_dict(), path)
    load_state_into(network, state, path)
