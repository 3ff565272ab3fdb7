"""Reader-study answers: the record of one answer, reading the answers CSV of earlier versions (to migrate it
into the SQLite store), and the agreement summary."""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from CirrhosisStaging.errors import InputError
from CirrhosisStaging.evaluation.metrics import confusion_matrix, quadratic_kappa
from CirrhosisStaging.io.csv_reading import read_csv_records
from CirrhosisStaging.staging.stages import STAGES


@dataclass
class ReaderAnswer:
    reader_id: str
    case_id: str
    reader_stage: str
    reader_confidence: int           # 1 (guess) .. 5 (certain)
    model_stage: str
    p_mild: float
    p_moderate: float
    p_severe: float
    seconds_spent: float
    mask_edited: bool
    truth_stage: str = ""
    model_demonstration_only: bool = True
    answered_at: str = ""
    p_none: float | None = None      # None: weights made before "none" existed, or an answer from before it


COLUMNS = [f.name for f in fields(ReaderAnswer)]
_REQUIRED = COLUMNS[:10]   # through mask_edited: what every version wrote


def read_legacy_csv(path) -> list[ReaderAnswer]:
    """Answers from a CSV of earlier versions (one row appended per answer). A row torn by a crash mid-write
    (missing or unreadable fields) is skipped rather than merged with the next one."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "answers CSV not found")
    rows = read_csv_records(path, required=tuple(_REQUIRED))
    return [answer for answer in (_answer_from_row(row) for _, row in rows) if answer is not None]


def _answer_from_row(row: dict) -> ReaderAnswer | None:
    if any(not row.get(name) for name in _REQUIRED) or row.get(None):   # torn: fields missing, or spilled over
        return None
    if row["reader_stage"] not in STAGES or row["model_stage"] not in STAGES:
        return None
    try:
        return ReaderAnswer(
            reader_id=row["reader_id"], case_id=row["case_id"], reader_stage=row["reader_stage"],
            reader_confidence=int(row["reader_confidence"]), model_stage=row["model_stage"],
            p_mild=float(row["p_mild"]), p_moderate=float(row["p_moderate"]), p_severe=float(row["p_severe"]),
            seconds_spent=float(row["seconds_spent"]), mask_edited=row["mask_edited"] == "True",
            truth_stage=row.get("truth_stage") or "",
            model_demonstration_only=(row.get("model_demonstration_only") or "True") == "True",
            answered_at=row.get("answered_at") or "", p_none=float(row["p_none"]) if row.get("p_none") else None)
    except ValueError:
        return None


def agreement_summary(rows: list[dict]) -> dict:
    """Reader vs model: counts, Cohen's kappa (unweighted and quadratic), confusion matrix (rows reader,
    columns model); accuracy of each against the reference stage where one exists, and the reader-vs-reference
    confusion matrix (rows reader, columns reference)."""
    index = {name: i for i, name in enumerate(STAGES)}
    pairs = [(index[r["reader_stage"]], index[r["model_stage"]]) for r in rows
             if r["reader_stage"] in index and r["model_stage"] in index]
    classes = len(STAGES)
    summary = {"answers": len(pairs), "confusion_reader_vs_model": np.zeros((classes, classes), int).tolist(),
               "kappa": None, "quadratic_kappa": None, "reader_accuracy": None, "model_accuracy": None,
               "with_reference": 0, "confusion_reader_vs_reference": np.zeros((classes, classes), int).tolist(),
               "stages": list(STAGES)}
    if not pairs:
        return summary
    reader, model = np.array(pairs).T
    confusion = confusion_matrix(reader, model, classes)
    summary["confusion_reader_vs_model"] = confusion.tolist()
    summary["kappa"] = _cohen_kappa(confusion)
    summary["quadratic_kappa"] = float(quadratic_kappa(reader, model, classes))
    labelled = [r for r in rows if r.get("truth_stage") in index and r["reader_stage"] in index]
    if labelled:
        summary["with_reference"] = len(labelled)
        summary["reader_accuracy"] = float(np.mean([r["reader_stage"] == r["truth_stage"] for r in labelled]))
        summary["model_accuracy"] = float(np.mean([r["model_stage"] == r["truth_stage"] for r in labelled]))
        summary["confusion_reader_vs_reference"] = confusion_matrix(
            [index[r["reader_stage"]] for r in labelled], [index[r["truth_stage"]] for r in labelled], classes).tolist()
    return summary


def _cohen_kappa(confusion: np.ndarray) -> float | None:
    total = confusion.sum()
    observed = np.trace(confusion) / total
    expected = float((confusion.sum(axis=0) * confusion.sum(axis=1)).sum()) / total ** 2
    return None if expected >= 1.0 else float((observed - expected) / (1.0 - expected))


def study_summary(rows: list[dict]) -> dict:
    """The whole study (every reader together) and each reader on their own."""
    readers = sorted({r["reader_id"] for r in rows})
    return {"all_readers": agreement_summary(rows),
            "readers": {reader: agreement_summary([r for r in rows if r["reader_id"] == reader]) for reader in readers}}
