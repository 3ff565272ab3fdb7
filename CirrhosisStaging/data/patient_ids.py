"""One spelling per patient id, so file names, folders and CSV rows find each other."""

from __future__ import annotations

import re

# "0012", "12" and a spreadsheet's "12.0" are the same patient.
_INTEGER_ID = re.compile(r"(\d+)(\.0*)?")
_DIGIT_RUNS = re.compile(r"(\d+)")


def normalise_patient_id(raw: object) -> str:
    """Strip whitespace; an all-digit id loses its leading zeros (and a float's '.0'). Other ids keep their case."""
    text = str(raw).strip()
    match = _INTEGER_ID.fullmatch(text)
    return str(int(match.group(1))) if match else text


def patient_sort_key(text: object) -> tuple:
    """Natural order: '2' before '10', 'slice_9.png' before 'slice_10.png'."""
    parts = _DIGIT_RUNS.split(str(text))
    # Each part becomes (0, int) or (1, str), so ints and strings are never compared with each other.
    return tuple((0, int(part)) if part.isdigit() else (1, part.lower()) for part in parts if part)
