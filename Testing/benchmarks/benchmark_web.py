"""The reader-study web app: server start time, server memory, and time from a case click to the staged result
(engine in its own process, CPU), measured through Debian's chromium driven by Playwright. Optionally saves
screenshots (the README's come from here).

    .venv/bin/python Testing/benchmarks/benchmark_web.py [--cases 2] [--screenshots Resources]
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from CirrhosisStaging.io import write_image
from CirrhosisStaging.phantom import make_case

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=2)
    parser.add_argument("--screenshots", type=Path, help="folder for web_reader_study.png and web_restaged.png")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        for index in range(args.cases):
            case = folder / "cases" / f"case{index + 1}"
            case.mkdir(parents=True)
            for sequence in ("t1", "t2"):
                write_image(make_case(1 + index % 3, 300 + index, sequence).image, case / f"{sequence}.nii.gz")
        port = _free_port()
        started = time.monotonic()
        server = subprocess.Popen([sys.executable, "-m", "CirrhosisStaging.cli.main", "web", "--cases",
                                   str(folder / "cases"), "--port", str(port), "--results", str(folder / "a.csv"),
                                   "--device", "cpu"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}/"
        try:
            _wait_for(url)
            print(f"server start (process launch to first HTTP answer): {time.monotonic() - started:.1f} s")
            print(f"server memory after start: {_rss_mb(server.pid):.0f} MB")
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                page.set_default_timeout(300_000)
                page.goto(url)
                for index in range(args.cases):
                    tic = time.monotonic()
                    page.click(f"#case-case{index + 1}")
                    page.wait_for_function("document.querySelector('#status').innerText.startsWith('Engine')")
                    page.wait_for_function("document.querySelector('#status').innerText.startsWith('Staged')")
                    print(f"case{index + 1}: click to staged result (load, segment, stage, attention, report): "
                          f"{time.monotonic() - tic:.1f} s; server memory {_rss_mb(server.pid):.0f} MB")
                    tic = time.monotonic()
                    page.click("#restage-button")
                    page.wait_for_function("document.querySelector('#status').innerText.startsWith('Engine')")
                    page.wait_for_function("document.querySelector('#status').innerText.startsWith('Re-staged')")
                    print(f"case{index + 1}: Re-stage click to result: {time.monotonic() - tic:.1f} s")
                if args.screenshots:
                    page.wait_for_timeout(1500)
                    page.screenshot(path=str(args.screenshots / "web_reader_study.png"))
                browser.close()
        finally:
            server.terminate()
            server.wait(20)


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(url, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(url)


if __name__ == "__main__":
    main()
