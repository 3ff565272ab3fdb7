"""Resumable checkpoints: model, optimizer, AMP scaler and a JSON state, loaded with weights_only=True."""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import InputError
from ..io.atomic import atomic_path


def save_checkpoint(path: Path, network, optimizer, scaler, state: dict) -> None:
    import torch

    payload = {"model": network.state_dict(), "optimizer": optimizer.state_dict(), "scaler": scaler.state_dict(),
               "state": json.dumps(state)}
    with atomic_path(path) as temporary:  # a crash mid-save keeps the previous checkpoint
        torch.save(payload, temporary)


def load_checkpoint(path: Path, network, optimizer, scaler) -> dict:
    import torch

    payload = torch.load(path, map_location="cpu", weights_only=True)
    network.load_state_dict(payload["model"])
    optimizer.load_state_dict(payload["optimizer"])
    scaler.load_state_dict(payload["scaler"])
    return json.loads(payload["state"])


def load_initial_weights(path: Path, network) -> None:
    """Start a new run from earlier weights of the same architecture (fine-tuning); refuse any other shape."""
    import torch

    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        if isinstance(state, dict) and "model" in state:
            state = state["model"]   # a run's last.pt works too
        network.load_state_dict(state)
    except (OSError, RuntimeError, KeyError, TypeError) as error:
        raise InputError(path, f"cannot start training from these weights: {str(error).splitlines()[0]}") from None
