"""All biomarkers of one MRI volume and its label map, as a JSON-ready dict."""

from __future__ import annotations

import numpy as np
import SimpleITK as sitk

from ..data.labels import LIVER
from ..errors import InputError
from ..io.validation import validate_image, validate_mask
from .clinical import ClinicalInputs, clinical_scores
from .heterogeneity import heterogeneity_index
from .nodularity import surface_nodularity
from .volumes import organ_volumes

# decimals kept per output: volumes to 0.1 mL, ratios and scores to 0.01, distances to 0.01 mm
_DECIMALS = {"liver_volume_ml": 1, "spleen_volume_ml": 1, "splenomegaly_threshold_ml": 1,
             "liver_spleen_volume_ratio": 3, "surface_nodularity_mm": 2, "surface_nodularity_p90_mm": 2,
             "heterogeneity_index": 2, "fib4": 2, "apri": 2}


def compute_biomarkers(image: sitk.Image, labels: sitk.Image, clinical: ClinicalInputs | None = None) -> dict:
    """Volumes, splenomegaly, surface nodularity, heterogeneity and (if given) FIB-4/APRI.

    `labels`: uint8 label map on the image's grid (1 liver, 4 spleen; the spleen may be absent).
    Unavailable values are None. Raises InputError for unusable inputs or an empty liver.
    """
    if clinical is not None and not isinstance(clinical, ClinicalInputs):
        raise InputError(None, f"clinical inputs must be ClinicalInputs, got {type(clinical).__name__}")
    image = validate_image(image, None)
    if labels.GetDimension() == 3 and not np.any(sitk.GetArrayViewFromImage(labels)):
        raise InputError(None, "liver mask is empty")
    labels = validate_mask(labels, image, None)
    label_array = sitk.GetArrayViewFromImage(labels)
    liver = label_array == LIVER
    if not liver.any():
        raise InputError(None, "liver mask is empty")
    spacing_zyx = tuple(reversed(image.GetSpacing()))

    result = organ_volumes(labels)
    nodularity = surface_nodularity(liver, spacing_zyx)
    result["surface_nodularity_mm"] = None if nodularity is None else nodularity["mean_mm"]
    result["surface_nodularity_p90_mm"] = None if nodularity is None else nodularity["p90_mm"]
    result["heterogeneity_index"] = heterogeneity_index(_above_floor(image), liver, spacing_zyx)
    if clinical is not None:
        result.update(clinical_scores(clinical))
    return {key: _rounded(key, value) for key, value in result.items()}


def _above_floor(image: sitk.Image) -> np.ndarray:
    """The signal above the volume's dark floor (its 0.5th percentile: air in MRI). MRI has no absolute zero, so
    a ratio of intensities means something only from a reference level: this makes the heterogeneity index, and so
    the stage, unchanged when intensities go through a*x + b (a > 0)."""
    array = sitk.GetArrayViewFromImage(image).astype(np.float64)
    step = max(1, array.size // 2_000_000)
    return array - float(np.percentile(array.ravel()[::step], 0.5))


def _rounded(key: str, value):
    if isinstance(value, (bool, str)) or value is None:
        return value
    return round(float(value), _DECIMALS.get(key, 3))
