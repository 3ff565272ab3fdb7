"""Browser tests: the reader-study app served by `cirrhosis-staging web` on 127.0.0.1, driven by Playwright in
Debian's chromium (never a downloaded browser). Server-side rendering is headless (EGL, no display)."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

FRONT_ENDS = Path(__file__).resolve().parents[2] / "scripted_modules"
for _folder in (FRONT_ENDS, FRONT_ENDS / "LiverCirrhosis"):
    if str(_folder) not in sys.path:
        sys.path.insert(0, str(_folder))

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def pytest_collection_modifyitems(config, items):
    if os.environ.get("CIRRHOSIS_STAGING_SKIP_BROWSER") == "1":
        skip = pytest.mark.skip(reason="CIRRHOSIS_STAGING_SKIP_BROWSER=1")
        for item in items:
            if "browser" in str(item.fspath):
                item.add_marker(skip)


@pytest.fixture(scope="session")
def web_cases(tmp_path_factory):
    """Two phantom cases (mild, severe) with reference stages, and one unreadable case."""
    from synthetic_volumes import write_phantom_patient

    root = tmp_path_factory.mktemp("web_cases")
    for number, (stage, name) in enumerate(((1, "mild"), (3, "severe")), start=1):
        folder = root / f"case{number}"
        folder.mkdir()
        write_phantom_patient(folder, stage, 100 + number)   # its *_labels files are not offered as images
        (folder / "stage.txt").write_text(name)
    broken = root / "case3"
    broken.mkdir()
    (broken / "t2.nii.gz").write_bytes(b"not an image")
    return root


@pytest.fixture(scope="session")
def web_server(web_cases, tmp_path_factory):
    """The app on a free loopback port; yields (url, results CSV, startup seconds)."""
    port = _free_port()
    results = tmp_path_factory.mktemp("web_results") / "answers.csv"
    log = results.with_name("server.log")
    environment = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    environment.pop("DISPLAY", None)
    started = time.monotonic()
    with log.open("w") as output:   # the server writes to its own copy of the handle
        process = subprocess.Popen(
            [sys.executable, "-m", "CirrhosisStaging.cli.main", "web", "--cases", str(web_cases), "--port",
             str(port), "--results", str(results), "--reader", "reader-7", "--device", "cpu"],
            stdout=output, stderr=subprocess.STDOUT, env=environment)
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_for(url, process, timeout=120)
        yield url, results, time.monotonic() - started
    finally:
        process.terminate()
        process.wait(20)
    # SIGTERM stops the server cleanly: its temporary engine run folder does not stay behind.
    work_folder = re.search(r"engine runs in (\S+), removed on exit", log.read_text())
    assert work_folder, f"the server did not say where it runs the engine (see {log})"
    assert not Path(work_folder.group(1)).exists(), f"{work_folder.group(1)} left behind after SIGTERM"


@pytest.fixture
def page(web_server):
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian chromium is not installed (scripts/setup_env.sh installs it with apt-get)")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.set_default_timeout(60_000)
        yield page
        browser.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(url, process, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"web server exited with code {process.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer within {timeout} s")
