"""Quantitative liver biomarkers from an MRI volume and its label map (plain numpy/scipy/SimpleITK).

compute_biomarkers(image, labels, clinical=None) -> dict; BIOMARKER_DEFINITIONS names their units.
"""

from .clinical import ClinicalInputs, apri, apri_band, clinical_scores, fib4, fib4_band
from .compute import compute_biomarkers
from .definitions import BIOMARKER_DEFINITIONS
from .heterogeneity import heterogeneity_index
from .nodularity import surface_nodularity
from .volumes import SPLENOMEGALY_THRESHOLD_ML, organ_volumes

__all__ = [
    "BIOMARKER_DEFINITIONS", "ClinicalInputs", "SPLENOMEGALY_THRESHOLD_ML", "apri", "apri_band",
    "clinical_scores", "compute_biomarkers", "fib4", "fib4_band", "heterogeneity_index", "organ_volumes",
    "surface_nodularity",
]
