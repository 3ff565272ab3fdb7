"""Dataset readers: CirrMRI600+ (cirrhosis stages, T1/T2 liver MRI) and CHAOS T2-SPIR (organ labels).

Readers list files and labels only; pixels are read with `CirrhosisStaging.io.read_image`.
"""

from .chaos import ChaosCase, list_chaos_cases
from .cirrmri import CirrMRIDataset
from .cirrmri_records import HEALTHY, SEQUENCES, SPLITS, PatientRecord, SeriesRecord, SliceRecord
from .labels import (
    BACKGROUND, CHAOS_LABEL_NAMES, LEFT_KIDNEY, LIVER, RIGHT_KIDNEY, SPLEEN, STAGE_HEALTHY, STAGE_MILD,
    STAGE_MODERATE, STAGE_NAMES, STAGE_SEVERE,
)
from .patient_ids import normalise_patient_id, patient_sort_key
from .splits import kfold_patients, patient_split

__all__ = [
    "BACKGROUND", "CHAOS_LABEL_NAMES", "ChaosCase", "CirrMRIDataset", "HEALTHY", "LEFT_KIDNEY", "LIVER",
    "PatientRecord", "RIGHT_KIDNEY", "SEQUENCES", "SPLEEN", "SPLITS", "STAGE_HEALTHY", "STAGE_MILD",
    "STAGE_MODERATE", "STAGE_NAMES", "STAGE_SEVERE", "SeriesRecord", "SliceRecord", "kfold_patients",
    "list_chaos_cases", "normalise_patient_id", "patient_sort_key", "patient_split",
]
