"""`cirrhosis-staging`: one entry point, one module per subcommand, one error convention.

Bad input exits with code 2 and a single `error: <file>: <problem>` line on stderr, no traceback.
"""

from __future__ import annotations

import argparse
import sys

from .. import __version__
from ..errors import InputError
from . import (batch_command, check_command, combine_seg_command, dataset_command, evaluate_command, phantom_command,
               preprocess_command, run_command, segment_command, study_export_command, train_seg_command,
               train_stage_command, web_command)

# Each command module exposes `register(subparsers)`, which sets `func` on its parser.
COMMANDS = (run_command, segment_command, batch_command, phantom_command, train_seg_command, combine_seg_command,
            train_stage_command, evaluate_command, dataset_command, check_command, preprocess_command, web_command,
            study_export_command)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cirrhosis-staging",
        description="Liver MRI segmentation and cirrhosis staging engine (headless side of the CirrhosisStaging "
                    "3D Slicer extension).")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--debug", action="store_true", help="show full tracebacks for unexpected errors")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS:
        command.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except InputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # noqa: BLE001 - last resort: one line unless the user asks for more
        if args.debug:
            raise
        print(f"error: internal error ({type(error).__name__}: {error}); rerun with --debug for details",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
