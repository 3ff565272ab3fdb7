"""The reader study's parts without a browser: the SQLite answer store (unique answers, concurrent writers,
migration of an old CSV with a torn row), formula-safe export, release folders as case lists, mask notes, the
Host/Origin guard, and wslink's launcher with a stand-in session (secret, bounded sessions, refused origins)."""

from __future__ import annotations

import asyncio
import csv
import json
import multiprocessing
import os
import sqlite3
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest
from conftest import _free_port, _free_port_range

from CirrhosisStaging.io.csv_safety import safe_cell
from CirrhosisStaging.io.process_identity import can_tell_start_times


def _answer(reader="r1", case="c1", stage="mild", **changes):
    from LiverCirrhosisWeb.study_records import ReaderAnswer

    fields = dict(reader_id=reader, case_id=case, reader_stage=stage, reader_confidence=4, model_stage="moderate",
                  p_mild=0.2, p_moderate=0.5, p_severe=0.3, seconds_spent=12.0, mask_edited=False,
                  truth_stage="mild", answered_at="2026-01-01T00:00:00Z")
    fields.update(changes)
    return ReaderAnswer(**fields)


def _write_answers(path, reader, count):
    from LiverCirrhosisWeb.answer_store import AnswerStore

    store = AnswerStore(path)
    for index in range(count):
        store.add(_answer(reader, f"case{index}"))
    store.close()


def test_answer_store_keeps_one_answer_per_reader_and_case(tmp_path):
    from LiverCirrhosisWeb.answer_store import AnswerStore

    store = AnswerStore(tmp_path / "answers.sqlite")
    assert store.add(_answer()) is True
    assert store.add(_answer(stage="severe")) is False          # a second submission is refused, not stored
    assert store.add(_answer(reader="r2")) is True
    assert [(r["reader_id"], r["reader_stage"]) for r in store.answers()] == [("r1", "mild"), ("r2", "mild")]
    assert store.answered_cases("r2")["c1"]["mask_edited"] is False
    journal = sqlite3.connect(tmp_path / "answers.sqlite").execute("PRAGMA journal_mode").fetchone()[0]
    assert journal == "wal"
    store.close()


def test_answer_store_takes_concurrent_writers(tmp_path):
    path = tmp_path / "answers.sqlite"
    # fork: a spawned child would re-import this file, whose `from conftest import` can meet another conftest
    context = multiprocessing.get_context("fork")
    writers = [context.Process(target=_write_answers, args=(path, f"reader{i}", 40)) for i in range(3)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(60)
        assert writer.exitcode == 0
    from LiverCirrhosisWeb.answer_store import AnswerStore

    rows = AnswerStore(path).answers()
    assert len(rows) == 120 and len({(r["reader_id"], r["case_id"]) for r in rows}) == 120


def test_old_answers_csv_is_migrated_once_with_a_torn_row_skipped(tmp_path):
    from LiverCirrhosisWeb.study_records import COLUMNS

    old = tmp_path / "answers.csv"
    with old.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        writer.writerow(["r1", "c1", "mild", 4, "mild", 0.6, 0.3, 0.1, 10.0, False, "mild", True, "t"])
        writer.writerow(["r1", "c1", "severe", 4, "mild", 0.6, 0.3, 0.1, 10.0, False, "mild", True, "t"])  # duplicate
        handle.write("r2,c2,mod")                     # torn by a crash mid-write, then the next answer appended
        writer.writerow(["r3", "c3", "severe", 2, "moderate", 0.1, 0.5, 0.4, 3.5, True, "", True, "t"])
    from CirrhosisStaging.cli.main import main

    assert main(["study-export", "--results", str(old), "--out", str(tmp_path / "out.json")]) == 0
    exported = json.loads((tmp_path / "out.json").read_text())
    assert [(a["reader_id"], a["case_id"], a["reader_stage"]) for a in exported["answers"]] == [("r1", "c1", "mild")]
    assert exported["summary"]["all_readers"]["answers"] == 1
    assert main(["study-export", "--results", str(old)]) == 0     # repeating the migration adds nothing
    from LiverCirrhosisWeb.answer_store import AnswerStore

    assert len(AnswerStore(tmp_path / "answers.sqlite").answers()) == 1


def test_export_keeps_an_existing_file_and_never_writes_over_the_answers_it_reads(tmp_path, capsys):
    from CirrhosisStaging.cli.main import main
    from LiverCirrhosisWeb.answer_store import AnswerStore
    from LiverCirrhosisWeb.study_records import COLUMNS

    AnswerStore(tmp_path / "study.sqlite").close()
    out = tmp_path / "answers.csv"
    out.write_text("annotated by hand")
    assert main(["study-export", "--results", str(tmp_path / "study.sqlite"), "--out", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err and out.read_text() == "annotated by hand"
    assert main(["study-export", "--results", str(tmp_path / "study.sqlite"), "--out", str(out), "--overwrite"]) == 0
    assert out.read_text().startswith("reader_id,")
    old = tmp_path / "old.csv"                          # an earlier version's answers, read (migrated) as the input
    old.write_text(",".join(COLUMNS) + "\n")
    assert main(["study-export", "--results", str(old), "--out", str(old), "--overwrite"]) == 2
    assert "is the input" in capsys.readouterr().err and old.read_text() == ",".join(COLUMNS) + "\n"


def test_export_quotes_formula_like_cells(tmp_path):
    from LiverCirrhosisWeb.answer_export import export_answers
    from LiverCirrhosisWeb.answer_store import AnswerStore

    store = AnswerStore(tmp_path / "a.sqlite")
    for reader in ("=1+1", "+cmd", "-2+A1", "@SUM(A1)", "\tx", "plain", "-2"):
        store.add(_answer(reader=reader))
    rows = store.answers()
    export_answers(rows, tmp_path / "out.csv")
    readers = [row["reader_id"] for row in csv.DictReader((tmp_path / "out.csv").open(encoding="utf-8"))]
    assert readers == ["'=1+1", "'+cmd", "'-2+A1", "'@SUM(A1)", "'\tx", "plain", "-2"]   # a plain number is no formula
    export_answers(rows, tmp_path / "out.json")
    exported = json.loads((tmp_path / "out.json").read_text())
    assert exported["answers"][0]["reader_id"] == "'=1+1" and "'=1+1" in exported["summary"]["readers"]
    assert safe_cell(0.5) == 0.5 and safe_cell("-") == "'-"
    from CirrhosisStaging.errors import InputError

    with pytest.raises(InputError, match="csv or a .json"):
        export_answers(rows, tmp_path / "out.xlsx")


def test_release_folder_is_a_case_list(tmp_path):
    from CirrhosisStaging.phantom.release_writer import write_release
    from LiverCirrhosisWeb.cases import list_cases, read_case_list, write_case_list

    release = write_release(tmp_path / "release", cases=3, seed=1, healthy=1, size_scale=0.25, with_2d=False,
                            progress=False)
    cases = list_cases(release)
    assert [c.case_id for c in cases] == ["1001", "1002", "1003"]      # cirrhosis patients; healthy left out
    truth = {row["patient_id"]: int(row["stage"]) for row in csv.DictReader((release / "Phantom_truth.csv").open())}
    names = {1: "mild", 2: "moderate", 3: "severe"}
    assert [c.truth for c in cases] == [names[truth[c.case_id]] for c in cases]
    assert all(c.t1.parent.name.endswith("_images") and c.t1.name == f"{c.case_id}.nii.gz" for c in cases if c.t1)
    assert all(c.t2 is not None for c in cases)
    write_case_list(cases, tmp_path / "cases.json")
    assert read_case_list(tmp_path / "cases.json") == cases


@pytest.mark.parametrize("content, message", [
    (b"case_id,t2\nr1,r1_t2.nii.gz\n", None),
    (b"id,t2\nr1,r1_t2.nii.gz\n", "needs a header with the columns case_id"),
    (b"case_id,t2\n,r1_t2.nii.gz\n", "line 2: no case_id"),
    (b"case_id,t2\nr\xe9,r1_t2.nii.gz\n", "not UTF-8 text"),      # a spreadsheet's Latin-1
])
def test_case_list_csv_is_read_or_named_in_one_line(tmp_path, content, message):
    from CirrhosisStaging.errors import InputError
    from LiverCirrhosisWeb.cases import list_cases

    listing = tmp_path / "cases.csv"
    listing.write_bytes(content)
    if message is None:
        assert [(c.case_id, c.t2) for c in list_cases(listing)] == [("r1", (tmp_path / "r1_t2.nii.gz").resolve())]
        return
    with pytest.raises(InputError, match=message) as caught:
        list_cases(listing)
    assert caught.value.path == str(listing)


def test_mask_notes_read_new_keys_and_tolerate_their_absence():
    from LiverCirrhosisWeb.mask_notes import mask_check_reasons, other_warnings

    result = {"sequences": {"t2": {"mask_quality": {"status": "check", "reasons": ["liver split in 3 pieces"]}},
                            "t1": {"mask_quality": {"status": "ok", "reasons": []}}},
              "warnings": [{"code": "mask_check", "sequence": "t2", "message": "volume 450 mL is small"},
                           {"code": "out_of_distribution", "sequence": "t1", "message": "unusual contrast"}]}
    assert mask_check_reasons(result, "t2") == ["liver split in 3 pieces", "volume 450 mL is small"]
    assert mask_check_reasons(result, "t1") == []
    assert other_warnings(result) == ["unusual contrast"]
    assert mask_check_reasons({"stage": "mild"}, "t2") == [] and other_warnings({}) == []


class _Request:
    def __init__(self, method="GET", **headers):
        self.method, self.headers = method, headers


def test_request_guard_checks_host_and_origin():
    from LiverCirrhosisWeb.request_guard import RequestGuard, served_names

    guard = RequestGuard(served_names("127.0.0.1"), page_port=8080)
    assert guard.refusal(_Request(Host="127.0.0.1:8080"), 8080) is None
    assert guard.refusal(_Request(Host="localhost:8080", Origin="http://localhost:8080"), 8080) is None
    assert guard.refusal(_Request(Host="evil.example:8080"), 8080) == "Host not served here"
    assert guard.refusal(_Request(Host="127.0.0.1:9000"), 8080) == "Host not served here"
    assert guard.refusal(_Request(Host="127.0.0.1:8080", Origin="http://evil.example"), 8080) == "Origin not allowed"
    assert guard.refusal(_Request(Host="127.0.0.1:8080", Origin="https://127.0.0.1:8080"), 8080)
    assert guard.refusal(_Request("POST", Host="127.0.0.1:8080"), 8080) == "Origin required"
    assert guard.refusal(_Request(Host="127.0.0.1:8081", Upgrade="websocket",
                                  Origin="http://127.0.0.1:8080"), 8081) is None   # a session's WebSocket
    assert guard.refusal(_Request(Host="127.0.0.1:8081", Upgrade="websocket"), 8081) == "Origin required"


STAND_IN_SESSION = [sys.executable, "-c", "import time; print('App running at', flush=True); time.sleep(60)"]


@pytest.fixture
def stand_in_launcher(tmp_path):
    """wslink's launcher as `web` builds it, with a stand-in for the (heavy) reader app, at most 2 sessions."""
    from aiohttp import web
    from LiverCirrhosisWeb.launcher import LAUNCHER, build_launcher, end_processes, launcher_config
    from LiverCirrhosisWeb.request_guard import RequestGuard, served_names

    (tmp_path / "logs").mkdir()
    (tmp_path / "keys").mkdir(mode=0o700)
    port, first = _free_port(), _free_port_range(2)
    config = launcher_config(tmp_path, "127.0.0.1", port, range(first, first + 2), STAND_IN_SESSION, 20)
    app = build_launcher(config, RequestGuard(served_names("127.0.0.1"), port), tmp_path, with_client=False)
    loop, listening = asyncio.new_event_loop(), threading.Event()

    def serve():   # its own thread and loop: Playwright's sync API may already run a loop in this thread
        asyncio.set_event_loop(loop)
        runner = web.AppRunner(app)
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", port).start())
        listening.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert listening.wait(20)
    yield f"http://127.0.0.1:{port}", app[LAUNCHER], tmp_path
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    end_processes(list(app[LAUNCHER].process_manager.processes.values()), grace_seconds=5)


def _launch(url, origin, body=b'{"application": "trame", "secret": "chosen-by-the-page"}'):
    request = urllib.request.Request(url + "/paraview/", data=body, headers={"Origin": origin})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def test_launcher_gives_each_session_its_own_secret_and_bounds_them(stand_in_launcher):
    url, launcher, folder = stand_in_launcher
    first = _launch(url, url)
    key_file = folder / "keys" / f"{first['id']}.key"
    assert key_file.read_text() == first["secret"] and oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert first["secret"] != "chosen-by-the-page" and len(first["secret"]) >= 32
    second = _launch(url, url)
    assert second["secret"] != first["secret"] and second["sessionURL"] != first["sessionURL"]
    with pytest.raises(urllib.error.HTTPError) as refused:       # both slots taken
        _launch(url, url)
    assert refused.value.code == 503
    process = launcher.process_manager.processes[first["id"]]
    process.terminate()                                          # a session that ended (idle) frees its slot
    process.wait(10)
    third = _launch(url, url)
    assert third["sessionURL"] == first["sessionURL"] and not key_file.exists()
    with pytest.raises(urllib.error.HTTPError) as foreign:
        _launch(url, "http://evil.example")
    assert foreign.value.code == 403
    from LiverCirrhosisWeb.launcher import session_command

    command = session_command(folder / "study.json", 30)
    assert "${secret}" not in " ".join(command) and "${keys}/${id}.key" in command   # never on a command line


@pytest.mark.skipif(not can_tell_start_times(), reason="needs /proc (elsewhere nothing is removed)")
def test_run_folders_of_killed_launchers_are_removed_by_the_next(tmp_path, monkeypatch):
    """A SIGKILLed launcher leaves its run folder (session keys, logs); the next launcher on that machine removes it
    (and one whose PID was reused, or from before a reboot), and leaves a running launcher's folder, another
    machine's, and one without a complete owner record (yet) alone."""
    import subprocess
    import tempfile

    from LiverCirrhosisWeb import launcher

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait(10)
    host, boot, *_ = launcher.owner_record(os.getpid()).split()
    try:
        owners = {"killed": f"{host} {boot} {dead.pid} 1", "running": launcher.owner_record(alive.pid),
                  "reused_pid": f"{host} {boot} {alive.pid} 1",
                  "before_reboot": launcher.owner_record(alive.pid).replace(boot, "another-boot"),
                  "other_machine": f"elsewhere.example {boot} {dead.pid} 1", "no_owner": None,
                  "owner_being_written": ""}
        folders = {name: tmp_path / f"{launcher.RUN_FOLDER_PREFIX}{name}" for name in owners}
        for name, owner in owners.items():
            (folders[name] / "keys").mkdir(parents=True)
            (folders[name] / "keys" / "session.key").write_text("secret")
            if owner is not None:
                (folders[name] / launcher.OWNER_FILE).write_text(owner)
        with launcher.private_run_folder() as own:
            assert own.parent == tmp_path and (own / "keys").is_dir()
            assert (own / launcher.OWNER_FILE).read_text() == launcher.owner_record(os.getpid())
            gone = {name for name, folder in folders.items() if not folder.exists()}
            assert gone == {"killed", "reused_pid", "before_reboot"}
            assert launcher.remove_stale_run_folders(tmp_path) == []      # its own folder is not stale
        assert not own.exists()
    finally:
        alive.kill()
        alive.wait(10)


def test_a_database_from_before_the_none_stage_gets_its_column(tmp_path):
    from LiverCirrhosisWeb.answer_store import AnswerStore
    from LiverCirrhosisWeb.study_records import COLUMNS

    path = tmp_path / "old.sqlite"
    old_columns = [c for c in COLUMNS if c != "p_none"]
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE answers (id INTEGER PRIMARY KEY, " + ", ".join(f"{c} TEXT" for c in old_columns)
                   + ", UNIQUE (reader_id, case_id))")
        db.execute(f"INSERT INTO answers ({', '.join(old_columns)}) VALUES ({', '.join('?' for _ in old_columns)})",
                   ["r0", "c0", "mild", 3, "mild", 0.6, 0.3, 0.1, 5.0, 0, "", 1, "t"])
    store = AnswerStore(path)
    assert store.add(_answer(stage="none", model_stage="none", p_none=0.7, p_mild=0.1, p_moderate=0.1, p_severe=0.1))
    rows = store.answers()
    assert [r["p_none"] for r in rows] == [None, 0.7] and rows[1]["reader_stage"] == "none"
