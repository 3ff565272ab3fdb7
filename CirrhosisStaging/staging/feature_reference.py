"""How far a scan's features lie from the training data's: the network's own out-of-distribution check.

For each sequence, that sequence's encoder output on every training case is summarised as the liver-weighted mean
(what the head reads), the mean and the spread over the whole box (what surrounds the liver: an abdomen or not);
these give a mean and a shrunk covariance, and a new scan's Mahalanobis distance to them is compared with a
threshold taken from the training cases' own leave-one-out distances (each measured against the others, so the
threshold is not flattered by the case being in its own statistics). Stored in the weights as buffers.

Measured with a tiny untrained encoder on phantoms (Testing/engine/test_staging_outcomes.py, 20 reference cases):
unseen phantoms 2.2-5.7, T1W phantoms given as T2W 6.2-6.8, a head-like volume 9.1, threshold 7.5; the liver-
weighted mean alone put the head-like volume (3.5) among the phantoms (1.1-2.5).
"""

from __future__ import annotations

import numpy as np

QUANTILE = 0.95      # of the leave-one-out training distances ...
MARGIN = 1.25        # ... times this margin is the threshold (chosen, not tuned on the inputs it must flag)


def fit_statistics(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mean, precision) of (n, d) features; the covariance shrunk towards its mean variance (n may be < d)."""
    features = np.asarray(features, dtype=np.float64)
    n, d = features.shape
    mean = features.mean(axis=0)
    centred = features - mean
    covariance = centred.T @ centred / max(n - 1, 1)
    shrinkage = float(np.clip(d / (n + d), 0.1, 0.9))
    target = max(float(np.trace(covariance)) / d, 1e-6)
    shrunk = (1 - shrinkage) * covariance + shrinkage * target * np.eye(d)
    return mean, np.linalg.inv(shrunk)


def mahalanobis(features: np.ndarray, mean: np.ndarray, precision: np.ndarray) -> np.ndarray:
    centred = np.atleast_2d(np.asarray(features, dtype=np.float64)) - mean
    return np.sqrt(np.maximum(np.einsum("nd,de,ne->n", centred, precision, centred), 0.0))


def leave_one_out_distances(features: np.ndarray) -> np.ndarray:
    features = np.asarray(features, dtype=np.float64)
    distances = []
    for i in range(len(features)):
        others = np.delete(features, i, axis=0)
        distances.append(float(mahalanobis(features[i], *fit_statistics(others))[0]))
    return np.array(distances)


def sequence_features(network, arrays: list, sequence: str, device="cpu") -> np.ndarray:
    """(n, 3 C) encoder summaries of staging input arrays (2, z, y, x) given as `sequence`."""
    import torch

    network.eval()
    rows = []
    with torch.inference_mode():
        for array in arrays:
            x = torch.from_numpy(np.ascontiguousarray(array))[None].to(device)
            encoded = network.encoders[sequence](x)                                    # (1, C, z', y', x')
            features = encoded.flatten(2)
            liver = torch.nn.functional.adaptive_avg_pool3d(x[:, 1:2], encoded.shape[2:])
            weights = liver.flatten(1) + 1e-6                                          # the liver alone
            weights = weights / weights.sum(dim=1, keepdim=True)
            summary = torch.cat([(features * weights[:, None]).sum(-1), features.mean(-1), features.std(-1)], dim=1)
            rows.append(summary.float().cpu().numpy()[0])
    return np.array(rows, dtype=np.float64)


def fit_feature_reference(network, arrays_by_sequence: dict, device="cpu") -> dict:
    """Fit and store each sequence's reference from its training arrays; returns what was fitted (JSON-ready)."""
    import torch

    summary = {}
    for index, sequence in enumerate(("t1", "t2")):
        arrays = arrays_by_sequence.get(sequence) or []
        if len(arrays) < 3:
            continue   # too few to say what is usual: this sequence is not checked (threshold stays 0)
        features = sequence_features(network, arrays, sequence, device)
        mean, precision = fit_statistics(features)
        threshold = MARGIN * float(np.quantile(leave_one_out_distances(features), QUANTILE))
        with torch.no_grad():
            network.reference_mean[index] = torch.as_tensor(mean, dtype=torch.float32)
            network.reference_precision[index] = torch.as_tensor(precision, dtype=torch.float32)
            network.reference_threshold[index] = threshold
        summary[sequence] = {"cases": len(arrays), "threshold": round(threshold, 3)}
    return summary


def feature_distance(network, array: np.ndarray, sequence: str, device="cpu") -> tuple[float, float] | None:
    """(distance, threshold) of one staging input seen as `sequence`; None when the weights carry no reference
    for it."""
    if not getattr(network, "has_feature_reference", False):
        return None
    index = ("t1", "t2").index(sequence)
    threshold = float(network.reference_threshold[index])
    if threshold <= 0:
        return None
    features = sequence_features(network, [array], sequence, device)
    mean = network.reference_mean[index].cpu().numpy().astype(np.float64)
    precision = network.reference_precision[index].cpu().numpy().astype(np.float64)
    return float(mahalanobis(features, mean, precision)[0]), threshold
