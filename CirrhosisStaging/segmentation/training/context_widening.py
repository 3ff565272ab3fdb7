"""Fine-tune a 2.5D network with more neighbouring slices than the weights it starts from.

A 2.5D network takes its slice and `context` neighbours either side as input channels. Weights trained with fewer
neighbours are placed on the centre channels of the wider input layer and the new outer channels start at zero:
the widened network computes exactly what the old one did, and training then learns how much the farther slices
are worth (no restart from random weights, which would throw away every cycle already trained).
"""

from __future__ import annotations

from ...errors import InputError


def widen_input_channels(state: dict, target: dict, path) -> dict:
    """`state` with every tensor whose input channels (dim 1) are an odd number fewer than `target`'s zero-padded
    evenly on both sides; every other tensor as it is (load_state_dict then refuses any other mismatch)."""
    import torch

    widened = dict(state)
    for key, value in state.items():
        wanted = target.get(key)
        if wanted is None or value.dim() < 2 or tuple(value.shape) == tuple(wanted.shape):
            continue
        have, need = int(value.shape[1]), int(wanted.shape[1])
        same_otherwise = value.shape[0] == wanted.shape[0] and value.shape[2:] == wanted.shape[2:]
        if not (same_otherwise and have % 2 == 1 and need % 2 == 1 and need > have):
            continue
        if not _is_input_layer(key, state):
            raise InputError(path, f"weights do not fit this network: {key} has {have} input channels, not {need}")
        padded = torch.zeros(wanted.shape, dtype=value.dtype)
        start = (need - have) // 2
        padded[:, start:start + have] = value
        widened[key] = padded
    return widened


def _is_input_layer(key: str, state: dict) -> bool:
    """Whether `key` belongs to the network's first block (MONAI UNet: 'model.0.'), the only one that sees the
    input slices; deeper layers with a different width mean another architecture, not more context."""
    first = next(iter(state)).split(".")[:2]
    return key.split(".")[:2] == first
