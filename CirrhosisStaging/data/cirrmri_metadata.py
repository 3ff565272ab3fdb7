"""Stage, age and gender from the CSV files in a CirrMRI600+ Metadata/ folder.

The release ships several CSVs that overlap (T1, T2, and `T1&T2_Paired_age_gender_evaluation.csv`), some
with a UTF-8 byte-order mark and slightly different header spellings. All are read and merged by
patient id; a stage that disagrees between two rows is an error rather than a silent pick.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from .labels import STAGE_MILD, STAGE_MODERATE, STAGE_SEVERE
from .patient_ids import normalise_patient_id

# Header spellings after _normalise_header.
_ID_HEADERS = {"patient id", "patientid", "patient", "id", "subject id", "subject", "case id"}
_STAGE_HEADERS = {"radiological evaluation", "evaluation", "stage", "grade"}
_AGE_HEADERS = {"age"}
_GENDER_HEADERS = {"gender", "sex"}

_STAGE_WORDS = {"mild": STAGE_MILD, "moderate": STAGE_MODERATE, "severe": STAGE_SEVERE}
_VALID_STAGES = (STAGE_MILD, STAGE_MODERATE, STAGE_SEVERE)
_EMPTY = {"", "na", "n/a", "nan", "none", "-", "?"}
_GENDERS = {"m": "M", "male": "M", "man": "M", "f": "F", "female": "F", "woman": "F"}


@dataclass(frozen=True)
class ClinicalInfo:
    stage: int | None = None
    age: int | None = None
    gender: str | None = None


@dataclass
class Metadata:
    """Clinical data by normalised patient id; healthy subjects are numbered apart, so they have their own table."""

    cirrhosis: dict[str, ClinicalInfo] = field(default_factory=dict)
    healthy: dict[str, ClinicalInfo] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def read_metadata(folder: Path) -> Metadata:
    """Merge every CSV under `folder`; a CSV whose name mentions 'healthy' describes the healthy subjects."""
    metadata = Metadata()
    if not folder.is_dir():
        metadata.warnings.append(f"{folder}: no Metadata folder, so every stage is unknown")
        return metadata
    merger = {False: _Merger(metadata.cirrhosis, metadata.warnings), True: _Merger(metadata.healthy, metadata.warnings)}
    for path in sorted(folder.rglob("*")):
        if path.suffix.lower() != ".csv" or path.name.startswith(".") or not path.is_file():
            continue
        healthy = "healthy" in path.name.lower()
        for line, patient_id, info in _read_csv(path, metadata.warnings, read_stage=not healthy):
            merger[healthy].add(patient_id, info, path, line)
    return metadata


class _Merger:
    """Adds rows to one table, remembering where each stage came from to name both files in a conflict."""

    def __init__(self, table: dict[str, ClinicalInfo], warnings: list[str]):
        self.table = table
        self.warnings = warnings
        self.stage_source: dict[str, tuple[Path, int]] = {}

    def add(self, patient_id: str, info: ClinicalInfo, path: Path, line: int) -> None:
        old = self.table.get(patient_id, ClinicalInfo())
        if old.stage is not None and info.stage is not None and old.stage != info.stage:
            source, source_line = self.stage_source[patient_id]
            where = f"line {source_line} of this file" if source == path else f"line {source_line} of {source}"
            raise InputError(path, f"line {line}: patient {patient_id} has Radiological Evaluation {info.stage} "
                                   f"here but {old.stage} on {where}; fix the stage in one of them")
        if old.stage is None and info.stage is not None:
            self.stage_source[patient_id] = (path, line)
        for name in ("age", "gender"):
            before, now = getattr(old, name), getattr(info, name)
            if before is not None and now is not None and before != now:
                self.warnings.append(f"{path}: line {line}: patient {patient_id} {name} {now} differs from an "
                                     f"earlier row ({before}); keeping {before}")
        self.table[patient_id] = ClinicalInfo(
            stage=old.stage if old.stage is not None else info.stage,
            age=old.age if old.age is not None else info.age,
            gender=old.gender if old.gender is not None else info.gender,
        )


def _read_csv(path: Path, warnings: list[str], read_stage: bool):
    """Yield (line number, patient id, ClinicalInfo) for each row that names a patient."""
    rows = _csv_rows(path)
    header_index = next((i for i, row in enumerate(rows) if any(cell.strip() for cell in row)), None)
    if header_index is None:
        warnings.append(f"{path}: empty CSV, skipped")
        return
    headers = [_normalise_header(cell) for cell in rows[header_index]]
    id_column = _column(headers, _ID_HEADERS)
    if id_column is None:
        warnings.append(f"{path}: no patient id column (columns: {', '.join(rows[header_index])}), skipped")
        return
    stage_column = _column(headers, _STAGE_HEADERS) if read_stage else None
    age_column, gender_column = _column(headers, _AGE_HEADERS), _column(headers, _GENDER_HEADERS)
    for index in range(header_index + 1, len(rows)):
        row, line = rows[index], index + 1
        patient_id = normalise_patient_id(_cell(row, id_column) or "")
        if not patient_id:
            continue
        yield line, patient_id, ClinicalInfo(
            stage=_parse_stage(_cell(row, stage_column), path, line),
            age=_parse_age(_cell(row, age_column), path, line, warnings),
            gender=_parse_gender(_cell(row, gender_column)),
        )


def _csv_rows(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")  # strips the byte-order mark some of the release's CSVs start with
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")  # spreadsheets saved on Windows
    try:
        # Excel in many locales saves with ';'.
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return list(csv.reader(text.splitlines(), dialect))


def _normalise_header(text: str) -> str:
    """' Patient_ID ' and 'patient  id' are one header."""
    return re.sub(r"[\s_\-]+", " ", text.replace("\ufeff", "").strip().lower())


def _column(headers: list[str], names: set[str]) -> int | None:
    return next((i for i, header in enumerate(headers) if header in names), None)


def _cell(row: list[str], column: int | None) -> str | None:
    if column is None or column >= len(row):
        return None
    text = row[column].strip()
    return None if text.lower() in _EMPTY else text


def _parse_stage(text: str | None, path: Path, line: int) -> int | None:
    if text is None:
        return None
    if text.lower() in _STAGE_WORDS:
        return _STAGE_WORDS[text.lower()]
    try:
        value = float(text)
    except ValueError:
        value = None
    if value is not None and value.is_integer() and int(value) in _VALID_STAGES:
        return int(value)
    raise InputError(path, f"line {line}: Radiological Evaluation {text!r} is not 1 (mild), 2 (moderate) or 3 (severe)")


def _parse_age(text: str | None, path: Path, line: int, warnings: list[str]) -> int | None:
    if text is None:
        return None
    try:
        return round(float(text))
    except (ValueError, OverflowError):  # OverflowError: 'inf'
        warnings.append(f"{path}: line {line}: age {text!r} is not a number, left unknown")
        return None


def _parse_gender(text: str | None) -> str | None:
    if text is None:
        return None
    return _GENDERS.get(text.lower(), text)
