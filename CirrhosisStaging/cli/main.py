"""`cirrhosis-staging`: one entry point, one module per subcommand, one error convention.

Bad input exits with code 2 and a single `error: <file>: <problem>` line on stderr, no traceback.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys

from .. import __version__
from ..errors import InputError
from ..io.image_limits import DEFAULT_MAX_IMAGE_GB, MAX_IMAGE_GB_ENV
from .quiet import WRITE_FAILURES, closed_pipe_exit, quiet_libraries, set_max_image_gb
from . import (batch_command, check_command, combine_seg_command, dataset_command, evaluate_command, phantom_command,
               preprocess_command, run_command, segment_command, simulate_command, study_export_command,
               train_seg_command, train_stage_command, web_command)

# Each command module exposes `register(subparsers)`, which sets `func` on its parser.
COMMANDS = (run_command, segment_command, batch_command, phantom_command, simulate_command, train_seg_command,
            combine_seg_command,
            train_stage_command, evaluate_command, dataset_command, check_command, preprocess_command, web_command,
            study_export_command)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cirrhosis-staging",
        description="Liver MRI segmentation and cirrhosis staging engine (headless side of the CirrhosisStaging "
                    "3D Slicer extension).")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="show full tracebacks for unexpected errors, and ITK's and Python's warnings")
    parser.add_argument("--max-image-gb", type=float, metavar="GB",
                        help=f"largest volume read, in GB of voxel data (default {DEFAULT_MAX_IMAGE_GB:g}; also "
                             f"${MAX_IMAGE_GB_ENV}); larger headers are refused before reading")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS:
        command.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    quiet_libraries(args.debug)
    try:
        if args.max_image_gb is not None:
            set_max_image_gb(args.max_image_gb)
        status = int(args.func(args) or 0)
        sys.stdout.flush()   # here, not at exit: a closed pipe must be caught below
        return status
    except InputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return closed_pipe_exit()
    except OSError as error:
        if error.errno not in WRITE_FAILURES or args.debug:
            return _internal_error(error, args.debug)
        print(f"error: {os.fspath(error.filename or 'output')}: cannot be written ({os.strerror(error.errno)})",
              file=sys.stderr)
        return 2
    except MemoryError:
        if args.debug:
            raise
        print("error: out of memory; free memory or use smaller inputs (see --max-image-gb)", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # noqa: BLE001 - last resort: one line unless the user asks for more
        return _internal_error(error, args.debug)


def _internal_error(error: Exception, debug: bool) -> int:
    if debug:
        raise error
    reason = " ".join(str(error).split())[:300]
    print(f"error: internal error ({type(error).__name__}: {reason}); rerun with --debug for details", file=sys.stderr)
    return 1


def entry() -> None:
    """The console script: main, then exit without the interpreter's last garbage collections over every object
    PyTorch and MONAI created at import (about 1 s of a 7-10 s `segment` on 2 CPU cores). Files are written and
    streams flushed by then; objects are still released as usual, only cycles among them are left to the OS."""
    status = main()
    gc.freeze()
    sys.exit(status)


if __name__ == "__main__":
    entry()
