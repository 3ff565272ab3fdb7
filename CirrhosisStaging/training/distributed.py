"""torchrun support: one process per GPU, rank 0 validates and writes checkpoints."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Distributed:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def init_distributed(device_kind: str) -> Distributed:
    """Join the process group torchrun set up (WORLD_SIZE > 1), else a single-process no-op."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size <= 1:
        return Distributed()
    import torch.distributed as dist

    dist.init_process_group("nccl" if device_kind == "cuda" else "gloo")
    return Distributed(dist.get_rank(), world_size, int(os.environ.get("LOCAL_RANK", "0")))


def is_main_process() -> bool:
    """True unless this is a non-zero rank started by torchrun (which sets RANK): what only one process may do,
    such as writing a run's history or publishing its weights."""
    return int(os.environ.get("RANK", "0")) == 0


def init_device(requested: str):
    """(torch.device, Distributed): under torchrun each process takes the GPU of its local rank."""
    import torch

    from ..devices import select_device

    device = select_device(requested)
    setup = init_distributed(device.type)
    if setup.enabled and device.type == "cuda":
        device = torch.device("cuda", setup.local_rank)
        torch.cuda.set_device(device)
    return device, setup


def barrier(setup: Distributed) -> None:
    if setup.enabled:
        import torch.distributed as dist

        dist.barrier()


def shutdown(setup: Distributed) -> None:
    if setup.enabled:
        import torch.distributed as dist

        dist.destroy_process_group()
