"""Which cases a batch holds: a CirrMRI600+ release, a CSV of paths, or a folder of case folders."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from ..io.csv_reading import read_csv_records
from ..io.image_io import IMAGE_SUFFIXES


@dataclass(frozen=True)
class BatchCase:
    name: str
    t1: Path | None = None
    t2: Path | None = None
    t1_mask: Path | None = None
    t2_mask: Path | None = None


def list_batch_cases(source, split: str | None = None, with_masks: bool = False) -> list[BatchCase]:
    source = Path(source)
    if source.is_file() and source.suffix.lower() == ".csv":
        return _from_csv(source)
    if not source.is_dir():
        raise InputError(source, "not a folder of cases, a CirrMRI600+ release or a .csv list")
    if any((source / name).is_dir() for name in ("Cirrhosis_T1_3D", "Cirrhosis_T2_3D")):
        cases = _from_release(source, split, with_masks)
        _refuse_colliding_names(source, [(case.name, f"patient {case.name!r}") for case in cases])
        return cases
    return _from_folders(source)


def _from_release(root: Path, split, with_masks: bool) -> list[BatchCase]:
    from ..data import CirrMRIDataset

    cases = []
    for patient in CirrMRIDataset(root).patients(split=split):
        t1, t2 = patient.series("t1"), patient.series("t2")
        cases.append(BatchCase(
            patient.patient_id, t1.image if t1 else None, t2.image if t2 else None,
            t1.mask if (t1 and with_masks) else None, t2.mask if (t2 and with_masks) else None))
    return cases


def _from_csv(path: Path) -> list[BatchCase]:
    """Columns: case, t1, t2 (either may be empty), optional t1_mask, t2_mask; paths relative to the CSV."""
    rows = read_csv_records(path, required=("case",))
    if not rows:
        raise InputError(path, "case list holds no cases (columns case, t1, t2; t1_mask, t2_mask optional)")
    cases = []
    for number, row in rows:
        paths = {key: (path.parent / row[key].strip()) if (row.get(key) or "").strip() else None
                 for key in ("t1", "t2", "t1_mask", "t2_mask")}
        if paths["t1"] is None and paths["t2"] is None:
            raise InputError(path, f"line {number}: case {row['case']!r} has neither t1 nor t2")
        cases.append(BatchCase(_safe_name(row["case"] or ""), **paths))
    _refuse_colliding_names(path, [(case.name, f"line {number} (case {row['case']!r})")
                                   for case, (number, row) in zip(cases, rows)])
    return cases


def _from_folders(root: Path) -> list[BatchCase]:
    """Each sub-folder is a case; its volumes are told apart by 't1'/'t2' (and 'mask') in their names."""
    cases, names = [], []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        found = {}
        for file in sorted(folder.iterdir()):
            if not file.name.lower().endswith(IMAGE_SUFFIXES):
                continue
            name = file.name.lower()
            sequence = "t1" if re.search(r"t1", name) else "t2" if re.search(r"t2", name) else None
            if sequence:
                found[f"{sequence}_mask" if "mask" in name else sequence] = file
        if found.get("t1") or found.get("t2"):
            cases.append(BatchCase(_safe_name(folder.name), **found))
            names.append(folder.name)
    if not cases:
        raise InputError(root, "no cases found: expected sub-folders holding files named with t1/t2, "
                               "a CirrMRI600+ release, or a .csv list")
    _refuse_colliding_names(root, [(case.name, f"folder {folder!r}") for case, folder in zip(cases, names)])
    return cases


def _refuse_colliding_names(source: Path, named: list[tuple[str, str]]) -> None:
    """Each case gets its own output folder: two cases whose folder names are equal (ignoring case, as macOS and
    Windows do) would share one, and the second would be listed with the first one's results."""
    seen: dict[str, str] = {}
    for name, where in named:
        key = name.lower()
        if key in seen:
            raise InputError(source, f"{seen[key]} and {where} both become case folder {name!r}; give every case "
                                     "its own id (letters, digits, '.', '_' and '-' are kept, other characters "
                                     "become '_')")
        seen[key] = where


def _safe_name(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", name.strip()).strip("._")
    return cleaned or "case"
