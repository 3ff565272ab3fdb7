"""CSV cells a spreadsheet cannot execute (formula injection, OWASP "CSV Injection").

Excel, LibreOffice and Google Sheets treat a cell starting with = + - @ (or tab / carriage return, which some
of them skip first) as a formula: `=HYPERLINK(...)` in a case id would run when a colleague opens the file.
Such text cells get a leading apostrophe, which spreadsheets show as plain text. Numbers, and text that is
just a number such as "-1.5", are written unchanged. Every CSV the project writes goes through here.
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Iterable, Mapping

from .atomic import atomic_path

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def safe_cell(value):
    """`value` unchanged unless it is text a spreadsheet would run as a formula; then prefixed with '."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS) and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value


def safe_row(row):
    """A dict or a sequence of cells with every cell made safe (same shape back)."""
    if isinstance(row, Mapping):
        return {key: safe_cell(value) for key, value in row.items()}
    return [safe_cell(value) for value in row]


class SafeWriter:
    """csv.writer whose rows are made safe; same writerow/writerows."""

    def __init__(self, handle, *args, **kwargs):
        self._writer = csv.writer(handle, *args, **kwargs)

    def writerow(self, row):
        return self._writer.writerow(safe_row(row))

    def writerows(self, rows: Iterable):
        for row in rows:
            self.writerow(row)


class SafeDictWriter(csv.DictWriter):
    """csv.DictWriter whose values are made safe (the header is the program's own column names)."""

    def writerow(self, rowdict):
        return super().writerow(safe_row(rowdict))

    def writerows(self, rowdicts):
        for row in rowdicts:
            self.writerow(row)


def write_safe_csv(path: str | os.PathLike, rows: Iterable[Mapping], fieldnames, encoding: str = "utf-8") -> None:
    """Write dict rows under a header, atomically (a reader never sees half a file), every cell made safe."""
    with atomic_path(path) as temporary:
        with open(temporary, "w", newline="", encoding=encoding) as handle:
            writer = SafeDictWriter(handle, fieldnames=fieldnames)
            writer.writeheader()
            writer.writerows(rows)
