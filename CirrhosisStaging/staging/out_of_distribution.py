"""Reasons a series is unlike the staging model's training data: simple intensity rules, and the network's own
feature distance (staging/feature_reference.py). Each reason becomes an `out_of_distribution` warning.

The intensity rule: MRI magnitude images are not negative, while CT stores Hounsfield units with air near
-1000. A volume whose darkest percent lies far below zero is CT-like (or not a magnitude image). The rule reads
raw values on purpose: it is the one check that is not meant to be invariant to a*x + b.
"""

from __future__ import annotations

import numpy as np
import SimpleITK as sitk

CT_AIR_LIMIT = -500.0      # 1st percentile below this: air at Hounsfield-like values


def intensity_reasons(image: sitk.Image) -> list[str]:
    array = sitk.GetArrayViewFromImage(image)
    step = max(1, array.size // 2_000_000)   # a subsample gives the same percentile
    low = float(np.percentile(np.asarray(array).ravel()[::step], 1.0))
    if low < CT_AIR_LIMIT:
        return [f"intensities reach {low:.0f} (1st percentile), as in CT Hounsfield units; the staging model knows "
                "MRI magnitude images only"]
    return []


def feature_reason(distance: tuple[float, float] | None) -> str | None:
    if distance is None:
        return None
    value, threshold = distance
    if value <= threshold:
        return None
    return (f"the staging network's features lie {value:.1f} from its training data's (usual up to {threshold:.1f}): "
            "the scan is unlike anything it was trained on (another sequence, another modality, not the abdomen?)")


def out_of_distribution_reasons(images: dict, staged) -> dict[str, list[str]]:
    """sequence -> reasons (empty when none) for the input images and a StagingResult."""
    reasons = {}
    for sequence, image in images.items():
        found = intensity_reasons(image)
        feature = feature_reason(staged.feature_distances.get(sequence))
        reasons[sequence] = found + ([feature] if feature else [])
    return reasons
