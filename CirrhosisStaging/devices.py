"""Choosing where models run (CPU or CUDA GPU) and the mixed precision that goes with it."""

from __future__ import annotations

import contextlib

from .errors import InputError

DEVICE_CHOICES = ("auto", "cpu", "cuda")


def select_device(requested: str = "auto"):
    """torch.device for --device: "auto" (a CUDA GPU when there is one, else CPU), "cpu", "cuda" or "cuda:N".

    Asking for CUDA on a machine without one is refused rather than silently run on the CPU, which would
    take minutes instead of seconds.
    """
    import torch

    choice = str(requested or "auto").strip().lower()
    if choice == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if choice == "cpu":
        return torch.device("cpu")
    if choice == "cuda" or choice.startswith("cuda:"):
        if not torch.cuda.is_available():
            raise InputError(None, f"--device {choice} was requested but no CUDA GPU is available")
        device = torch.device(choice)
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise InputError(None, f"--device {choice} was requested but only "
                                   f"{torch.cuda.device_count()} CUDA GPU(s) are available")
        return device
    raise InputError(None, f"--device must be one of {', '.join(DEVICE_CHOICES)} (got {requested!r})")


def autocast_context(device, dtype=None):
    """Mixed precision on CUDA (bfloat16 where the GPU supports it, else float16); a no-op context on CPU.

    CPU autocast is left off on purpose: on the CPUs this runs on it is rarely faster and changes results.
    """
    import torch

    device = torch.device(device)
    if device.type != "cuda":
        return contextlib.nullcontext()
    if dtype is None:
        dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.autocast(device_type="cuda", dtype=dtype)
