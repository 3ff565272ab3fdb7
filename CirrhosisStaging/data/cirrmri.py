"""Reader for the CirrMRI600+ release: which volumes, masks and stages exist, per patient and split.

Only paths and CSV labels are read here; pixels are read later with `io.read_image`. The release's own
train/valid/test split is kept as published, and checked: one patient in two splits (say T1 in train and
T2 in test) would leak between training and testing, so it is an error naming both files.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

from ..errors import InputError
from .cirrmri_layout import (
    METADATA_FOLDER, find_release_root, list_slices, scan_cirrhosis_series, scan_healthy_series, scan_slice_folders,
)
from .cirrmri_metadata import ClinicalInfo, read_metadata
from .cirrmri_records import HEALTHY, SEQUENCES, SPLITS, PatientRecord, SeriesRecord, SliceRecord
from .labels import STAGE_HEALTHY, STAGE_NAMES
from .patient_ids import normalise_patient_id, patient_sort_key


class CirrMRIDataset:
    """An indexed CirrMRI600+ folder. Healthy subjects are numbered on their own and kept out of the splits."""

    def __init__(self, root: str | os.PathLike, require_masks: bool = False):
        self.root = find_release_root(Path(root))
        cirrhosis = [record for sequence in SEQUENCES
                     for record in scan_cirrhosis_series(self.root, sequence, require_masks)]
        healthy = [record for sequence in SEQUENCES
                   for record in scan_healthy_series(self.root, sequence, require_masks)]
        slice_folders = scan_slice_folders(self.root)
        _check_one_split_per_patient(cirrhosis, slice_folders)

        metadata = read_metadata(self.root / METADATA_FOLDER)
        self.warnings: tuple[str, ...] = tuple(metadata.warnings)
        self._patients = _group_patients(cirrhosis, metadata.cirrhosis, stage=None)
        self._healthy = _group_patients(healthy, metadata.healthy, stage=STAGE_HEALTHY)
        self._slice_folders = {patient_id: (split, folder) for patient_id, split, folder in slice_folders}
        self._metadata_only = sorted(set(metadata.cirrhosis) - set(self._patients), key=patient_sort_key)

    def __len__(self) -> int:
        return len(self._patients)

    def __repr__(self) -> str:
        return f"CirrMRIDataset({str(self.root)!r}: {len(self._patients)} patients, {len(self._healthy)} healthy)"

    def patients(self, split: str | None = None, sequence: str | None = None,
                 include_healthy: bool = False) -> list[PatientRecord]:
        """Patients in id order. split=None: every cirrhosis split (plus healthy if asked); split='healthy': only
        healthy subjects. sequence='t1'/'t2': only patients who have that sequence."""
        _check_choice("split", split, SPLITS + (HEALTHY,))
        _check_choice("sequence", sequence, SEQUENCES)
        pool = [] if split == HEALTHY else list(self._patients.values())
        if split == HEALTHY or (split is None and include_healthy):
            pool += list(self._healthy.values())
        return [patient for patient in pool
                if (split is None or patient.split == split) and (sequence is None or patient.series(sequence))]

    def patient(self, patient_id: str | int, healthy: bool = False) -> PatientRecord:
        """Look a patient up by id ('0012', '12' and 12 are the same); healthy=True looks among healthy subjects."""
        table = self._healthy if healthy else self._patients
        key = normalise_patient_id(patient_id)
        if key not in table:
            cohort = "healthy subject" if healthy else "cirrhosis patient"
            raise InputError(self.root, f"no {cohort} with id {patient_id!r} in this release")
        return table[key]

    def series(self, sequence: str, split: str | None = None) -> list[SeriesRecord]:
        """Every volume of one sequence, optionally of one split ('healthy' included)."""
        _check_choice("sequence", sequence, SEQUENCES)
        return [patient.series(sequence) for patient in self.patients(split, sequence)]

    def slices_2d(self, patient_id: str | int) -> list[SliceRecord]:
        """PNG image/mask pairs of one patient from Cirrhosis_T2_2D; empty when the patient has none there."""
        key = normalise_patient_id(patient_id)
        if key not in self._slice_folders:
            return []
        split, folder = self._slice_folders[key]
        return list_slices(folder, key, split)

    def slice_patients(self, split: str | None = None) -> list[str]:
        """Ids of patients that have a Cirrhosis_T2_2D folder."""
        _check_choice("split", split, SPLITS)
        return sorted((pid for pid, (s, _) in self._slice_folders.items() if split in (None, s)), key=patient_sort_key)

    def summary(self) -> dict:
        """Counts for a quick look at a release (JSON-ready)."""
        patients = list(self._patients.values())
        healthy = list(self._healthy.values())
        stage_names = [STAGE_NAMES[stage] for stage in sorted(STAGE_NAMES) if stage != STAGE_HEALTHY] + ["unknown"]
        return {
            "root": str(self.root),
            "patients": {split: sum(p.split == split for p in patients) for split in SPLITS},
            "series": {seq: {split: sum(p.split == split and p.series(seq) is not None for p in patients)
                             for split in SPLITS} for seq in SEQUENCES},
            "stages": {split: {name: Counter(p.stage_name for p in patients if p.split == split)[name]
                               for name in stage_names} for split in SPLITS},
            "paired": sum(p.paired for p in patients),
            "t1_only": sum(p.sequences == ("t1",) for p in patients),
            "t2_only": sum(p.sequences == ("t2",) for p in patients),
            "missing_masks": sum(s.mask is None for p in patients + healthy for s in (p.t1, p.t2) if s is not None),
            "healthy": {"subjects": len(healthy), "t1": sum(p.t1 is not None for p in healthy),
                        "t2": sum(p.t2 is not None for p in healthy)},
            "slices_2d_patients": {split: len(self.slice_patients(split)) for split in SPLITS},
            "metadata_without_images": len(self._metadata_only),
            "warnings": list(self.warnings),
        }


def _check_one_split_per_patient(series: list[SeriesRecord], slice_folders: list[tuple[str, str, Path]]) -> None:
    first_seen: dict[str, tuple[str, Path]] = {}
    places = [(s.patient_id, s.split, s.image) for s in series] + slice_folders
    for patient_id, split, path in places:
        seen_split, seen_path = first_seen.setdefault(patient_id, (split, path))
        if seen_split != split:
            raise InputError(seen_path, f"patient {patient_id} is in the {seen_split} split here but in the {split} "
                                        f"split in {path}; a patient must stay in one split, or its images leak "
                                        "between training and testing")


def _group_patients(series: list[SeriesRecord], clinical: dict[str, ClinicalInfo],
                    stage: int | None) -> dict[str, PatientRecord]:
    """One record per patient id; `stage` overrides the CSVs (healthy subjects have no Radiological Evaluation)."""
    by_id: dict[str, dict[str, SeriesRecord]] = {}
    for record in series:
        by_id.setdefault(record.patient_id, {})[record.sequence] = record
    patients = {}
    for patient_id in sorted(by_id, key=patient_sort_key):
        found = by_id[patient_id]
        info = clinical.get(patient_id, ClinicalInfo())
        split = next(iter(found.values())).split  # the same for every series, checked above
        patients[patient_id] = PatientRecord(
            patient_id=patient_id, stage=info.stage if stage is None else stage, age=info.age, gender=info.gender,
            split=split, t1=found.get("t1"), t2=found.get("t2"),
        )
    return patients


def _check_choice(name: str, value: str | None, allowed: tuple[str, ...]) -> None:
    if value is not None and value not in allowed:
        raise ValueError(f"{name} must be one of {allowed} or None, not {value!r}")
