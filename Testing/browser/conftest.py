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


class StudyServer:
    """`cirrhosis-staging web` (the launcher) on a free loopback port, started in its own process group."""

    def __init__(self, cases, results: Path, *extra):
        self.cases, self.results, self.extra = cases, Path(results), [str(a) for a in extra]
        self.port = _free_port()
        self.session_port = _free_port_range(4)
        self.url = f"http://127.0.0.1:{self.port}/"
        self.process, self.startup_seconds, self.log_text = None, None, ""

    def start(self):
        log = self.results.with_name(f"server-{self.port}.log")
        environment = {**os.environ, "PYTHONIOENCODING": "utf-8"}
        environment.pop("DISPLAY", None)
        started = time.monotonic()
        with log.open("a") as output:   # the server writes to its own copy of the handle
            self.process = subprocess.Popen(
                [sys.executable, "-m", "CirrhosisStaging.cli.main", "web", "--cases", str(self.cases), "--port",
                 str(self.port), "--session-port", str(self.session_port), "--results", str(self.results),
                 "--device", "cpu", *self.extra], stdout=output, stderr=subprocess.STDOUT, env=environment)
        self.log = log
        _wait_for(self.url, self.process, timeout=120)
        self.startup_seconds = time.monotonic() - started
        return self

    def session_pids(self) -> list[int]:
        """The reader-session processes this launcher started (children of its process)."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(30)


@pytest.fixture(scope="session")
def web_server(web_cases, tmp_path_factory):
    """The app on a free loopback port; yields (url, answer store path, startup seconds)."""
    results = tmp_path_factory.mktemp("web_results") / "answers.sqlite"
    server = StudyServer(web_cases, results, "--reader", "reader-7").start()
    try:
        yield server.url, results, server.startup_seconds
    finally:
        server.stop()
    # SIGTERM stops the launcher cleanly: its sessions are ended and its run folder does not stay behind.
    run_folder = re.search(r"session logs in (\S+)/logs, removed on exit", server.log.read_text())
    assert run_folder, f"the server did not say where it keeps its run folder (see {server.log})"
    assert not Path(run_folder.group(1)).exists(), f"{run_folder.group(1)} left behind after SIGTERM"


@pytest.fixture(scope="session")
def browser():
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian chromium is not installed (scripts/setup_env.sh installs it with apt-get)")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, web_server):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    context.close()


def new_reader_page(browser, url):
    """A fresh browser context (its own cookies and storage, as another reader's browser would have)."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(120_000)
    page.goto(url)
    return page


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _free_port_range(count: int) -> int:
    """The first of `count` consecutive free loopback ports."""
    for _ in range(50):
        first = _free_port()
        if all(_port_free(first + i) for i in range(1, count)):
            return first
    raise RuntimeError("no free port range")


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


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
