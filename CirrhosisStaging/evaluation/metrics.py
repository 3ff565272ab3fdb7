"""Per-patient classification metrics for ordinal stages (numpy only)."""

from __future__ import annotations

import numpy as np


def softmax(logits) -> np.ndarray:
    logits = np.asarray(logits, dtype=float)
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def negative_log_likelihood(logits, labels) -> float:
    probabilities = softmax(logits)
    return float(-np.log(probabilities[np.arange(len(labels)), np.asarray(labels)].clip(1e-12)).mean())


def confusion_matrix(truth, predicted, classes: int) -> np.ndarray:
    """Rows: true class, columns: predicted class."""
    matrix = np.zeros((classes, classes), dtype=int)
    for t, p in zip(truth, predicted):
        matrix[int(t), int(p)] += 1
    return matrix


def accuracy(truth, predicted) -> float:
    truth, predicted = np.asarray(truth), np.asarray(predicted)
    return float((truth == predicted).mean()) if len(truth) else float("nan")


def macro_f1(truth, predicted, classes: int) -> float:
    matrix = confusion_matrix(truth, predicted, classes)
    scores = []
    for c in range(classes):
        tp = matrix[c, c]
        precision_den, recall_den = matrix[:, c].sum(), matrix[c, :].sum()
        if recall_den == 0:
            continue  # class absent from the truth: F1 undefined, left out of the mean
        precision = tp / precision_den if precision_den else 0.0
        recall = tp / recall_den
        scores.append(0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall))
    return float(np.mean(scores)) if scores else float("nan")


def quadratic_kappa(truth, predicted, classes: int) -> float:
    """Cohen's kappa with quadratic weights: disagreeing by two stages costs four times one stage."""
    observed = confusion_matrix(truth, predicted, classes).astype(float)
    total = observed.sum()
    if total == 0:
        return float("nan")
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0)) / total
    i, j = np.indices((classes, classes))
    weights = (i - j) ** 2 / (classes - 1) ** 2
    denominator = (weights * expected).sum()
    return float(1 - (weights * observed).sum() / denominator) if denominator else 1.0


def one_vs_rest_auc(truth, probabilities) -> dict:
    """Per-class ROC AUC (Mann-Whitney rank form, ties counted half) and their macro mean."""
    truth = np.asarray(truth)
    probabilities = np.asarray(probabilities, dtype=float)
    result = {}
    for c in range(probabilities.shape[1]):
        positive, negative = probabilities[truth == c, c], probabilities[truth != c, c]
        if len(positive) == 0 or len(negative) == 0:
            result[c] = float("nan")
            continue
        greater = (positive[:, None] > negative[None, :]).sum()
        ties = (positive[:, None] == negative[None, :]).sum()
        result[c] = float((greater + 0.5 * ties) / (len(positive) * len(negative)))
    valid = [v for v in result.values() if not np.isnan(v)]
    result["macro"] = float(np.mean(valid)) if valid else float("nan")
    return result


def expected_calibration_error(truth, probabilities, bins: int = 10) -> float:
    """Gap between confidence and accuracy, averaged over confidence bins (weighted by bin size)."""
    probabilities = np.asarray(probabilities, dtype=float)
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == np.asarray(truth)
    edges = np.linspace(0, 1, bins + 1)
    error = 0.0
    for low, high in zip(edges[:-1], edges[1:]):
        inside = (confidence > low) & (confidence <= high)
        if inside.any():
            error += inside.mean() * abs(confidence[inside].mean() - correct[inside].mean())
    return float(error)


def classification_report(truth, probabilities, class_names) -> dict:
    """Every figure `evaluate` prints, JSON-ready."""
    probabilities = np.asarray(probabilities, dtype=float)
    predicted = probabilities.argmax(axis=1)
    classes = len(class_names)
    auc = one_vs_rest_auc(truth, probabilities)
    return {
        "patients": int(len(truth)),
        "accuracy": accuracy(truth, predicted),
        "macro_f1": macro_f1(truth, predicted, classes),
        "quadratic_kappa": quadratic_kappa(truth, predicted, classes),
        "auc_one_vs_rest": {class_names[c]: auc[c] for c in range(classes)} | {"macro": auc["macro"]},
        "expected_calibration_error": expected_calibration_error(truth, probabilities),
        "confusion_matrix": {"rows_truth_columns_predicted": list(class_names),
                             "counts": confusion_matrix(truth, predicted, classes).tolist()},
    }


def binary_report(truth_positive, score, predicted_positive) -> dict:
    """Two classes (cirrhosis vs none): ROC AUC of `score`, and sensitivity / specificity of the decision."""
    truth_positive = np.asarray(truth_positive, dtype=bool)
    predicted_positive = np.asarray(predicted_positive, dtype=bool)
    score = np.asarray(score, dtype=float)
    two_columns = np.stack([1 - score, score], axis=1)
    positives, negatives = truth_positive.sum(), (~truth_positive).sum()
    return {
        "patients": int(len(truth_positive)), "positives": int(positives), "negatives": int(negatives),
        "auc": one_vs_rest_auc(truth_positive.astype(int), two_columns)[1],
        "sensitivity": float((predicted_positive & truth_positive).sum() / positives) if positives else float("nan"),
        "specificity": float((~predicted_positive & ~truth_positive).sum() / negatives) if negatives else float("nan"),
        "accuracy": accuracy(truth_positive, predicted_positive),
    }
