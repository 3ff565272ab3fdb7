"""Staging cases from a CirrMRI600+ release: one per patient with a stage, both sequences when present."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from tqdm import tqdm

from ...data import CirrMRIDataset, PatientRecord, SeriesRecord
from ...io import read_image, read_mask, validate_image, validate_mask
from ..biomarker_features import biomarker_vector, combined_vector
from ..inputs import prepare_staging_input
from ..stages import EVALUATION_TO_INDEX, SEQUENCES


@dataclass
class StagingCase:
    patient_id: str
    stage_index: int                       # 0 mild, 1 moderate, 2 severe
    split: str
    arrays: dict = field(default_factory=dict)       # sequence -> (2, z, y, x) float32
    liver_slices: dict = field(default_factory=dict)  # sequence -> axial slices holding liver (per-slice counting)
    biomarkers: dict = field(default_factory=dict)    # sequence -> biomarker vector (NaN where unavailable)

    def biomarker_vector(self, sequences=None) -> np.ndarray:
        """The biomarkers the network reads when it is given `sequences` (default: all of this case's)."""
        return combined_vector(self.biomarkers[s] for s in (sequences or self.biomarkers))


def staged_patients(root, split: str) -> list[PatientRecord]:
    """Patients of `split` ("all": every split) that have a stage and at least one series with a mask."""
    dataset = CirrMRIDataset(root)
    return [p for p in dataset.patients(split=None if split == "all" else split)
            if p.stage in EVALUATION_TO_INDEX and any(p.series(s).mask is not None for s in p.sequences)]


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
        case = StagingCase(patient.patient_id, EVALUATION_TO_INDEX[patient.stage], split)
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
