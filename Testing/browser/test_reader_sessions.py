"""Several readers at once on a CirrMRI600+ release folder: one session process each (their own reader id,
case and answers), the model's stage kept out of the browser state until the reader's answer is stored, a
formula-like reader id exported as text, foreign origins refused at the WebSocket upgrade, and a launcher killed
with SIGKILL between two answers and restarted (nothing lost, nothing duplicated)."""

from __future__ import annotations

import csv
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import StudyServer, new_reader_page

FORMULA_READER = '=HYPERLINK("http://evil.example","x")'
STATUS = "document.querySelector('#status').innerText"
MODEL_STAGE_IN_STATE = "window.trame.state.get('model_stage')"


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    from CirrhosisStaging.phantom.release_writer import write_release

    return write_release(tmp_path_factory.mktemp("release") / "CirrMRI600+", cases=2, seed=0, healthy=0,
                         size_scale=0.6, with_2d=False, progress=False)


@pytest.fixture(scope="module")
def study(release, tmp_path_factory):
    server = StudyServer(release, tmp_path_factory.mktemp("study") / "answers.sqlite", "--max-sessions", "3").start()
    yield server
    server.stop()


def _answers(path):
    from LiverCirrhosisWeb.answer_store import AnswerStore

    store = AnswerStore(path)
    try:
        return store.answers()
    finally:
        store.close()


def _type_reader(page, reader):
    page.fill("#reader-id", reader)
    page.wait_for_function(f"window.trame.state.get('reader_id') === {json.dumps(reader)}")


def _wait_staged(page):
    page.wait_for_function(f"{STATUS}.startsWith('Staged')", timeout=300_000)


def test_two_readers_each_keep_their_own_session(browser, study):
    first, second = new_reader_page(browser, study.url), new_reader_page(browser, study.url)
    for page in (first, second):
        page.wait_for_selector("#case-1001")
    assert page.inner_text("#progress").startswith("0 / 2")
    _type_reader(first, "reader-TAB1")
    _type_reader(second, FORMULA_READER)
    assert first.input_value("#reader-id") == "reader-TAB1"     # the other reader's typing is not shared
    assert len(study.session_pids()) == 2

    first.click("#case-1001")
    second.click("#case-1002")
    for page in (first, second):
        _wait_staged(page)
        assert page.evaluate(MODEL_STAGE_IN_STATE) in ("", None)    # staged, but not in the browser yet
        assert not page.is_visible("#model-stage")
    assert first.evaluate("window.trame.state.get('case_index')") == 0
    assert second.evaluate("window.trame.state.get('case_index')") == 1

    first.click("#reader-severe")
    first.click("#reveal-button")
    first.wait_for_selector("#model-stage")
    assert second.evaluate(MODEL_STAGE_IN_STATE) in ("", None)       # one reader's reveal is not the other's
    second.click("#reader-mild")
    second.click("#reveal-button")
    second.wait_for_selector("#model-stage")

    rows = {(r["reader_id"], r["case_id"]): r for r in _answers(study.results)}
    assert sorted(rows) == sorted([("reader-TAB1", "1001"), (FORMULA_READER, "1002")])
    assert rows[("reader-TAB1", "1001")]["reader_stage"] == "severe"
    assert rows[(FORMULA_READER, "1002")]["reader_stage"] == "mild"
    # Reference stages come from the release's Metadata CSVs (plan of seed 0: 1001 mild, 1002 moderate).
    assert rows[("reader-TAB1", "1001")]["truth_stage"] == "mild"
    assert rows[(FORMULA_READER, "1002")]["truth_stage"] == "moderate"
    assert first.input_value("#reader-id") == "reader-TAB1"
    assert second.input_value("#reader-id") == FORMULA_READER
    for page in (first, second):
        page.context.close()

    exported = study.results.with_name("answers.csv")
    result = subprocess.run([sys.executable, "-m", "CirrhosisStaging.cli.main", "study-export", "--results",
                             str(study.results), "--out", str(exported)], capture_output=True, text=True, check=True)
    cells = {row["case_id"]: row["reader_id"] for row in csv.DictReader(exported.open(encoding="utf-8"))}
    assert cells == {"1001": "reader-TAB1", "1002": "'" + FORMULA_READER}   # text in a spreadsheet, not a formula
    summary = json.loads(result.stdout)
    assert summary["all_readers"]["answers"] == 2 and summary["all_readers"]["with_reference"] == 2


def test_foreign_origin_is_refused_at_the_websocket_upgrade(study):
    page_origin = study.url.rstrip("/")
    request = urllib.request.Request(study.url + "paraview/", data=b'{"application": "trame", "secret": "mine"}',
                                     headers={"Origin": page_origin, "Content-Type": "application/json"})
    session = json.load(urllib.request.urlopen(request, timeout=150))
    assert session["secret"] not in ("mine", "wslink-secret") and len(session["secret"]) >= 32
    port = int(session["sessionURL"].rsplit(":", 1)[1].split("/")[0])
    own_host = f"127.0.0.1:{port}"

    assert _upgrade_status(port, own_host, "http://evil.example") == 403
    assert _upgrade_status(port, own_host, "http://127.0.0.1:1") == 403          # another local page
    assert _upgrade_status(port, own_host, None) == 403                            # no Origin: not the page
    assert _upgrade_status(port, "evil.example", page_origin) == 403              # DNS rebinding
    assert _upgrade_status(port, own_host, page_origin) == 101                    # the study page itself

    foreign = urllib.request.Request(study.url + "paraview/", data=b'{"application": "trame"}',
                                     headers={"Origin": "http://evil.example"})
    with pytest.raises(urllib.error.HTTPError, match="403"):
        urllib.request.urlopen(foreign, timeout=10)
    with pytest.raises(urllib.error.HTTPError, match="403"):
        urllib.request.urlopen(urllib.request.Request(study.url, headers={"Host": "evil.example"}), timeout=10)


def test_sigkill_between_two_answers_loses_and_duplicates_nothing(browser, study):
    """Runs after the two readers above: reader-TAB1's first answer is stored; the launcher is killed, restarted,
    and the same reader goes on with the next case."""
    sessions = study.session_pids()
    study.process.send_signal(signal.SIGKILL)
    study.process.wait(10)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(os.path.exists(f"/proc/{pid}") and _alive(pid) for pid in sessions):
        time.sleep(0.5)
    assert not any(_alive(pid) for pid in sessions), "reader sessions outlived their killed launcher"
    killed_folder = Path(re.findall(r"session logs in (\S+)/logs", study.log.read_text())[-1])
    assert killed_folder.exists()                            # SIGKILL: it could not remove its own

    study.start()                                            # same port, same answer store
    assert not killed_folder.exists(), "the restarted launcher left the killed one's keys and logs behind"
    page = new_reader_page(browser, study.url)
    page.wait_for_selector("#case-1002")
    _type_reader(page, "reader-TAB1")
    page.wait_for_function("document.querySelector('#progress').innerText.startsWith('1 / 2')")
    page.click("#case-1002")
    _wait_staged(page)
    page.click("#reader-moderate")
    page.click("#reveal-button")
    page.wait_for_selector("#model-stage")
    rows = [(r["reader_id"], r["case_id"]) for r in _answers(study.results)]
    assert sorted(rows) == sorted([("reader-TAB1", "1001"), (FORMULA_READER, "1002"), ("reader-TAB1", "1002")])
    page.context.close()


def _upgrade_status(port: int, host: str, origin: str | None) -> int:
    """The HTTP status a session answers to a WebSocket upgrade request (101 = upgraded)."""
    import base64
    import socket

    lines = ["GET /ws HTTP/1.1", f"Host: {host}", "Upgrade: websocket", "Connection: Upgrade",
             f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}", "Sec-WebSocket-Version: 13"]
    if origin:
        lines.append(f"Origin: {origin}")
    with socket.create_connection(("127.0.0.1", port), timeout=20) as connection:
        connection.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        return int(connection.recv(4096).split(b" ", 2)[1])


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False
