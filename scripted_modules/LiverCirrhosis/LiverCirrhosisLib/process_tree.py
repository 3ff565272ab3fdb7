"""Start the engine so that it can be stopped whole, and stop it without waiting.

Inside Slicer the engine runs under `PythonSlicer`, a launcher whose child (`python-real`) does the work and
holds the GPU: terminating only the launcher leaves that child running. So the engine gets its own process
group (POSIX) or process group without a console window (Windows), and Cancel ends every process in it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time

# Windows process-creation flags (values from the Windows API; subprocess names them only on Windows).
CREATE_NEW_PROCESS_GROUP = getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0x00000200)
CREATE_NO_WINDOW = getattr(subprocess, "CREATE_NO_WINDOW", 0x08000000)

# How long the engine may take to stop on its own before it is killed; Cancel is done within about this long.
GRACE_SECONDS = 1.0
KILL_SECONDS = 0.5   # at most this long after SIGKILL for the group's last process to be gone


def popen_options(os_name: str = os.name) -> dict:
    """Keyword arguments for subprocess.Popen: a process group of its own, and no console window on Windows."""
    if os_name != "nt":
        return {"start_new_session": True}
    options = {"creationflags": CREATE_NEW_PROCESS_GROUP | CREATE_NO_WINDOW}
    if hasattr(subprocess, "STARTUPINFO"):
        startupinfo = subprocess.STARTUPINFO()
        startupinfo.dwFlags |= subprocess.STARTF_USESHOWWINDOW
        startupinfo.wShowWindow = 0   # SW_HIDE
        options["startupinfo"] = startupinfo
    return options


def stop_process_tree(process: subprocess.Popen, grace_seconds: float = GRACE_SECONDS) -> threading.Thread:
    """Ask `process` and all its descendants to stop, kill whatever is left after `grace_seconds`.

    Returns at once (a GUI calls this); the returned thread ends when the tree is gone.
    """
    stopper = threading.Thread(target=_stop_windows if os.name == "nt" else _stop_posix,
                               args=(process, grace_seconds), daemon=True, name="stop-engine-process-tree")
    stopper.start()
    return stopper


def _stop_posix(process: subprocess.Popen, grace_seconds: float) -> None:
    group = process.pid   # start_new_session made the engine the leader of its own process group
    _signal_group(group, signal.SIGTERM)
    try:
        process.wait(grace_seconds)
    except subprocess.TimeoutExpired:
        pass
    # The launcher may be gone while its child still runs (or ignores SIGTERM): kill the whole group.
    _signal_group(group, signal.SIGKILL)
    process.wait()
    _wait_for_group_to_empty(group, KILL_SECONDS)


def _wait_for_group_to_empty(group: int, seconds: float) -> None:
    """SIGKILL is delivered asynchronously: wait (bounded) until no process of the group still runs, so that the
    tree is really gone when the stopper ends."""
    deadline = time.monotonic() + seconds
    while _group_runs(group) and time.monotonic() < deadline:
        time.sleep(0.01)


def _group_runs(group: int) -> bool:
    """Whether a process of the group still runs. A killed orphan that nobody has reaped yet is a zombie, still
    counted by killpg: where the process table can be read (/proc), zombies are told apart."""
    try:
        os.killpg(group, 0)
    except (ProcessLookupError, PermissionError):
        return False
    if not os.path.isdir("/proc"):
        return True   # macOS: no process table to read; the bound ends the wait
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(os.path.join(entry.path, "stat")) as stat:
                state, _parent, process_group = stat.read().rsplit(")", 1)[1].split()[:3]
        except (OSError, ValueError):
            continue   # ended while being read
        if int(process_group) == group and state not in ("Z", "X"):
            return True
    return False


def _signal_group(group: int, signal_number: int) -> None:
    try:
        os.killpg(group, signal_number)
    except (ProcessLookupError, PermissionError):
        pass


def _stop_windows(process: subprocess.Popen, grace_seconds: float) -> None:
    try:
        import psutil
    except ImportError:
        psutil = None
    if psutil is None:
        # taskkill ships with Windows: /T takes the children (python-real) with the launcher.
        subprocess.run(["taskkill", "/T", "/F", "/PID", str(process.pid)], capture_output=True,
                       creationflags=CREATE_NO_WINDOW)
        process.wait()
        return
    try:
        parent = psutil.Process(process.pid)
        tree = parent.children(recursive=True) + [parent]   # children first: the launcher would not pass it on
    except psutil.NoSuchProcess:
        process.wait()
        return
    for member in tree:
        try:
            member.terminate()
        except psutil.NoSuchProcess:
            pass
    _, alive = psutil.wait_procs(tree, timeout=grace_seconds)
    for member in alive:
        try:
            member.kill()
        except psutil.NoSuchProcess:
            pass
    process.wait()
