"""Fine-tune a 2.5D network with more neighbouring slices than the weights it starts from.

A 2.5D network takes its slice and `context` neighbours either side as input channels. Weights trained with fewer
neighbours are placed on the centre channels of the wider input layer and the new outer channels start at zero:
the widened network computes exactly what the old one did, and training then learns how much the farther slices
are worth (no restart from random weights, which would throw away every cycle already trained).
"""

from __future__ import annotations

from ...errors import InputError


def widen_input_channels(state: dict, target: dict, path) -> dict:
    """`state` with the input block's tensors zero-padded evenly on both sides of dim 1 (input channels) where
    `target` takes more slices (both counts odd: 2 * context + 1); every other tensor as it is. A tensor outside the
    input block that differs is another architecture: refused in one line, naming it."""
    import torch

    input_block = _block(next(iter(target))) if target else None
    widened = dict(state)
    for key, value in state.items():
        wanted = target.get(key)
        if not (isinstance(value, torch.Tensor) and isinstance(wanted, torch.Tensor)) or value.shape == wanted.shape:
            continue   # load_state_dict reports anything else that does not fit
        have, need = (int(value.shape[1]), int(wanted.shape[1])) if value.dim() >= 2 else (0, 0)
        more_slices = (_block(key) == input_block and value.dim() == wanted.dim() >= 2 and have % 2 == need % 2 == 1
                       and need > have and value.shape[0] == wanted.shape[0] and value.shape[2:] == wanted.shape[2:])
        if not more_slices:
            raise InputError(path, f"weights do not fit this network: {key} has shape {tuple(value.shape)}, "
                                   f"not {tuple(wanted.shape)}")
        padded = torch.zeros(wanted.shape, dtype=value.dtype)
        start = (need - have) // 2
        padded[:, start:start + have] = value
        widened[key] = padded
    return widened


def _block(key: str) -> list[str]:
    """The top-level block a parameter belongs to (MONAI UNet: 'model.0' is the block that sees the input)."""
    return key.split(".")[:2]
