"""The case list of a reader study: a folder of case folders, or a CSV of paths."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from CirrhosisStaging.errors import InputError
from CirrhosisStaging.staging.stages import STAGES

_IMAGE_SUFFIXES = (".nii.gz", ".nii", ".nrrd", ".mha", ".mhd")


@dataclass(frozen=True)
class ReaderCase:
    case_id: str
    t1: Path | None
    t2: Path | None
    truth: str | None = None      # reference stage when the study has one


def list_cases(source) -> list[ReaderCase]:
    """Folder: each sub-folder is a case holding files whose names contain 't1' and/or 't2' (and optionally a
    stage.txt with mild/moderate/severe). CSV: columns case_id, t1, t2[, stage] (paths relative to the CSV)."""
    source = Path(source)
    if not source.exists():
        raise InputError(source, "case list not found")
    cases = _from_csv(source) if source.is_file() else _from_folder(source)
    if not cases:
        raise InputError(source, "no cases (expected case folders with t1/t2 images, or a CSV with case_id,t1,t2)")
    return cases


def _from_folder(folder: Path) -> list[ReaderCase]:
    cases = []
    for case_folder in sorted(p for p in folder.iterdir() if p.is_dir()):
        images = [p for p in sorted(case_folder.iterdir()) if p.name.lower().endswith(_IMAGE_SUFFIXES)
                  and "mask" not in p.name.lower() and "label" not in p.name.lower()]
        t1 = next((p for p in images if "t1" in p.name.lower()), None)
        t2 = next((p for p in images if "t2" in p.name.lower()), None)
        stage_file = case_folder / "stage.txt"
        truth = stage_file.read_text().strip().lower() if stage_file.is_file() else None
        if t1 or t2:
            cases.append(ReaderCase(case_folder.name, t1, t2, truth if truth in STAGES else None))
    return cases


def _from_csv(path: Path) -> list[ReaderCase]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    if rows and "case_id" not in rows[0]:
        raise InputError(path, "the CSV needs a case_id column (and t1 and/or t2)")
    cases = []
    for row in rows:
        paths = {s: (path.parent / row[s]).resolve() if row.get(s) else None for s in ("t1", "t2")}
        stage = (row.get("stage") or "").strip().lower()
        cases.append(ReaderCase(row["case_id"], paths["t1"], paths["t2"], stage if stage in STAGES else None))
    return cases
