"""Staging cases from a CirrMRI600+ release: one per patient with a stage, both sequences when present.

The release's healthy subjects are the "none" class. The release does not split them, so they are split here by
subject: as `Healthy_splits.csv` at the release root says (written by `simulate`, which keeps a subject's original
and its simulated stages in one split), else 70/15/15 by a fixed seeded patient split.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from tqdm import tqdm

from ...data import CirrMRIDataset, PatientRecord, SeriesRecord
from ...errors import InputError
from ...io import read_image, read_mask, validate_image, validate_mask
from ..biomarker_features import biomarker_vector, combined_vector
from ..inputs import prepare_staging_input
from ..stages import EVALUATION_TO_INDEX, SEQUENCES


@dataclass
class StagingCase:
    patient_id: str
    stage_index: int                       # 0 none, 1 mild, 2 moderate, 3 severe
    split: str
    arrays: dict = field(default_factory=dict)       # sequence -> (2, z, y, x) float32
    liver_slices: dict = field(default_factory=dict)  # sequence -> axial slices holding liver (per-slice counting)
    biomarkers: dict = field(default_factory=dict)    # sequence -> biomarker vector (NaN where unavailable)

    def biomarker_vector(self, sequences=None) -> np.ndarray:
        """The biomarkers the network reads when it is given `sequences` (default: all of this case's)."""
        return combined_vector(self.biomarkers[s] for s in (sequences or self.biomarkers))


HEALTHY_SPLITS_FILE = "Healthy_splits.csv"
HEALTHY_FRACTIONS = (0.7, 0.15, 0.15)


def staged_patients(root, split: str) -> list[PatientRecord]:
    """Patients of `split` ("all": every split) that have a stage and at least one series with a mask; healthy
    subjects (stage "none") included, in the split `healthy_splits` gives them."""
    dataset = CirrMRIDataset(root)
    healthy = dataset.patients(split="healthy")
    splits = healthy_splits(dataset.root, [p.patient_id for p in healthy])
    pool = dataset.patients(split=None if split == "all" else split) + \
        [p for p in healthy if split == "all" or splits[p.patient_id] == split]
    return [p for p in pool
            if p.stage in EVALUATION_TO_INDEX and any(p.series(s).mask is not None for s in p.sequences)]


def healthy_splits(root, patient_ids: list[str]) -> dict[str, str]:
    """Healthy subject id -> "train" | "valid" | "test"."""
    from pathlib import Path

    from ...data.patient_ids import normalise_patient_id
    from ...data.splits import patient_split
    from ...io.csv_reading import read_csv_records

    path = Path(root) / HEALTHY_SPLITS_FILE
    if path.is_file():
        given = {normalise_patient_id(row["patient_id"] or ""): row["split"]
                 for _, row in read_csv_records(path, required=("patient_id", "split"))}
        missing = [i for i in patient_ids if given.get(i) not in ("train", "valid", "test")]
        if missing:
            raise InputError(path, f"gives no train/valid/test split for healthy subject {missing[0]}")
        return {i: given[i] for i in patient_ids}
    parts = patient_split(patient_ids, HEALTHY_FRACTIONS, seed=0)
    return {i: name for name, part in zip(("train", "valid", "test"), parts) for i in part}


def biomarker_labels_path(root, sequence: str, series: SeriesRecord):
    """Label map the biomarkers are measured on: a phantom release's organ labels (liver and spleen) when
    present, else the release's liver mask (real CirrMRI600+: no spleen, so spleen biomarkers are missing)."""
    from pathlib import Path

    organ_file = Path(root) / "Phantom_organs" / sequence.upper() / series.image.name
    return organ_file if organ_file.exists() else series.mask


def load_cases(root, split: str, progress: bool = True) -> list[StagingCase]:
    from ...biomarkers import compute_biomarkers

    cases = []
    for patient in tqdm(staged_patients(root, split), desc=f"preparing {split} cases", disable=not progress):
        case = StagingCase(patient.key, EVALUATION_TO_INDEX[patient.stage], split)
        for sequence in SEQUENCES:
            series = patient.series(sequence)
            if series is None or series.mask is None:
                continue
            image = validate_image(read_image(series.image), series.image)
            mask = validate_mask(read_mask(series.mask), image, series.mask, series.image)
            case.arrays[sequence] = prepare_staging_input(image, mask, series.mask).array
            case.liver_slices[sequence] = int(np.count_nonzero(_slices_with_liver(mask)))
            labels_path = biomarker_labels_path(root, sequence, series)
            organ_labels = mask if labels_path == series.mask else read_mask(labels_path)
            case.biomarkers[sequence] = biomarker_vector(compute_biomarkers(image, organ_labels))
        cases.append(case)
    return cases


def _slices_with_liver(mask) -> np.ndarray:
    import SimpleITK as sitk

    return (sitk.GetArrayViewFromImage(mask) > 0).any(axis=(1, 2))
