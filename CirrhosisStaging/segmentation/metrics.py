"""Overlap and surface-distance metrics on label arrays with physical spacing."""

from __future__ import annotations

import numpy as np
from scipy import ndimage


def dice(prediction: np.ndarray, truth: np.ndarray) -> float:
    prediction, truth = prediction.astype(bool), truth.astype(bool)
    total = prediction.sum() + truth.sum()
    return float(2.0 * (prediction & truth).sum() / total) if total else 1.0


def surface_distances(prediction: np.ndarray, truth: np.ndarray, spacing_zyx) -> tuple[float, float]:
    """(HD95, ASSD) in mm between the surfaces of two binary masks; (inf, inf) if one is empty."""
    prediction, truth = prediction.astype(bool), truth.astype(bool)
    if not prediction.any() or not truth.any():
        return float("inf"), float("inf")
    surface_p = prediction & ~ndimage.binary_erosion(prediction)
    surface_t = truth & ~ndimage.binary_erosion(truth)
    to_truth = ndimage.distance_transform_edt(~surface_t, sampling=spacing_zyx)[surface_p]
    to_prediction = ndimage.distance_transform_edt(~surface_p, sampling=spacing_zyx)[surface_t]
    both = np.concatenate([to_truth, to_prediction])
    hd95 = max(np.percentile(to_truth, 95), np.percentile(to_prediction, 95))
    return float(hd95), float(both.mean())
