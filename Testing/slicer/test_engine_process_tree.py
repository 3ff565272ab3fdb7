"""Cancel ends the engine's whole process tree, as Slicer starts it: `PythonSlicer` is a launcher whose child
(`python-real`) does the work, so the test engine is a wrapper process that starts a grandchild, which even
ignores SIGTERM, and waits for it."""

from __future__ import annotations

import os
import sys
import textwrap
import time
from pathlib import Path

import pytest
from LiverCirrhosisLib.engine_process import EngineJob
from LiverCirrhosisLib.process_tree import CREATE_NEW_PROCESS_GROUP, CREATE_NO_WINDOW, popen_options

LAUNCHER = textwrap.dedent("""
    import subprocess, sys
    worker = subprocess.Popen([sys.executable, "-c",
        "import os, signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "print('worker', os.getpid(), flush=True); print('step: segment_t1', flush=True); time.sleep(120)"])
    print("launcher", flush=True)
    sys.exit(worker.wait())
""")


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for its parent to reap it counts as ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def _wait_for(predicate, seconds: float) -> float:
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > seconds:
            raise AssertionError(f"not within {seconds} s")
        time.sleep(0.02)
    return time.monotonic() - start


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads process states from /proc")
def test_cancel_ends_launcher_and_grandchild_within_2_s_without_blocking(tmp_path):
    job = EngineJob([sys.executable, "-c", LAUNCHER])
    _wait_for(lambda: any(line.startswith("worker ") for line in job.output_lines), 30)
    worker = int(next(line for line in job.output_lines if line.startswith("worker ")).split()[1])
    _wait_for(lambda: job.state == "segment_t1", 5)
    launcher = job._process.pid
    assert _alive(worker) and _alive(launcher)

    start = time.monotonic()
    job.cancel()
    assert time.monotonic() - start < 0.5, "cancel() must not wait for the processes (it runs on the GUI thread)"
    assert job.state == "cancelled"
    gone = _wait_for(lambda: not job.running, 2.0)
    assert not _alive(worker) and not _alive(launcher)
    assert gone < 2.0
    assert job.poll() and job.state == "cancelled" and job.error is None
    job.cancel()   # a second Cancel is harmless
    assert job.state == "cancelled"


def test_engine_runs_in_its_own_process_group_and_without_a_console_on_windows():
    assert popen_options("posix") == {"start_new_session": True}
    flags = popen_options("nt")["creationflags"]
    assert flags & CREATE_NO_WINDOW and flags & CREATE_NEW_PROCESS_GROUP
    job = EngineJob([sys.executable, "-c", "import os; print(os.getpgid(0), os.getsid(0))"]).wait(30)
    group, session = map(int, job.output_lines[0].split())
    assert group == job._process.pid == session != os.getpgid(0)
    assert job.state == "finished"


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads process states from /proc")
def test_a_running_engine_is_stopped_when_its_python_exits(tmp_path):
    """Its own process group shields the engine from Ctrl+C: Slicer or the web server exiting must end it."""
    import json
    import subprocess

    script = textwrap.dedent(f"""
        import json, sys, time
        from LiverCirrhosisLib.engine_process import EngineJob
        job = EngineJob([sys.executable, "-c", {LAUNCHER!r}])
        while not any(l.startswith("worker ") for l in job.output_lines):
            time.sleep(0.02)
        worker = int(next(l for l in job.output_lines if l.startswith("worker ")).split()[1])
        print(json.dumps([job._process.pid, worker]), flush=True)
    """)   # ...and exits with the engine still running
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                               env=environment)
    assert completed.returncode == 0, completed.stderr
    launcher, worker = json.loads(completed.stdout.strip().splitlines()[-1])
    _wait_for(lambda: not _alive(worker) and not _alive(launcher), 2.0)
