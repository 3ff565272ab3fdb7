"""Evaluation of a staging network on a release split: per patient (the clinical unit), per sequence, and a
slice-weighted accuracy only for comparison with papers that count 2D slices; plus the biomarker baseline."""

from __future__ import annotations

import numpy as np

from ..staging.stages import STAGES
from .metrics import classification_report, softmax


def evaluate_staging(network, root, split: str = "test", device="cpu", baseline: bool = True,
                     progress: bool = True, baseline_train_root=None) -> dict:
    """Figures on `split` of `root`; the baseline is fitted on the train split of `baseline_train_root`
    (default `root`), which should be the data the network was trained on."""
    from ..staging.training.cases import load_cases
    from ..staging.training.trainer import predict_logits

    cases = load_cases(root, split, progress)
    logits, labels = predict_logits(network, cases, device)
    probabilities = softmax(logits)
    result = {"split": split, "per_patient": classification_report(labels, probabilities, STAGES)}
    result["per_patient"]["predictions"] = [
        {"patient_id": case.patient_id, "truth": STAGES[case.stage_index], "predicted": STAGES[int(p.argmax())],
         "probabilities": dict(zip(STAGES, np.round(p, 4).tolist()))}
        for case, p in zip(cases, probabilities)]
    result["per_sequence"] = {}
    for sequence in ("t1", "t2"):
        subset = [c for c in cases if sequence in c.arrays]
        if subset:
            sequence_logits, sequence_labels = predict_logits(network, subset, device, sequences=(sequence,))
            report = classification_report(sequence_labels, softmax(sequence_logits), STAGES)
            result["per_sequence"][sequence] = {k: report[k] for k in ("patients", "accuracy", "macro_f1",
                                                                       "quadratic_kappa")}
    result["per_slice_accuracy"] = _slice_weighted_accuracy(cases, probabilities.argmax(axis=1))
    if baseline:
        result["biomarker_baseline"] = _baseline(baseline_train_root or root, cases, progress)
    return result


def _slice_weighted_accuracy(cases, predicted) -> float:
    """Each axial slice holding liver counts once, carrying its patient's prediction (as slice-level papers count)."""
    slices = np.array([sum(case.liver_slices.values()) for case in cases], dtype=float)
    correct = np.array([case.stage_index == p for case, p in zip(cases, predicted)], dtype=float)
    return float((slices * correct).sum() / slices.sum()) if slices.sum() else float("nan")


def _baseline(train_root, cases, progress: bool) -> dict:
    """Fitted on the training release's biomarkers; evaluated on those `cases` already measured when they were
    loaded (the patient's T1W if present, as for training: 3D, thinner slices), so no volume is read twice."""
    import numpy as np

    from .baseline import FEATURES, feature_matrix, fit_baseline
    from .biomarker_rows import patient_biomarkers

    train_rows = patient_biomarkers(train_root, "train", progress)
    model = fit_baseline(feature_matrix([r[2] for r in train_rows]), [r[1] for r in train_rows], len(STAGES))
    test_features = np.array([case.biomarkers["t1" if "t1" in case.biomarkers else "t2"] for case in cases],
                             dtype=float)
    probabilities = model.probabilities(test_features)
    report = classification_report([case.stage_index for case in cases], probabilities, STAGES)
    report["model"] = "multinomial logistic regression (L2) on " + ", ".join(FEATURES)
    return report
