"""The engine's command line in a separate process: Slicer's GUI never blocks on torch, a crash in the model
cannot take the scene down, and Cancel really stops the work: the whole process tree, launcher and child, within
about a second, without the caller waiting (the engine writes its outputs atomically, so a cancelled run leaves
nothing half-written)."""

from __future__ import annotations

import atexit
import os
import subprocess
import sys
import threading
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path

import CirrhosisStaging

from .process_tree import GRACE_SECONDS, popen_options, stop_process_tree

# The folder that holds the engine package this Lib imported (checkout root or qt-scripted-modules): the engine
# process imports the very same one.
ENGINE_ROOT = Path(CirrhosisStaging.__file__).resolve().parent.parent

# Steps the engine announces (`run --progress-lines`) and the share of the work done when each one starts.
STEP_PROGRESS = {"read": 0.02, "segment_t1": 0.05, "segment_t2": 0.25, "biomarkers": 0.45, "stage": 0.55,
                 "attention": 0.65, "report": 0.8}


@dataclass(eq=False)   # a job is itself, not its fields (kept in a WeakSet)
class EngineJob:
    """One engine command running in the background. Poll `state`/`progress`; `wait()` or `cancel()`."""
    command: list[str]
    state: str = "starting"          # starting, <engine step>, finished, failed, cancelled
    progress: float = 0.0
    error: str | None = None
    output_lines: list[str] = field(default_factory=list)

    def __post_init__(self):
        environment = dict(os.environ)
        environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ENGINE_ROOT), environment.get("PYTHONPATH")]))
        environment.setdefault("PYTHONIOENCODING", "utf-8")
        self._process = subprocess.Popen(self.command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                         encoding="utf-8", errors="replace", env=environment, **popen_options())
        self.started = time.monotonic()
        self._stopper: threading.Thread | None = None
        self._stderr: list[str] = []
        self._readers = [threading.Thread(target=self._read_stdout, daemon=True),
                         threading.Thread(target=self._read_stderr, daemon=True)]
        for reader in self._readers:
            reader.start()
        _LIVE_JOBS.add(self)

    @property
    def running(self) -> bool:
        """True until the engine has ended (after Cancel: until its whole process tree has)."""
        return self._process.poll() is None or (self._stopper is not None and self._stopper.is_alive())

    def wait(self, timeout: float | None = None) -> "EngineJob":
        self._process.wait(timeout)
        if self._stopper is not None:
            self._stopper.join(timeout)
        self._finish()
        return self

    def poll(self) -> bool:
        """True once the process has ended (state updated)."""
        if self.running:
            return False
        self._finish()
        return True

    def cancel(self) -> None:
        """Stop the engine's process tree; returns at once (`running` turns False when it is gone)."""
        if self.state in ("finished", "failed", "cancelled"):
            return
        self.state, self.error = "cancelled", None
        if self._process.poll() is None:
            self._stopper = stop_process_tree(self._process)

    def _finish(self) -> None:
        if self.state == "cancelled":
            return   # output of a cancelled run is not wanted: do not wait for the readers
        for reader in self._readers:
            reader.join(timeout=5)
        if self._process.returncode == 0:
            self.state, self.progress = "finished", 1.0
        else:
            self.state = "failed"
            errors = [line for line in self._stderr if line.startswith("error:")]
            self.error = (errors[-1] if errors else (self._stderr[-1] if self._stderr else
                          f"engine exited with code {self._process.returncode}")).strip()

    def _read_stdout(self) -> None:
        for line in self._process.stdout:
            line = line.rstrip("\n")
            self.output_lines.append(line)
            if line.startswith("step: ") and self.state != "cancelled":
                step = line[len("step: "):].strip()
                self.state = step
                self.progress = max(self.progress, STEP_PROGRESS.get(step, self.progress))

    def _read_stderr(self) -> None:
        for line in self._process.stderr:
            self._stderr.append(line.rstrip("\n"))


# The engine has a process group of its own, so Ctrl+C in the terminal or the end of Slicer / the web server would
# not reach it: whatever still runs when this interpreter exits is stopped.
_LIVE_JOBS: "weakref.WeakSet[EngineJob]" = weakref.WeakSet()


@atexit.register
def _stop_live_jobs() -> None:
    jobs = [job for job in list(_LIVE_JOBS) if job.running]
    for job in jobs:
        job.cancel()
    for job in jobs:
        if job._stopper is not None:
            job._stopper.join(GRACE_SECONDS + 1)


def engine_command(arguments: list[str], python_executable: str | None = None) -> list[str]:
    """The engine CLI run by the given Python (Slicer: PythonSlicer; tests: this interpreter)."""
    return [python_executable or sys.executable, "-m", "CirrhosisStaging.cli.main", *arguments]
