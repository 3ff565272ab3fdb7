"""Where the real scans to simulate on come from: a CHAOS-layout folder (image_<id> + label_<id>, T2W), or a
CirrMRI600+ release's healthy subjects (T1W and/or T2W with their liver masks)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Subject:
    subject_id: str                       # the source's own number
    series: dict = field(default_factory=dict)   # sequence -> (image path, label path)


def chaos_subjects(folder, sequence: str = "t2") -> list[Subject]:
    from ..data.chaos import list_chaos_cases

    return [Subject(case.subject_id, {sequence: (case.image, case.label)}) for case in list_chaos_cases(folder)]


def release_subjects(folder) -> list[Subject]:
    from ..data import CirrMRIDataset
    from ..errors import InputError

    subjects = []
    for patient in CirrMRIDataset(folder).patients(split="healthy"):
        series = {s: (patient.series(s).image, patient.series(s).mask) for s in patient.sequences
                  if patient.series(s).mask is not None}
        if series:
            subjects.append(Subject(patient.patient_id, series))
    if not subjects:
        raise InputError(Path(folder), "has no healthy subjects with liver masks to simulate on")
    return subjects
