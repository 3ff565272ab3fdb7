"""A training run folder that is either worth resuming or not there at all."""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

from ..models.torch_files import load_torch_file

CHECKPOINT_NAME = "last.pt"


def check_start_weights(out: Path, init_weights, resume: bool) -> None:
    """Load (weights_only) every file a run will start from, before anything is written: a refused file ends
    the command with its one line and no run folder or split.json behind."""
    if init_weights:
        load_torch_file(init_weights)
    checkpoint = Path(out) / CHECKPOINT_NAME
    if resume and checkpoint.exists():
        load_torch_file(checkpoint, what="training checkpoint")


@contextlib.contextmanager
def run_folder(out: Path):
    """Yield `out` (created if missing); a failure before the first checkpoint removes a folder made here."""
    out = Path(out)
    created = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    try:
        yield out
    except BaseException:
        if created and not (out / CHECKPOINT_NAME).exists():
            with contextlib.suppress(OSError):
                shutil.rmtree(out)
        raise
