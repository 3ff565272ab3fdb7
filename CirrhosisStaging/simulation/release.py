"""`simulate`'s output: a CirrMRI600+-layout release of real scans (as healthy subjects) and their simulated stages.

    Healthy_subjects/{T1,T2}_W_Healthy/{T1,T2}_images|_masks/<subject id>.nii.gz     the originals (stage none)
    Cirrhosis_{T1,T2}_3D/{split}_images|_masks/<stage * 10000 + subject id>.nii.gz   simulated stages
    Metadata/{T1,T2}_age_gender_evaluation.csv                                      stages of the simulated
    Phantom_organs/{T1,T2}/<id>.nii.gz      organ labels (liver, kidneys, spleen) for the spleen biomarkers
    Healthy_splits.csv                      the originals' split: a subject's original and stages share one
    Simulation_truth.csv                    every simulation parameter and the measured volumes
Splits are by subject (70/15/15, seeded). Deterministic for the seed: each subject's draws come from
(seed, subject id), so adding a subject changes nobody else.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from tqdm import tqdm

from ..data.labels import LIVER
from ..data.splits import patient_split
from ..io.atomic import atomic_directory
from ..io.csv_safety import SafeDictWriter, SafeWriter
from ..errors import InputError
from ..io import validate_image, validate_mask
from ..io.image_io import read_image, read_mask, write_image
from ..phantom.stage_effects import sample_stage_effects
from .cirrhosis import simulate_case
from .sources import Subject

METADATA_COLUMNS = ("Patient ID", "Age", "Gender", "Radiological Evaluation")
SPLIT_FRACTIONS = (0.7, 0.15, 0.15)
ID_STRIDE = 10000


def simulated_id(subject_id: str, stage: int) -> str:
    return str(stage * ID_STRIDE + int(subject_id))


def subject_seed(seed: int, subject_id: str) -> int:
    return int(np.random.SeedSequence([int(seed), int(subject_id)]).generate_state(1)[0])


def write_simulated_release(out_dir, subjects: list[Subject], seed: int = 0, stages=(1, 2, 3),
                            overwrite: bool = False, progress: bool = True) -> Path:
    import SimpleITK as sitk

    ids = [s.subject_id for s in subjects]
    splits = {i: name for name, part in zip(("train", "valid", "test"), patient_split(ids, SPLIT_FRACTIONS, seed))
              for i in part}
    truth, metadata = [], {"t1": [], "t2": []}
    with atomic_directory(out_dir, overwrite=overwrite) as root:
        for subject in tqdm(subjects, desc="simulating", unit="subject", disable=not progress):
            own_seed = subject_seed(seed, subject.subject_id)
            for sequence, (image_path, label_path) in sorted(subject.series.items()):
                image = validate_image(read_image(image_path), image_path)
                labels = validate_mask(read_mask(label_path), image, label_path, image_path)
                if not (sitk.GetArrayViewFromImage(labels) == LIVER).any():
                    raise InputError(label_path, "has no liver (label 1): nothing to simulate on")
                tag = sequence.upper()
                healthy = root / "Healthy_subjects" / f"{tag}_W_Healthy"
                name = f"{subject.subject_id}.nii.gz"
                write_image(image, healthy / f"{tag}_images" / name)
                write_image(sitk.Cast(labels == LIVER, sitk.sitkUInt8), healthy / f"{tag}_masks" / name)
                write_image(labels, root / "Phantom_organs" / tag / name)
                for stage in stages:
                    # One draw per person: the same quantiles at every stage and in both sequences.
                    effects = sample_stage_effects(stage, np.random.default_rng(own_seed))
                    case = simulate_case(image, labels, effects, sequence, seed=own_seed + stage)
                    patient_id = simulated_id(subject.subject_id, stage)
                    split = splits[subject.subject_id]
                    folder = root / f"Cirrhosis_{tag}_3D"
                    out_name = f"{patient_id}.nii.gz"
                    write_image(case.image, folder / f"{split}_images" / out_name)
                    write_image(sitk.Cast(case.labels == LIVER, sitk.sitkUInt8), folder / f"{split}_masks" / out_name)
                    write_image(case.labels, root / "Phantom_organs" / tag / out_name)
                    metadata[sequence].append((patient_id, stage))
                    truth.append({"patient_id": patient_id, "subject_id": subject.subject_id, "sequence": sequence,
                                  "split": split, "seed": seed, "subject_seed": own_seed,
                                  "source": str(image_path.name),
                                  **case.truth})
        _write_metadata(root / "Metadata", metadata)
        _write_rows(root / "Healthy_splits.csv", [{"patient_id": i, "split": splits[i]} for i in ids])
        _write_rows(root / "Simulation_truth.csv", truth)
    return Path(out_dir)


def _write_metadata(folder: Path, metadata: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for sequence, rows in metadata.items():
        if not rows:
            continue
        path = folder / f"{sequence.upper()}_age_gender_evaluation.csv"
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = SafeWriter(handle)
            writer.writerow(METADATA_COLUMNS)
            for patient_id, stage in sorted(rows, key=lambda row: int(row[0])):
                writer.writerow([patient_id, "", "", stage])   # age and sex of the source scans are not known


def _write_rows(path: Path, rows: list[dict]) -> None:
    columns = list(dict.fromkeys(key for row in rows for key in row))
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = SafeDictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({key: f"{value:.4f}" if isinstance(value, float) else value for key, value in row.items()})
