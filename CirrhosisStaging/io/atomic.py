"""Atomic writes: files and whole output folders appear complete or not at all."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import uuid
from pathlib import Path


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike):
    """Yield a temporary path beside `path` (same suffixes, so writers pick the format); rename on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    suffixes = "".join(path.suffixes[-2:]) if path.name.endswith(".nii.gz") else path.suffix
    temporary = path.with_name(f".{path.name.removesuffix(suffixes)}.partial-{uuid.uuid4().hex[:8]}{suffixes}")
    try:
        yield temporary
        os.replace(temporary, path)
    finally:
        if temporary.exists():
            temporary.unlink()


@contextlib.contextmanager
def atomic_directory(path: str | os.PathLike, overwrite: bool = False):
    """Yield a temporary folder beside `path`; it becomes `path` only if the block finishes.

    With `overwrite`, an existing `path` is replaced only after the new content is complete.
    """
    path = Path(path).absolute()
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} already exists")
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(prefix=f".{path.name}.partial-", dir=path.parent))
    try:
        yield temporary
        if path.exists():
            retired = path.with_name(f".{path.name}.old-{uuid.uuid4().hex[:8]}")
            os.replace(path, retired)
            os.replace(temporary, path)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            os.replace(temporary, path)
    finally:
        if temporary.exists():
            shutil.rmtree(temporary, ignore_errors=True)
