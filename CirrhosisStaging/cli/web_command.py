"""`cirrhosis-staging web --cases DIR|CSV|RELEASE`: the browser reader-study app (trame-slicer), on loopback by
default, one isolated session process per reader (wslink's launcher), answers in a shared SQLite store.

The app lives beside the engine (scripted_modules/LiverCirrhosisWeb, over the Slicer module's Qt-free Lib):
the engine itself never imports trame or slicer; this command loads the app only when asked to serve it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ..errors import InputError

FRONT_ENDS = Path(__file__).resolve().parents[2] / "scripted_modules"
DEFAULT_RESULTS = "reader_answers.sqlite"


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "web", help="serve the reader-study app (views, segment editor, staging, reader answers) in a browser",
        description="Serve a browser app over a list of cases: T1W/T2W in slice and 3D views, liver/spleen "
                    "segments with paint/erase, attention overlay, Stage and Re-stage with the engine, and a "
                    "reader-study mode (the reader's stage and confidence are stored before the model's answer "
                    "reaches the page). Each browser session gets its own process (scene, state, engine), so "
                    "several readers can work at once; their answers go to one SQLite file (--results). "
                    "Needs trame-slicer.")
    parser.add_argument("--cases", required=True,
                        help="a CirrMRI600+ release folder (T1W/T2W paired per patient, reference stages from "
                             "Metadata/), a folder of case folders (t1*/t2* images, optional stage.txt), or a CSV "
                             "with case_id,t1,t2[,stage]")
    parser.add_argument("--split", choices=("train", "valid", "test"),
                        help="with a release folder: only the patients of this split (default: all)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to serve on (default: loopback only; anything else is reachable by others)")
    parser.add_argument("--port", type=int, default=8080, help="the study page's port")
    parser.add_argument("--allowed-host", action="append", default=[], metavar="NAME",
                        help="another host name the readers use to reach this server (Host/Origin checks)")
    parser.add_argument("--results", default=DEFAULT_RESULTS,
                        help=f"SQLite answer store shared by all readers (default: {DEFAULT_RESULTS}); an answers "
                             ".csv of an earlier version is migrated into a .sqlite file beside it")
    parser.add_argument("--reader", default="", help="reader ID pre-filled in the page")
    parser.add_argument("--max-sessions", type=int, default=4,
                        help="reader sessions running at once (each holds 0.6-0.8 GB; default 4)")
    parser.add_argument("--session-port", type=int,
                        help="first port of the sessions (they use the next --max-sessions ports; default: --port + 1)")
    parser.add_argument("--idle-minutes", type=float, default=30.0,
                        help="end a reader's session after this long without activity (default 30)")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    parser.set_defaults(func=run)


def front_ends_on_path() -> None:
    for folder in (FRONT_ENDS, FRONT_ENDS / "LiverCirrhosis"):
        if str(folder) not in sys.path:
            sys.path.insert(0, str(folder))


def answer_store_path(results) -> Path:
    """The SQLite file for --results; a .csv of an earlier version becomes a .sqlite beside it."""
    results = Path(results)
    return results.with_suffix(".sqlite") if results.suffix.lower() == ".csv" else results


def open_answer_store(results):
    """The store, with an earlier version's answers CSV migrated into it (repeatable: nothing is added twice)."""
    from LiverCirrhosisWeb.answer_store import AnswerStore

    results = Path(results)
    store = AnswerStore(answer_store_path(results))
    if results.suffix.lower() == ".csv" and results.exists():
        added = store.import_csv(results)
        print(f"answers now kept in {store.path} ({added} new from {results}; the CSV is left as it was)",
              flush=True)
    return store


def run(args) -> int:
    front_ends_on_path()
    from LiverCirrhosisWeb.cases import list_cases
    from LiverCirrhosisWeb.request_guard import is_loopback

    if args.max_sessions < 1:
        raise InputError("--max-sessions", "must be at least 1")
    cases = list_cases(args.cases, args.split)
    store = open_answer_store(args.results)
    results = store.path.resolve()
    store.close()
    if not is_loopback(args.host):
        print(f"warning: serving on {args.host}, not loopback: anyone who can reach this address can open the "
              "study; use it only on a trusted network", file=sys.stderr, flush=True)
    from LiverCirrhosisWeb.launcher import serve_study

    serve_study(cases, results, args.host, args.port, args.max_sessions, args.session_port or args.port + 1,
                args.reader, args.device, args.idle_minutes, disconnect_seconds=30, extra_names=args.allowed_host)
    return 0
