"""Resumable checkpoints: model, optimizer, AMP scaler and a JSON state, loaded with weights_only=True."""

from __future__ import annotations

import json
from pathlib import Path

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
