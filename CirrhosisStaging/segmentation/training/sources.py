"""Where segmentation training volumes come from: CHAOS, a CirrMRI600+ release, phantom releases.

Each item says which classes its label map really annotates: CirrMRI600+ masks are liver only, so spleen
and kidneys there are "unknown", not "background" (see partial_labels.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ...data import CirrMRIDataset, list_chaos_cases
from ..labels import CLASS_NAMES, LIVER

ALL_CLASSES = tuple(sorted(CLASS_NAMES))
LIVER_ONLY = (0, LIVER)


@dataclass(frozen=True)
class TrainingItem:
    name: str                    # unique: source + patient + sequence
    image: Path
    label: Path
    labelled: tuple[int, ...]    # classes the label map annotates (0 always)
    group: str                   # patient key: splits never separate a patient's series
    source: str = ""             # dataset it came from ("chaos", a release folder's name): per-source validation


def chaos_items(root) -> list[TrainingItem]:
    return [TrainingItem(f"chaos-{case.subject_id}", case.image, case.label, ALL_CLASSES, f"chaos-{case.subject_id}",
                         "chaos")
            for case in list_chaos_cases(root)]


def cirrmri_items(root, splits=("train",), organ_labels: bool = True) -> list[TrainingItem]:
    """Series with masks from a CirrMRI600+ release; a phantom release's multi-organ labels are used if present."""
    dataset = CirrMRIDataset(root)
    organs = Path(dataset.root) / "Phantom_organs"
    items = []
    for split in splits:
        for patient in dataset.patients(split=split):
            for sequence in patient.sequences:
                series = patient.series(sequence)
                organ_file = _organ_file(organs, sequence, series.image) if organ_labels else None
                if organ_file is not None:
                    label, labelled = organ_file, ALL_CLASSES
                elif series.mask is not None:
                    label, labelled = series.mask, LIVER_ONLY
                else:
                    continue
                key = f"{Path(dataset.root).name}-{patient.patient_id}"
                items.append(TrainingItem(f"{key}-{sequence}", series.image, label, labelled, key, Path(dataset.root).name))
    return items


def _organ_file(organs: Path, sequence: str, image: Path) -> Path | None:
    candidate = organs / sequence.upper() / image.name
    return candidate if candidate.exists() else None
