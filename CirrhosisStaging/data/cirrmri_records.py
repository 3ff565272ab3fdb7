"""What the CirrMRI600+ reader hands out: file paths and labels, no pixels."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .labels import STAGE_NAMES

SPLITS = ("train", "valid", "test")
HEALTHY = "healthy"  # the split name of the release's healthy subjects, kept apart from the cirrhosis splits
SEQUENCES = ("t1", "t2")


@dataclass(frozen=True)
class SeriesRecord:
    """One 3D volume of one patient, with its liver mask when the release has one."""

    patient_id: str
    sequence: str  # "t1" or "t2"
    split: str  # "train", "valid", "test" or "healthy"
    image: Path
    mask: Path | None = None


@dataclass(frozen=True)
class PatientRecord:
    """A patient's T1 and T2 volumes (either may be absent) and clinical data from Metadata/."""

    patient_id: str
    stage: int | None  # 1 mild, 2 moderate, 3 severe, None unknown; 0 for healthy subjects
    age: int | None
    gender: str | None  # "M", "F", or the CSV's own text when it is neither
    split: str
    t1: SeriesRecord | None = None
    t2: SeriesRecord | None = None

    @property
    def is_healthy(self) -> bool:
        return self.split == HEALTHY

    @property
    def paired(self) -> bool:
        return self.t1 is not None and self.t2 is not None

    @property
    def sequences(self) -> tuple[str, ...]:
        return tuple(name for name in SEQUENCES if self.series(name) is not None)

    @property
    def stage_name(self) -> str:
        return STAGE_NAMES.get(self.stage, "unknown")

    @property
    def key(self) -> str:
        """Unique across cohorts: healthy subjects are numbered on their own, so '7' may be both."""
        return f"{HEALTHY}-{self.patient_id}" if self.is_healthy else self.patient_id

    def series(self, sequence: str) -> SeriesRecord | None:
        if sequence not in SEQUENCES:
            raise ValueError(f"sequence must be one of {SEQUENCES}, not {sequence!r}")
        return self.t1 if sequence == "t1" else self.t2


@dataclass(frozen=True)
class SliceRecord:
    """One 2D PNG slice from Cirrhosis_T2_2D and its mask PNG (None when missing)."""

    patient_id: str
    split: str
    index: int  # position in natural file-name order, 0-based
    image: Path
    mask: Path | None = None
