"""What keeps the command line's stderr to the one `error:` line: library warnings off, closed pipes quiet."""

from __future__ import annotations

import errno
import math
import os
import sys
import warnings

from ..errors import InputError
from ..io.image_limits import MAX_IMAGE_GB_ENV

# Errors that mean "this output cannot be written", a fact about the user's disk, not a bug.
WRITE_FAILURES = {errno.ENOSPC, errno.EROFS, errno.EDQUOT, errno.EACCES, errno.EPERM}
# What a shell reports for a writer killed by SIGPIPE (`cmd | head`): callers that check it see the usual code.
CLOSED_PIPE_STATUS = 141


def quiet_libraries(debug: bool) -> None:
    """ITK's global WARNING lines (sheared grids, GDCM's "no series found") and Python warnings off, unless --debug."""
    if debug:
        return
    import SimpleITK as sitk

    sitk.ProcessObject.SetGlobalWarningDisplay(False)
    warnings.simplefilter("ignore")


def closed_pipe_exit() -> int:
    """The reader of stdout went away (`check ... | head`): stop quietly, and keep Python's exit flush quiet too."""
    with open(os.devnull, "w") as devnull:
        try:
            os.dup2(devnull.fileno(), sys.stdout.fileno())
        except (OSError, ValueError):
            pass
    return CLOSED_PIPE_STATUS


def set_max_image_gb(gigabytes: float) -> None:
    """--max-image-gb, through the environment so every reader (and any child process) sees the same limit."""
    if not (math.isfinite(gigabytes) and gigabytes > 0):
        raise InputError(None, f"--max-image-gb {gigabytes:g} must be a positive number of gigabytes")
    os.environ[MAX_IMAGE_GB_ENV] = repr(float(gigabytes))
