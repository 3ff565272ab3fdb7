"""Biomarkers per patient of a release split, for the biomarker-only baseline."""

from __future__ import annotations

from tqdm import tqdm

from ..io import read_image, read_mask, validate_image
from ..staging.stages import EVALUATION_TO_INDEX
from ..staging.training.cases import biomarker_labels_path, staged_patients


def patient_biomarkers(root, split: str, progress: bool = True) -> list[tuple[str, int, dict]]:
    """(patient id, stage index, biomarkers) from the patient's T1W if present (3D, thinner slices), else T2W.

    Labels: the release's liver masks, or a phantom release's organ labels (liver + spleen) when present.
    """
    from ..biomarkers import compute_biomarkers

    rows = []
    for patient in tqdm(staged_patients(root, split), desc=f"biomarkers {split}", disable=not progress):
        sequence = "t1" if patient.t1 is not None and patient.t1.mask is not None else "t2"
        series = patient.series(sequence)
        label_path = biomarker_labels_path(root, sequence, series)
        image = validate_image(read_image(series.image), series.image)
        rows.append((patient.key, EVALUATION_TO_INDEX[patient.stage],
                     compute_biomarkers(image, read_mask(label_path))))
    return rows
