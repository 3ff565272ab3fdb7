"""CSVs a person made (case lists, healthy-subject splits, earlier answers) read with one-line errors."""

from __future__ import annotations

import pytest

from CirrhosisStaging.errors import InputError
from CirrhosisStaging.io.csv_reading import read_csv_records
from CirrhosisStaging.staging.training.cases import HEALTHY_SPLITS_FILE, healthy_splits


def test_rows_keyed_by_header_with_a_byte_order_mark(tmp_path):
    path = tmp_path / "list.csv"
    path.write_bytes("\ufeffpatient_id,split\n3,train\n8,test\n".encode("utf-8"))
    assert read_csv_records(path, required=("patient_id",)) == [(2, {"patient_id": "3", "split": "train"}),
                                                                 (3, {"patient_id": "8", "split": "test"})]


def test_lines_count_the_file_not_the_rows_and_empty_rows_are_skipped(tmp_path):
    """A quoted cell over two lines and a spreadsheet's blank leftover rows: errors still name the file's line."""
    path = tmp_path / "list.csv"
    path.write_text('case_id,note\na,"two\nlines"\n,,\n\nb,x\n')
    assert [(line, row["case_id"]) for line, row in read_csv_records(path)] == [(2, "a"), (6, "b")]


@pytest.mark.parametrize("content, message", [
    (b"id,split\n3,train\n", "needs a header with the columns patient_id, split (missing: patient_id)"),
    (b"patient_id,split\n3,tr\xe4in\n", "not UTF-8 text (line 2)"),
    (b"patient_id,split\n3,\"" + b"x" * 200_000 + b"\"\n", "not a readable CSV"),
])
def test_unreadable_or_incomplete_csv_is_named(tmp_path, content, message):
    path = tmp_path / "list.csv"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")) as caught:
        read_csv_records(path, required=("patient_id", "split"))
    assert caught.value.path == str(path)


def test_healthy_splits_file_without_its_columns_is_named(tmp_path):
    (tmp_path / HEALTHY_SPLITS_FILE).write_text("subject,fold\n3,train\n")
    with pytest.raises(InputError, match=f"{HEALTHY_SPLITS_FILE}: needs a header with the columns patient_id, split"):
        healthy_splits(tmp_path, ["3"])
