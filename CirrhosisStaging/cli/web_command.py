"""`cirrhosis-staging web --cases DIR|CSV`: the browser reader-study app (trame-slicer), on loopback by default.

The app lives beside the engine (scripted_modules/LiverCirrhosisWeb, over the Slicer module's Qt-free Lib):
the engine itself never imports trame or slicer; this command loads the app only when asked to serve it.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path

FRONT_ENDS = Path(__file__).resolve().parents[2] / "scripted_modules"


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "web", help="serve the reader-study app (views, segment editor, staging, reader answers) in a browser",
        description="Serve a browser app over a list of cases: T1W/T2W in slice and 3D views, liver/spleen "
                    "segments with paint/erase, attention overlay, Stage and Re-stage with the engine, and a "
                    "reader-study mode (the reader's stage and confidence are recorded before the model's answer "
                    "is shown; every answer is appended to --results at once). Needs trame-slicer.")
    parser.add_argument("--cases", required=True,
                        help="folder of case folders (t1*/t2* images, optional stage.txt) or a CSV with "
                             "case_id,t1,t2[,stage]")
    parser.add_argument("--host", default="127.0.0.1", help="address to serve on (default: loopback only)")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--results", default="reader_results.csv", help="reader answers CSV (appended)")
    parser.add_argument("--reader", default="reader-1", help="reader ID pre-filled in the page")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    parser.set_defaults(func=run)


def run(args) -> int:
    for folder in (FRONT_ENDS, FRONT_ENDS / "LiverCirrhosis"):
        if str(folder) not in sys.path:
            sys.path.insert(0, str(folder))
    from LiverCirrhosisWeb.cases import list_cases

    cases = list_cases(args.cases)
    from LiverCirrhosisWeb.app import ReaderStudyApp

    app = ReaderStudyApp(cases, args.results, args.reader, device=args.device)
    # SIGTERM (service managers, `kill`) ends the server as Ctrl+C does, so the app's temporary run folder is
    # removed on the way out instead of being left in the temp directory.
    signal.signal(signal.SIGTERM, _exit_quietly)
    print(f"serving {len(cases)} cases on http://{args.host}:{args.port}/ (answers: {args.results}; "
          f"engine runs in {app.logic.work_folder}, removed on exit)", flush=True)
    app.server.start(host=args.host, port=args.port, open_browser=False, timeout=0)
    return 0


def _exit_quietly(signum, frame):
    raise SystemExit(0)
