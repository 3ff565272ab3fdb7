"""Every torch.load in one place: weights_only=True (tensors, never pickled code), and any failure becomes one
InputError line naming the file, whether it is a pickle payload, a truncated download or not PyTorch at all."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import InputError


def load_torch_file(path: str | os.PathLike, map_location="cpu", what: str = "PyTorch weights"):
    """The object stored in `path`, loaded with weights_only=True."""
    import torch

    path = Path(path)
    if not path.is_file():
        raise InputError(path, f"no such {what} file" if not path.exists() else f"is a folder, not a {what} file")
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except Exception as error:  # noqa: BLE001 - unpickling refusals, zip errors, EOF: all mean "not usable weights"
        raise InputError(path, f"cannot be loaded as {what} ({type(error).__name__}: "
                               f"{_first_line(error)}); nothing in it was run") from None


def load_state_into(network, state, path, strict: bool = True) -> None:
    """network.load_state_dict, refusing weights of another shape or architecture in one line."""
    if not isinstance(state, dict):
        raise InputError(path, f"holds a {type(state).__name__}, not a state dict of weights")
    try:
        network.load_state_dict(state, strict=strict)
    except (RuntimeError, KeyError, TypeError, ValueError) as error:
        raise InputError(path, f"weights do not fit this network: {_first_line(error)}") from None


def _first_line(error: Exception) -> str:
    """The reason, without torch's advice to retry with weights_only=False (exactly what must not be done)."""
    text = str(error)
    if "WeightsUnpickler error:" in text:
        text = "refused by the safe unpickler: " + text.split("WeightsUnpickler error:", 1)[1].strip()
    text = " ".join(text.split("\n", 1)[0].split())
    for sentence_end in (". This is", ". If you"):   # zip errors go on with pages of speculation
        text = text.split(sentence_end, 1)[0]
    return (text or type(error).__name__)[:200]
