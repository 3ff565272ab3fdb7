"""The biomarker vector read by the staging network's biomarker branch and by the biomarker-only baseline.

One definition for both, so the fused network and the baseline it must beat see exactly the same numbers.
Missing values (no spleen mask, for example) are NaN here; each model decides how to fill them.
"""

from __future__ import annotations

import numpy as np

FEATURES = ("liver_volume_ml", "spleen_volume_ml", "liver_spleen_volume_ratio", "surface_nodularity_mm",
            "heterogeneity_index")


def biomarker_vector(biomarkers: dict | None) -> np.ndarray:
    """compute_biomarkers() output -> float32 (features,), NaN where a value is unavailable."""
    biomarkers = biomarkers or {}
    return np.array([np.nan if biomarkers.get(name) is None else float(biomarkers[name]) for name in FEATURES],
                    dtype=np.float32)


def feature_matrix(biomarker_rows: list[dict]) -> np.ndarray:
    """Rows of biomarker dicts -> (patients, features) float64, NaN where missing."""
    return np.array([biomarker_vector(row) for row in biomarker_rows], dtype=float).reshape(-1, len(FEATURES))


def combined_vector(vectors) -> np.ndarray:
    """Mean over the sequences that measured each feature (T1W and T2W volumes of one liver agree closely)."""
    stacked = np.array(list(vectors), dtype=np.float32).reshape(-1, len(FEATURES))
    counts = (~np.isnan(stacked)).sum(axis=0)
    sums = np.nansum(stacked, axis=0)
    return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan).astype(np.float32)
