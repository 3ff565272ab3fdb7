"""Loading checked weights into memory: only plain tensors, never pickled code (weights_only=True)."""

from __future__ import annotations

import os

from ..errors import InputError
from .manifest import ModelEntry
from .torch_files import load_torch_file
from .weights import resolve_weights, verify_weights


def load_state_dict(entry: ModelEntry, device="cpu", allow_download: bool = False,
                    cache_dir: str | os.PathLike | None = None) -> dict:
    """The entry's state dict on `device`, after its size and SHA-256 were checked against the manifest.

    A checkpoint saved as {"state_dict": ..., "epoch": ...} gives its inner state dict.
    """
    path = resolve_weights(entry, allow_download=allow_download, cache_dir=cache_dir)
    verify_weights(entry, path)
    loaded = load_torch_file(path, map_location=device)
    if isinstance(loaded, dict) and isinstance(loaded.get("state_dict"), dict):
        loaded = loaded["state_dict"]
    if not isinstance(loaded, dict):
        raise InputError(path, f"holds a {type(loaded).__name__}, not a state dict")
    return loaded
