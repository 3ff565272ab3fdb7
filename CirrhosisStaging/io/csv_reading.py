"""Reading a CSV a person made (a case list, a split file, answers): UTF-8, a byte-order mark allowed.

A spreadsheet's own encoding, a binary file or a row the csv module cannot parse is a one-line InputError naming
the file, not a UnicodeDecodeError from deep inside a command.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from ..errors import InputError


def read_csv_records(path, required: tuple[str, ...] = ()) -> list[tuple[int, dict]]:
    """(line, row) for each row of `path` with a cell filled (a spreadsheet's empty leftover rows are skipped), the
    row as a dict keyed by the header and `line` the file's line it starts on; `required`: columns the header must
    have."""
    path = Path(path)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:   # a spreadsheet's own encoding (Latin-1, UTF-16), or not text at all
        line = raw[:error.start].count(b"\n") + 1
        raise InputError(path, f"not UTF-8 text (line {line}): save it as CSV UTF-8") from None
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        header = reader.fieldnames or ()   # reads the header line
        missing = [name for name in required if name not in header]
        if missing:
            raise InputError(path, f"needs a header with the columns {', '.join(required)} "
                                   f"(missing: {', '.join(missing)})")
        records = []
        for row in reader:
            cells = [value for value in row.values() if isinstance(value, str)]
            # The record ends on line_num; a quoted cell over several lines started it earlier.
            line = reader.line_num - sum(cell.count("\n") for cell in cells)
            if any("\x00" in cell for cell in cells):   # the csv module takes NUL bytes; no path or name holds one
                raise InputError(path, f"line {line}: a NUL byte in the row; not a text CSV")
            if any(cell.strip() for cell in cells):
                records.append((line, row))
        return records
    except csv.Error as error:
        raise InputError(path, f"not a readable CSV ({error})") from None
