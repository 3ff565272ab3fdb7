"""`cirrhosis-staging study-export --results answers.sqlite --out answers.csv|answers.json`: the reader-study
answers on demand (formula-safe), and the agreement summary of every reader and of each one on stdout."""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import InputError
from ..io.output_checks import check_not_an_input, check_output_file
from .web_command import DEFAULT_RESULTS, answer_store_path, front_ends_on_path, open_answer_store


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "study-export", help="export reader-study answers (CSV or JSON) and print the agreement summary",
        description="Read the reader-study answer store written by `web`, write every answer to --out (.csv or "
                    ".json; cells that a spreadsheet would run as formulas are quoted) and print the summary "
                    "(answers, Cohen's kappa, confusion matrices, accuracy against reference stages) as JSON, for "
                    "all readers together and for each reader.")
    parser.add_argument("--results", default=DEFAULT_RESULTS, help="the answer store (.sqlite; an old answers "
                        ".csv is migrated first)")
    parser.add_argument("--out", help="write the answers here (.csv or .json); without it only the summary")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --out file")
    parser.set_defaults(func=run)


def run(args) -> int:
    front_ends_on_path()
    from LiverCirrhosisWeb.answer_export import FORMATS, export_answers
    from LiverCirrhosisWeb.study_records import study_summary

    if not answer_store_path(args.results).exists() and not Path(args.results).exists():
        raise InputError(args.results, "answer store not found")
    if args.out and Path(args.out).suffix.lower() not in FORMATS:
        raise InputError(args.out, "export to a .csv or a .json file")
    if args.out:   # an answers file may have been annotated by hand; the store itself is never the target
        check_not_an_input(args.out, [args.results])
        check_output_file(args.out, args.overwrite)
    store = open_answer_store(args.results)
    try:
        rows = store.answers()
    finally:
        store.close()
    if args.out:
        export_answers(rows, args.out)
    print(json.dumps(study_summary(rows), indent=2))
    return 0
