"""Biomarker-only baseline: multinomial logistic regression on the quantitative biomarkers.

The staging network has to beat this, measured on the same held-out patients, to earn its place.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..staging.biomarker_features import FEATURES, feature_matrix  # noqa: F401 (re-exported for callers)


@dataclass
class LogisticBaseline:
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray   # (features + 1, classes)

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        x = _design(_impute(features, self.mean), self.mean, self.scale)
        logits = x @ self.weights
        shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
        return shifted / shifted.sum(axis=1, keepdims=True)


def fit_baseline(features: np.ndarray, labels, classes: int = 3, l2: float = 1e-2) -> LogisticBaseline:
    import torch

    measured = ~np.isnan(features)
    mean = np.where(measured, features, 0.0).sum(axis=0) / np.maximum(measured.sum(axis=0), 1)  # 0 if never measured
    filled = _impute(features, mean)
    scale = filled.std(axis=0)
    scale = np.where(scale > 1e-9, scale, 1.0)
    x = torch.tensor(_design(filled, mean, scale))
    y = torch.tensor(np.asarray(labels), dtype=torch.long)
    weights = torch.zeros(x.shape[1], classes, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([weights], max_iter=500)

    def closure():
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(x @ weights, y) + l2 * (weights[1:] ** 2).sum()
        loss.backward()
        return loss

    optimizer.step(closure)
    return LogisticBaseline(mean, scale, weights.detach().numpy())


def _impute(features: np.ndarray, mean: np.ndarray) -> np.ndarray:
    return np.where(np.isnan(features), mean, features)


def _design(features: np.ndarray, mean: np.ndarray, scale: np.ndarray) -> np.ndarray:
    standardized = (features - mean) / scale
    return np.hstack([np.ones((len(features), 1)), standardized])
