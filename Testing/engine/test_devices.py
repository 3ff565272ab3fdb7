"""Device choice: auto follows the hardware, an impossible request is refused plainly, CPU has no autocast."""

from __future__ import annotations

import contextlib

import pytest
import torch

from CirrhosisStaging.devices import autocast_context, select_device
from CirrhosisStaging.errors import InputError

no_cuda = pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA GPU")


def test_auto_picks_cuda_only_when_present():
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert select_device("auto").type == expected
    assert select_device().type == expected


def test_cpu_is_always_available():
    assert select_device("cpu") == torch.device("cpu")
    assert select_device(" CPU ") == torch.device("cpu")


@no_cuda
def test_auto_is_cpu_here():
    assert select_device("auto") == torch.device("cpu")


@no_cuda
def test_cuda_without_gpu_is_refused_with_a_clear_message():
    with pytest.raises(InputError) as caught:
        select_device("cuda")
    assert caught.value.path is None
    assert str(caught.value) == "--device cuda was requested but no CUDA GPU is available"
    with pytest.raises(InputError, match="no CUDA GPU"):
        select_device("cuda:1")


def test_unknown_device_is_refused():
    with pytest.raises(InputError, match="auto, cpu, cuda"):
        select_device("tpu")


@pytest.mark.parametrize("device", ["cpu", torch.device("cpu")])
def test_cpu_autocast_is_a_no_op(device):
    context = autocast_context(device)
    assert isinstance(context, contextlib.nullcontext)
    a = torch.ones(4, 4)
    with context:
        assert not torch.is_autocast_enabled("cpu")
        assert (a @ a).dtype == torch.float32


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_autocast_runs_matmul_in_half_precision():
    a = torch.ones(8, 8, device="cuda")
    with autocast_context("cuda"):
        assert (a @ a).dtype in (torch.float16, torch.bfloat16)
