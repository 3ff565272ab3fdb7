"""Reading a CSV a person made (a case list, a split file, answers): UTF-8, a byte-order mark allowed.

A spreadsheet's own encoding, a binary file or a row the csv module cannot parse is a one-line InputError naming
the file, not a UnicodeDecodeError from deep inside a command.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from ..errors import InputError


def read_csv_records(path, required: tuple[str, ...] = ()) -> list[dict]:
    """The rows of `path` as dicts keyed by its header; `required`: columns the header must have."""
    path = Path(path)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:   # a spreadsheet's own encoding (Latin-1, UTF-16), or not text at all
        line = raw[:error.start].count(b"\n") + 1
        raise InputError(path, f"not UTF-8 text (line {line}): save it as CSV UTF-8") from None
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        missing = [name for name in required if name not in (reader.fieldnames or ())]
        if missing:
            raise InputError(path, f"needs a header with the columns {', '.join(required)} "
                                   f"(missing: {', '.join(missing)})")
        return list(reader)
    except csv.Error as error:
        raise InputError(path, f"not a readable CSV ({error})") from None
