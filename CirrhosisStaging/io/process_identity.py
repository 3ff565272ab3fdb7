"""Which machine, boot and process left something behind, so that a later run can tell a dead owner from a live one.

A PID alone is not an owner: PIDs are reused (quickly in a container, and from small numbers after every boot), so a
dead run's leftovers would look owned by whatever process got its number. A process's start time (clock ticks since
boot, /proc/PID/stat) is fixed for its life, so "PID START" names one process of one boot. Where /proc cannot tell
(macOS, Windows) start_ticks gives None and callers fall back to asking the OS whether the PID exists.
"""

from __future__ import annotations

import hashlib
import os
import socket
from pathlib import Path

BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


def host_tag() -> str:
    """8 hex characters naming this machine (outputs may sit on a disk that several machines share)."""
    return hashlib.sha1(socket.gethostname().encode()).hexdigest()[:8]


def boot_id() -> str:
    """This boot's id ("-" where the system does not say)."""
    try:
        return BOOT_ID.read_text().strip() or "-"
    except OSError:
        return "-"


def start_ticks(pid: int) -> int | None:
    """When process `pid` started (clock ticks since boot); None when no such process runs (or only its zombie) or
    /proc cannot tell."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return None if fields[0] == "Z" else int(fields[19])   # fields[19]: stat's 22nd field, starttime


def can_tell_start_times() -> bool:
    """Whether this system gives process start times (Linux /proc)."""
    return start_ticks(os.getpid()) is not None


def process_identity(pid: int) -> str:
    """"PID START" of a running process; "" when none runs under `pid` or /proc cannot tell."""
    ticks = start_ticks(pid)
    return "" if ticks is None else f"{pid} {ticks}"


def pid_exists(pid: int) -> bool:
    """Whether some process runs under `pid` (the fallback where start times are unknown: a reused PID reads as
    alive, so leftovers are kept rather than a live run's removed)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True    # someone else's process, or an id we cannot ask about
    return True
