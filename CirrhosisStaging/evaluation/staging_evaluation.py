"""Evaluation of a staging network on a release split: per patient (the clinical unit), per sequence, and a
slice-weighted accuracy only for comparison with papers that count 2D slices; plus the biomarker baseline.

Three views of one set of predictions: the 4 classes (none, mild, moderate, severe); the 3 cirrhotic stages among
cirrhotic patients only (probabilities renormalised over them: comparable with Zeng et al.); and cirrhosis vs none
(AUC of 1 - p(none), sensitivity and specificity of "stage is not none": comparable with Aggarwal 2025).
Weights made before "none" existed are scored on the cirrhotic patients only.
"""

from __future__ import annotations

import numpy as np

from ..staging.stages import CIRRHOTIC_STAGES, NO_CIRRHOSIS, STAGES
from .metrics import binary_report, classification_report, softmax


def evaluate_staging(network, root, split: str = "test", device="cpu", baseline: bool = True,
                     progress: bool = True, baseline_train_root=None) -> dict:
    """Figures on `split` of `root`; the baseline is fitted on the train split of `baseline_train_root`
    (default `root`), which should be the data the network was trained on."""
    from ..staging.stages import model_stages
    from ..staging.training.cases import load_cases
    from ..staging.training.trainer import predict_logits

    stages = model_stages(None, network.head[-1].out_features)
    cases = [case for case in load_cases(root, split, progress) if STAGES[case.stage_index] in stages]
    logits, _ = predict_logits(network, cases, device)
    truth = [STAGES[case.stage_index] for case in cases]
    result = {"split": split, "model_stages": list(stages)}
    result.update(stage_reports(truth, softmax(logits), stages))
    result["per_patient"]["predictions"] = [
        {"patient_id": case.patient_id, "truth": t, "predicted": stages[int(p.argmax())],
         "probabilities": dict(zip(stages, np.round(p, 4).tolist()))}
        for case, t, p in zip(cases, truth, softmax(logits))]
    result["per_sequence"] = {}
    for sequence in ("t1", "t2"):
        subset = [c for c in cases if sequence in c.arrays]
        if subset:
            sequence_logits, _ = predict_logits(network, subset, device, sequences=(sequence,))
            report = classification_report([stages.index(STAGES[c.stage_index]) for c in subset],
                                           softmax(sequence_logits), stages)
            result["per_sequence"][sequence] = {k: report[k] for k in ("patients", "accuracy", "macro_f1",
                                                                       "quadratic_kappa")}
    predicted = [STAGES.index(stages[int(p.argmax())]) for p in logits]
    result["per_slice_accuracy"] = _slice_weighted_accuracy(cases, predicted)
    if baseline:
        result["biomarker_baseline"] = _baseline(baseline_train_root or root, cases, progress)
    return result


def stage_reports(truth: list[str], probabilities: np.ndarray, stages) -> dict:
    """per_patient (the model's classes), cirrhotic_3_class and cirrhosis_vs_none (when the model has "none")."""
    probabilities = np.asarray(probabilities, dtype=float).reshape(len(truth), len(stages))
    result = {"per_patient": classification_report([stages.index(t) for t in truth], probabilities, stages)}
    columns = [stages.index(s) for s in CIRRHOTIC_STAGES]
    cirrhotic = np.array([t != NO_CIRRHOSIS for t in truth], dtype=bool)
    if cirrhotic.any():
        among = probabilities[cirrhotic][:, columns]
        among = among / np.maximum(among.sum(axis=1, keepdims=True), 1e-12)
        result["cirrhotic_3_class"] = classification_report(
            [CIRRHOTIC_STAGES.index(t) for t in np.array(truth)[cirrhotic]], among, CIRRHOTIC_STAGES)
    if NO_CIRRHOSIS in stages:
        none = probabilities[:, stages.index(NO_CIRRHOSIS)]
        result["cirrhosis_vs_none"] = binary_report(cirrhotic, 1.0 - none,
                                                    probabilities.argmax(axis=1) != stages.index(NO_CIRRHOSIS))
    return result


def _slice_weighted_accuracy(cases, predicted) -> float:
    """Each axial slice holding liver counts once, carrying its patient's prediction (as slice-level papers count)."""
    slices = np.array([sum(case.liver_slices.values()) for case in cases], dtype=float)
    correct = np.array([case.stage_index == p for case, p in zip(cases, predicted)], dtype=float)
    return float((slices * correct).sum() / slices.sum()) if slices.sum() else float("nan")


def _baseline(train_root, cases, progress: bool) -> dict:
    """Fitted on the training release's biomarkers (4 classes); evaluated on those `cases` already measured when
    they were loaded (the patient's T1W if present, as for training: 3D, thinner slices), so no volume is read
    twice. Reported in the same three views as the network."""
    from .baseline import FEATURES, feature_matrix, fit_baseline
    from .biomarker_rows import patient_biomarkers

    train_rows = patient_biomarkers(train_root, "train", progress)
    model = fit_baseline(feature_matrix([r[2] for r in train_rows]), [r[1] for r in train_rows], len(STAGES))
    test_features = np.array([case.biomarkers["t1" if "t1" in case.biomarkers else "t2"] for case in cases],
                             dtype=float).reshape(len(cases), len(FEATURES))
    truth = [STAGES[case.stage_index] for case in cases]
    probabilities = model.probabilities(test_features) if cases else np.zeros((0, len(STAGES)))
    reports = stage_reports(truth, probabilities, STAGES)
    report = reports.pop("per_patient")
    report.update(reports)
    report["model"] = "multinomial logistic regression (L2) on " + ", ".join(FEATURES)
    return report
