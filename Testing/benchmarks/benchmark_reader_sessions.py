"""Load test of the reader study: N readers (default 4) in their own headless Chromium contexts, each opening
and answering different cases at the same time on one `cirrhosis-staging web` server (a CirrMRI600+ phantom
release as --cases). Prints sessions started, answers stored, answers mixed or lost (must be 0), p50/p95 time from
a case click to its staged result, and resident memory per session process.

    .venv/bin/python Testing/benchmarks/benchmark_reader_sessions.py [--readers 4] [--cases-per-reader 1]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from benchmark_web import CHROMIUM_ARGS, _free_port, _rss_mb, _wait_for   # the single-reader benchmark beside

FRONT_ENDS = Path(__file__).resolve().parents[2] / "scripted_modules"
sys.path[:0] = [str(FRONT_ENDS), str(FRONT_ENDS / "LiverCirrhosis")]
STAGES = ("mild", "moderate", "severe")
STATUS = "document.querySelector('#status').innerText"


async def read_cases(browser, url, reader, case_ids, timings, rss, server_pid):
    context = await browser.new_context(viewport={"width": 1200, "height": 800})
    page = await context.new_page()
    page.set_default_timeout(900_000)
    await page.goto(url)
    await page.wait_for_selector(f"#case-{case_ids[0]}")
    await page.fill("#reader-id", reader)
    await page.wait_for_function(f"window.trame.state.get('reader_id') === '{reader}'")
    chosen = {}
    for case_id in case_ids:
        tic = time.monotonic()
        await page.click(f"#case-{case_id}")
        await page.wait_for_function(f"{STATUS}.startsWith('Staged')")
        timings.append(time.monotonic() - tic)
        rss.update(_session_rss(server_pid))
        stage = STAGES[hash((reader, case_id)) % 3]
        await page.click(f"#reader-{stage}")
        await page.click("#reveal-button")
        await page.wait_for_selector("#model-stage")
        chosen[case_id] = stage
    await context.close()
    return chosen


async def run_readers(url, assignments, server_pid):
    from playwright.async_api import async_playwright

    timings, rss = [], {}
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        results = await asyncio.gather(*(read_cases(browser, url, reader, cases, timings, rss, server_pid)
                                         for reader, cases in assignments.items()))
        await browser.close()
    return dict(zip(assignments, results)), timings, rss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--readers", type=int, default=4)
    parser.add_argument("--cases-per-reader", type=int, default=1)
    args = parser.parse_args()
    from CirrhosisStaging.phantom.release_writer import write_release
    from LiverCirrhosisWeb.answer_store import AnswerStore

    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        total = args.readers * args.cases_per_reader
        release = write_release(folder / "release", cases=total, seed=3, healthy=0, size_scale=0.6, with_2d=False,
                                progress=False)
        from LiverCirrhosisWeb.cases import list_cases

        case_ids = [case.case_id for case in list_cases(release)]
        assignments = {f"reader-{r + 1}": case_ids[r::args.readers][:args.cases_per_reader]
                       for r in range(args.readers)}
        port = _free_port()
        results = folder / "answers.sqlite"
        environment = {**os.environ}
        environment.pop("DISPLAY", None)
        server = subprocess.Popen(
            [sys.executable, "-m", "CirrhosisStaging.cli.main", "web", "--cases", str(release), "--port", str(port),
             "--session-port", str(port + 1), "--max-sessions", str(args.readers), "--results", str(results),
             "--device", "cpu"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=environment)
        url = f"http://127.0.0.1:{port}/"
        try:
            _wait_for(url)
            started = time.monotonic()
            chosen, timings, rss = asyncio.run(run_readers(url, assignments, server.pid))
            wall = time.monotonic() - started
        finally:
            server.terminate()
            server.wait(60)
        stored = {(r["reader_id"], r["case_id"]): r["reader_stage"] for r in AnswerStore(results).answers()}
        expected = {(reader, case): stage for reader, cases in chosen.items() for case, stage in cases.items()}
        lost = sum(key not in stored for key in expected)
        mixed = sum(key not in expected or expected[key] != stage for key, stage in stored.items())
        print(f"readers {args.readers}, cases per reader {args.cases_per_reader}, wall {wall:.0f} s "
              f"(CPU, {os.cpu_count()} cores)")
        print(f"sessions started: {len(rss)}; answers stored: {len(stored)} of {len(expected)}; "
              f"mixed: {mixed}; lost: {lost}")
        print(f"case click to staged result: p50 {np.percentile(timings, 50):.1f} s, "
              f"p95 {np.percentile(timings, 95):.1f} s (n={len(timings)})")
        print("resident memory per session (after staging): "
              + ", ".join(f"{mb:.0f} MB" for mb in sorted(rss.values())))


def _session_rss(launcher_pid: int) -> dict[int, float]:
    """VmRSS of each session process (the launcher's children), engine subprocesses not included."""
    children = Path(f"/proc/{launcher_pid}/task/{launcher_pid}/children")
    sizes = {}
    for pid in children.read_text().split() if children.exists() else []:
        try:
            sizes[int(pid)] = _rss_mb(int(pid))
        except FileNotFoundError:
            pass
    return sizes


if __name__ == "__main__":
    main()
