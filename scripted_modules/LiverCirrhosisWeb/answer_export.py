"""Export of the answer store on demand: CSV or JSON, text cells that a spreadsheet would run as formulas
quoted, plus the agreement summary computed from the same rows."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from CirrhosisStaging.errors import InputError
from CirrhosisStaging.io import atomic_path
from CirrhosisStaging.io.csv_safety import safe_cell

from .study_records import COLUMNS, study_summary

FORMATS = (".csv", ".json")


def export_answers(rows: list[dict], out_path) -> Path:
    """Write `rows` to out_path (.csv or .json, chosen by its suffix), atomically; returns the path."""
    out_path = Path(out_path)
    if out_path.suffix.lower() not in FORMATS:
        raise InputError(out_path, "export to a .csv or a .json file")
    safe_rows = [{name: safe_cell(row[name]) for name in COLUMNS} for row in rows]
    with atomic_path(out_path) as partial:
        if out_path.suffix.lower() == ".csv":
            with partial.open("w", newline="", encoding="utf-8") as handle:
                writer = csv.DictWriter(handle, fieldnames=COLUMNS)
                writer.writeheader()
                writer.writerows(safe_rows)
        else:
            # JSON is read by programs, but it is also pasted into spreadsheets: the same quoting applies.
            summary = study_summary(rows)
            summary["readers"] = {safe_cell(reader): figures for reader, figures in summary["readers"].items()}
            partial.write_text(json.dumps({"answers": safe_rows, "summary": summary}, indent=2) + "\n",
                               encoding="utf-8")
    return out_path
