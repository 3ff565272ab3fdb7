"""The one error type the CLI turns into `error: <file>: <problem>` and exit code 2."""

from __future__ import annotations

import os


class InputError(ValueError):
    """Bad user input: names the offending file and says what is wrong with it, in one line."""

    def __init__(self, path: str | os.PathLike | None, problem: str):
        self.path = None if path is None else os.fspath(path)
        self.problem = " ".join(str(problem).split())  # one line, whatever the cause said
        super().__init__(self.problem if self.path is None else f"{self.path}: {self.problem}")
