"""The case list of a reader study: a CirrMRI600+ release folder, a folder of case folders, or a CSV of paths.
Every reader session reads the same list, written once by the launcher (`write_case_list`)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from CirrhosisStaging.data.cirrmri import CirrMRIDataset
from CirrhosisStaging.data.cirrmri_layout import find_release_root
from CirrhosisStaging.errors import InputError
from CirrhosisStaging.io.csv_reading import read_csv_records
from CirrhosisStaging.staging.stages import STAGES

_IMAGE_SUFFIXES = (".nii.gz", ".nii", ".nrrd", ".mha", ".mhd")


@dataclass(frozen=True)
class ReaderCase:
    case_id: str
    t1: Path | None
    t2: Path | None
    truth: str | None = None      # reference stage when the study has one


def list_cases(source, split: str | None = None) -> list[ReaderCase]:
    """CirrMRI600+ release: one case per cirrhosis patient (T1W and T2W paired by patient id, the reference stage
    from Metadata/), optionally of one split. Folder: each sub-folder is a case holding files whose names contain
    't1' and/or 't2' (and optionally a stage.txt with none/mild/moderate/severe). CSV: columns case_id, t1, t2[, stage]
    (paths relative to the CSV)."""
    source = Path(source)
    if not source.exists():
        raise InputError(source, "case list not found")
    if source.is_file():
        cases = _from_csv(source)
    elif _is_release(source):
        cases = _from_release(source, split)
    else:
        cases = _from_folder(source)
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
        truth = stage_file.read_text(errors="replace").strip().lower() if stage_file.is_file() else None
        if t1 or t2:
            cases.append(ReaderCase(case_folder.name, t1, t2, truth if truth in STAGES else None))
    return cases


def _from_csv(path: Path) -> list[ReaderCase]:
    cases = []
    for line, row in read_csv_records(path, required=("case_id",)):
        if not (row["case_id"] or "").strip():
            raise InputError(path, f"line {line}: no case_id")
        paths = {s: (path.parent / row[s]).resolve() if row.get(s) else None for s in ("t1", "t2")}
        stage = (row.get("stage") or "").strip().lower()
        cases.append(ReaderCase(row["case_id"], paths["t1"], paths["t2"], stage if stage in STAGES else None))
    return cases


def _is_release(folder: Path) -> bool:
    try:
        find_release_root(folder)
    except InputError:
        return False
    return True


def _from_release(folder: Path, split: str | None) -> list[ReaderCase]:
    release = CirrMRIDataset(folder)
    return [ReaderCase(patient.patient_id, patient.t1.image if patient.t1 else None,
                       patient.t2.image if patient.t2 else None,
                       patient.stage_name if patient.stage_name in STAGES else None)
            for patient in release.patients(split)]


def write_case_list(cases: list[ReaderCase], path) -> None:
    """The list every session serves, so all readers see the same cases in the same order."""
    rows = [{**asdict(case), "t1": case.t1 and str(case.t1), "t2": case.t2 and str(case.t2)} for case in cases]
    Path(path).write_text(json.dumps(rows), encoding="utf-8")


def read_case_list(path) -> list[ReaderCase]:
    return [ReaderCase(row["case_id"], row["t1"] and Path(row["t1"]), row["t2"] and Path(row["t2"]), row["truth"])
            for row in json.loads(Path(path).read_text(encoding="utf-8"))]
