"""Loading checked weights into memory: only plain tensors, never pickled code (weights_only=True)."""

from __future__ import annotations

import os

from ..errors import InputError
from .manifest import ModelEntry
from .weights import resolve_weights, verify_weights


def load_state_dict(entry: ModelEntry, device="cpu", allow_download: bool = False,
                    cache_dir: str | os.PathLike | None = None) -> dict:
    """The entry's state dict on `device`, after its size and SHA-256 were checked against the manifest.

    A checkpoint saved as {"state_dict": ..., "epoch": ...} gives its inner state dict.
    """
    import pickle

    import torch

    path = resolve_weights(entry, allow_download=allow_download, cache_dir=cache_dir)
    verify_weights(entry, path)
    try:
        loaded = torch.load(path, map_location=device, weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError) as error:
        reason = " ".join(str(error).split())[:200]
        raise InputError(path, f"cannot be loaded as PyTorch weights: {reason}") from None
    if isinstance(loaded, dict) and isinstance(loaded.get("state_dict"), dict):
        loaded = loaded["state_dict"]
    if not isinstance(loaded, dict):
        raise InputError(path, f"holds a {type(loaded).__name__}, not a state dict")
    return loaded
