"""`cirrhosis-staging batch SOURCE --out DIR`: run every case, resumable, with a summary CSV."""

from __future__ import annotations

from .run_command import add_model_arguments


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "batch", help="run many cases (folder, CSV or CirrMRI600+ release); resumable",
        description="Run every case of SOURCE into DIR/<case>/. Cases with a result.json are skipped (resume), "
                    "a failing case is recorded in DIR/failures.json and the rest go on; DIR/summary.csv lists "
                    "them all. SOURCE: a CirrMRI600+ release, a CSV (case,t1,t2[,t1_mask,t2_mask]) or a folder "
                    "of case folders with files named *t1*/*t2* (*mask* for masks).")
    parser.add_argument("source", help="folder, CSV or CirrMRI600+ release")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--split", choices=("train", "valid", "test"), help="release split (default: all)")
    parser.add_argument("--use-release-masks", action="store_true", help="re-stage with the release's masks")
    add_model_arguments(parser)
    parser.set_defaults(func=run)


def run(args) -> int:
    from ..pipeline.batch import run_batch
    from ..pipeline.batch_cases import list_batch_cases
    from ..pipeline.run_case import CasePipeline

    cases = list_batch_cases(args.source, args.split, args.use_release_masks)
    rows = run_batch(cases, args.out, CasePipeline(args.device, args.allow_download))
    failed = [row for row in rows if row["status"] == "failed"]
    print(f"{len(rows) - len(failed)} done, {len(failed)} failed; summary: {args.out}/summary.csv")
    return 1 if failed and len(failed) == len(rows) else 0
