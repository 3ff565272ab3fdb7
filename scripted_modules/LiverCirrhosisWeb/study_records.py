"""Reader-study results: one CSV row per (reader, case) answer, appended and synced to disk at once, so a
crash or a closed tab never loses an answer already given; and the agreement summary."""

from __future__ import annotations

import csv
import fcntl
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np

from CirrhosisStaging.evaluation.metrics import confusion_matrix, quadratic_kappa
from CirrhosisStaging.io.csv_safety import SafeDictWriter
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


COLUMNS = [f.name for f in fields(ReaderAnswer)]


def append_answer(path, answer: ReaderAnswer) -> None:
    """Append one row (header first if the file is new), under a file lock, flushed and fsynced."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", newline="", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            writer = SafeDictWriter(handle, fieldnames=COLUMNS)   # reader ids are typed by people
            if handle.tell() == 0:
                writer.writeheader()
            writer.writerow(asdict(answer))
            handle.flush()
            os.fsync(handle.fileno())
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def read_answers(path) -> list[dict]:
    path = Path(path)
    if not path.is_file():
        return []
    with path.open(newline="", encoding="utf-8") as handle:
        return [row for row in csv.DictReader(handle) if row.get("case_id")]


def answered_cases(path, reader_id: str) -> dict[str, dict]:
    """case_id -> the reader's latest answer."""
    return {row["case_id"]: row for row in read_answers(path) if row["reader_id"] == reader_id}


def agreement_summary(rows: list[dict]) -> dict:
    """Reader vs model: counts, Cohen's kappa (unweighted and quadratic), confusion matrix (rows reader,
    columns model); accuracy of each against the reference stage where one exists."""
    index = {name: i for i, name in enumerate(STAGES)}
    pairs = [(index[r["reader_stage"]], index[r["model_stage"]]) for r in rows
             if r["reader_stage"] in index and r["model_stage"] in index]
    summary = {"answers": len(pairs), "confusion_reader_vs_model": np.zeros((3, 3), int).tolist(),
               "kappa": None, "quadratic_kappa": None, "reader_accuracy": None, "model_accuracy": None,
               "with_reference": 0}
    if not pairs:
        return summary
    reader, model = np.array(pairs).T
    confusion = confusion_matrix(reader, model, 3)
    summary["confusion_reader_vs_model"] = confusion.tolist()
    summary["kappa"] = _cohen_kappa(confusion)
    summary["quadratic_kappa"] = float(quadratic_kappa(reader, model, 3))
    labelled = [r for r in rows if r.get("truth_stage") in index and r["reader_stage"] in index]
    if labelled:
        summary["with_reference"] = len(labelled)
        summary["reader_accuracy"] = float(np.mean([r["reader_stage"] == r["truth_stage"] for r in labelled]))
        summary["model_accuracy"] = float(np.mean([r["model_stage"] == r["truth_stage"] for r in labelled]))
    return summary


def _cohen_kappa(confusion: np.ndarray) -> float | None:
    total = confusion.sum()
    observed = np.trace(confusion) / total
    expected = float((confusion.sum(axis=0) * confusion.sum(axis=1)).sum()) / total ** 2
    return None if expected >= 1.0 else float((observed - expected) / (1.0 - expected))
