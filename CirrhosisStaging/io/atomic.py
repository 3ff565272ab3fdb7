"""Atomic writes: files and whole output folders appear complete or not at all.

A folder is built in a hidden `.NAME.partial-<host>-<pid>s<start>-*` sibling and moved into place at the end, with
a move that never replaces a folder another run created meanwhile: of two runs racing for one new output, one
wins and the other fails in one line. The partial name says which process made it (its start time too, so a
reused PID does not keep a dead run's folder; process_identity), so a later run removes those whose process died
(SIGKILL, power cut) and leaves live ones alone. A write that fails for lack of
space or permission becomes an InputError naming the output, with nothing left behind.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import time
import uuid
from pathlib import Path

from ..errors import InputError
from .process_identity import can_tell_start_times, host_tag, pid_exists, start_ticks

# Partial folders of the old naming (no owner in the name) are removed once surely abandoned.
_UNOWNED_PARTIAL_AGE_S = 24 * 3600


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike):
    """Yield a temporary path beside `path` (same suffixes, so writers pick the format); rename on success."""
    path = Path(path)
    suffixes = "".join(path.suffixes[-2:]) if path.name.endswith(".nii.gz") else path.suffix
    temporary = path.with_name(f".{path.name.removesuffix(suffixes)}.partial-{uuid.uuid4().hex[:8]}{suffixes}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        yield temporary
        os.replace(temporary, path)
    except OSError as error:
        raise write_failure(path, error, temporary) from None
    finally:
        if temporary.exists():
            temporary.unlink()


@contextlib.contextmanager
def atomic_directory(path: str | os.PathLike, overwrite: bool = False):
    """Yield a temporary folder beside `path`; it becomes `path` only if the block finishes.

    With `overwrite`, an existing `path` is replaced only after the new content is complete. Without it, a
    `path` that appears while the block runs (another run) is kept and this one fails.
    """
    path = Path(path).absolute()
    if path.exists() and not path.is_dir():
        raise InputError(path, "exists and is a file, not a folder; choose another output folder")
    if path.exists() and not overwrite:
        raise InputError(path, "output folder already exists; pass --overwrite to replace it")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_partials(path)
        temporary = Path(tempfile.mkdtemp(prefix=_partial_prefix(path), dir=path.parent))
    except OSError as error:
        raise write_failure(path, error) from None
    try:
        yield temporary
        _move_into_place(temporary, path, overwrite)
    except OSError as error:
        raise write_failure(path, error, temporary) from None
    except InputError as error:
        # A file writer inside the block names its temporary path; the user knows only the output folder.
        if error.path is not None and Path(error.path).is_relative_to(temporary):
            raise InputError(path, error.problem.replace(str(temporary), str(path))) from None
        raise
    finally:
        if temporary.exists():
            shutil.rmtree(temporary, ignore_errors=True)


def write_failure(path: Path, error: OSError, temporary: Path | None = None) -> InputError:
    """One line for a write that failed (disk full, read-only, no permission, ...), naming the final path."""
    reason = os.strerror(error.errno) if error.errno else " ".join(str(error).split())
    if temporary is not None:
        reason = reason.replace(str(temporary), str(path))
    return InputError(path, f"cannot be written ({reason}); nothing was left behind")


def remove_stale_partials(path: str | os.PathLike) -> list[Path]:
    """Delete partial folders of `path` left by dead processes on this machine; returns those removed."""
    path = Path(path).absolute()
    owned = re.compile(rf"^\.{re.escape(path.name)}\.partial-([0-9a-f]{{8}})-(\d+)(?:s(\d+))?-[^/]+$")
    unowned = re.compile(rf"^\.{re.escape(path.name)}\.partial-[A-Za-z0-9_]{{8}}$")
    removed = []
    with contextlib.suppress(OSError):
        for candidate in path.parent.iterdir():
            if not candidate.is_dir() or candidate.is_symlink():
                continue
            match = owned.match(candidate.name)
            if match:
                stale = match.group(1) == host_tag() and not _owner_alive(int(match.group(2)), match.group(3))
            else:
                stale = bool(unowned.match(candidate.name)) and \
                    time.time() - candidate.stat().st_mtime > _UNOWNED_PARTIAL_AGE_S
            if stale:
                shutil.rmtree(candidate, ignore_errors=True)
                removed.append(candidate)
    return removed


def _move_into_place(temporary: Path, path: Path, overwrite: bool) -> None:
    retired = None
    if overwrite and path.exists():
        retired = path.with_name(f".{path.name}.old-{uuid.uuid4().hex[:8]}")
        with contextlib.suppress(FileNotFoundError):   # a racing run may have retired it first
            os.replace(path, retired)
    try:
        _rename_without_replacing(temporary, path)
    except FileExistsError:
        raise InputError(path, "another run created this output folder while this one was computing; its "
                               "result is kept and this run's was discarded (choose another --out)") from None
    finally:
        if retired is not None and retired.exists():
            if path.exists():
                shutil.rmtree(retired, ignore_errors=True)
            else:
                os.replace(retired, path)   # the move failed: the user's previous output stays


def _rename_without_replacing(source: Path, target: Path) -> None:
    """Move `source` to `target`, raising FileExistsError if `target` exists, with no window for a racer."""
    if os.name == "nt":
        os.rename(source, target)   # Windows never replaces an existing folder
        return
    os.mkdir(target)   # the claim: of racing runs, exactly one creates it
    try:
        os.rename(source, target)   # POSIX rename replaces our own empty claim in one step
    except OSError:
        with contextlib.suppress(OSError):
            os.rmdir(target)
        raise


def _partial_prefix(path: Path) -> str:
    ticks = start_ticks(os.getpid())
    return f".{path.name}.partial-{host_tag()}-{os.getpid()}{'' if ticks is None else f's{ticks}'}-"


def _owner_alive(pid: int, ticks: str | None) -> bool:
    """Whether the process that named a partial folder still runs: the same PID with the same start time, or (a
    name without one: older versions, systems without /proc) any process under that PID."""
    if ticks is None or not can_tell_start_times():
        return pid_exists(pid)
    return start_ticks(pid) == int(ticks)
