"""Batch case ids that would share an output folder are refused up front; no CSV the project writes lets a
spreadsheet run a formula."""

from __future__ import annotations

import csv

import pytest

from CirrhosisStaging.errors import InputError
from CirrhosisStaging.io.csv_safety import SafeDictWriter, SafeWriter, safe_cell, write_safe_csv
from CirrhosisStaging.pipeline.batch import _write_summary
from CirrhosisStaging.pipeline.batch_cases import list_batch_cases


def _case_list(tmp_path, ids) -> str:
    path = tmp_path / "cases.csv"
    path.write_text("case,t1,t2\n" + "".join(f"{case},t1_{n}.nii.gz,\n" for n, case in enumerate(ids)))
    return path


@pytest.mark.parametrize("ids, first, second", [
    (["P1", "P2", "P1"], "line 2 (case 'P1')", "line 4 (case 'P1')"),
    (["a b", "x", "a_b"], "line 2 (case 'a b')", "line 4 (case 'a_b')"),
    (["Case7", "case7"], "line 2 (case 'Case7')", "line 3 (case 'case7')"),   # one folder on macOS/Windows
])
def test_duplicate_or_colliding_case_ids_name_both_rows(tmp_path, ids, first, second):
    with pytest.raises(InputError) as caught:
        list_batch_cases(_case_list(tmp_path, ids))
    message = str(caught.value)
    assert first in message and second in message and "\n" not in message


def test_colliding_case_folders_are_refused(tmp_path):
    for name in ("patient 1", "patient_1"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "t2.nii.gz").write_bytes(b"")
    with pytest.raises(InputError, match="folder 'patient 1' and folder 'patient_1' both become"):
        list_batch_cases(tmp_path)


@pytest.mark.parametrize("content, message", [
    (b"case,t2\ncaf\xe9,scan.nii.gz\n", "not UTF-8 text"),          # saved by a spreadsheet as Latin-1
    (b"\xff\xfe\x00\x01binary", "not UTF-8 text"),
    (b"case,t2\na,scan\x00.nii.gz\n", "line 2: a NUL byte"),
    (b"case,t2\na,\"" + b"x" * 200_000 + b"\"\n", "not a readable CSV"),   # over the csv module's field limit
])
def test_unreadable_case_lists_are_one_line_errors(tmp_path, content, message):
    listing = tmp_path / "cases.csv"
    listing.write_bytes(content)
    with pytest.raises(InputError, match=message) as caught:
        list_batch_cases(listing)
    assert caught.value.path == str(listing) and "\n" not in str(caught.value)


def test_distinct_ids_pass(tmp_path):
    assert [c.name for c in list_batch_cases(_case_list(tmp_path, ["a", "b", "a-1"]))] == ["a", "b", "a-1"]


@pytest.mark.parametrize("value, expected", [
    ("=HYPERLINK(\"http://x\",\"y\")", "'=HYPERLINK(\"http://x\",\"y\")"), ("+1+2", "'+1+2"), ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"), ("\t=1", "'\t=1"), ("\r=1", "'\r=1"),
    ("P001", "P001"), ("-1.5", "-1.5"), ("+3e4", "+3e4"), (-0.25, -0.25), (7, 7), (None, None), ("", ""),
])
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected


def test_writers_neutralise_every_cell(tmp_path):
    path = tmp_path / "out.csv"
    write_safe_csv(path, [{"case": "=cmd|' /C calc'!A0", "n": 3}], ["case", "n"])
    with open(path, newline="") as handle:
        assert list(csv.DictReader(handle)) == [{"case": "'=cmd|' /C calc'!A0", "n": "3"}]
    with open(tmp_path / "plain.csv", "w", newline="") as handle:
        SafeWriter(handle).writerows([["@x", 1.5], ["ok", "-1"]])
        SafeDictWriter(handle, fieldnames=["a"]).writerows([{"a": "+y"}])
    assert (tmp_path / "plain.csv").read_text().splitlines() == ["'@x,1.5", "ok,-1", "'+y"]


def test_batch_summary_escapes_formula_values(tmp_path):
    _write_summary(tmp_path, [{"case": "=HYPERLINK(\"http://evil\")", "status": "failed", "stage": "",
                               "error": "-bad input"}])
    with open(tmp_path / "summary.csv", newline="") as handle:
        row = next(csv.DictReader(handle))
    assert row["case"].startswith("'=") and row["error"] == "'-bad input"
