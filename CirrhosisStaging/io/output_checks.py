"""Checks on an output location made before any computing: a run that cannot write should fail in seconds,
not after minutes of work."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

from ..errors import InputError
from .atomic import remove_stale_partials

# Masks, attention maps, a Slicer segmentation and a report of one case take a few tens of MB at most.
MIN_FREE_BYTES = 200 * 1000**2
# One file each (.mhd and .nhdr keep their voxels in a second file, which the atomic write would leave hidden).
OUTPUT_VOLUME_SUFFIXES = (".nii.gz", ".nii", ".nrrd", ".mha")


def check_output_folder(path, overwrite: bool = False, min_free_bytes: int = MIN_FREE_BYTES) -> None:
    """Refuse an output folder that is a file, exists (without `overwrite`), or cannot be written into."""
    path = Path(path).absolute()
    if path.exists() and not path.is_dir():
        raise InputError(path, "exists and is a file, not a folder; choose another output folder")
    if path.exists() and not overwrite:
        raise InputError(path, "output folder already exists; pass --overwrite to replace it")
    check_writable_parent(path, min_free_bytes)
    remove_stale_partials(path)


def check_output_file(path, overwrite: bool = False, min_free_bytes: int = MIN_FREE_BYTES) -> None:
    """Refuse an output file that is a folder, exists (without `overwrite`: it may hold edits), or cannot be written."""
    path = Path(path).absolute()
    if path.is_dir():
        raise InputError(path, "is a folder; give a file name for this output")
    if path.exists() and not overwrite:
        raise InputError(path, "already exists (it may hold edits); pass --overwrite to replace it")
    check_writable_parent(path, min_free_bytes)


def check_volume_output(path, inputs=(), overwrite: bool = False) -> None:
    """An output volume: a one-file volume format, never one of `inputs` (nor inside an input DICOM folder), then as
    check_output_file."""
    path = Path(path)
    if not path.name.lower().endswith(OUTPUT_VOLUME_SUFFIXES):
        raise InputError(path, f"an output volume's name must end in {', '.join(OUTPUT_VOLUME_SUFFIXES)}")
    check_not_an_input(path, inputs)
    check_output_file(path, overwrite)


def check_not_an_input(path, inputs) -> None:
    """Refuse an output that is one of `inputs` or lies inside one (a DICOM folder), whatever --overwrite says."""
    target = Path(path).resolve()
    for given in inputs:
        source = Path(given).resolve()
        # samefile too: on a case-insensitive disk scan.nii.gz and Scan.nii.gz are one file
        if target == source or source in target.parents or (target.exists() and os.path.samefile(target, source)):
            raise InputError(path, f"is the input {given}; write the output elsewhere")


def check_writable_parent(path, min_free_bytes: int = MIN_FREE_BYTES) -> None:
    """The nearest existing folder above `path` must be a folder we can create files in, with space free."""
    path = Path(path).absolute()
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise InputError(path, f"cannot be created: {parent} is a file, not a folder")
    try:   # a real file, not os.access: root passes access() on a read-only mount, ACLs fool it too
        handle, probe = tempfile.mkstemp(prefix=".cirrhosis-write-probe-", dir=parent)
        os.close(handle)
        os.unlink(probe)
    except OSError as error:
        reason = os.strerror(error.errno) if error.errno else str(error)
        raise InputError(path, f"cannot be written: {parent} is not writable ({reason})") from None
    with contextlib.suppress(OSError):
        free = shutil.disk_usage(parent).free
        if free < min_free_bytes:
            raise InputError(path, f"cannot be written: only {free / 1e6:.0f} MB free on the disk holding {parent} "
                                   f"(at least {min_free_bytes / 1e6:.0f} MB needed)")
