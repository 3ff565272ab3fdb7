"""Many cases in one go: resumes where it stopped, a failed case is recorded and the rest go on."""

from __future__ import annotations

import json
from pathlib import Path

from tqdm import tqdm

from ..errors import InputError
from ..io.atomic import atomic_path
from ..io.csv_safety import write_safe_csv
from ..io.output_checks import check_writable_parent
from ..staging.stages import STAGES
from .batch_cases import BatchCase
from .run_case import CasePipeline

SUMMARY_COLUMNS = ("case", "status", "stage", "p_none", "p_mild", "p_moderate", "p_severe", "prediction_set",
                   "warnings", "liver_volume_ml", "spleen_volume_ml", "seconds", "error")


def run_batch(cases: list[BatchCase], out_dir, pipeline: CasePipeline, progress: bool = True) -> list[dict]:
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(out_dir, "exists and is a file, not a folder; choose another output folder")
    check_writable_parent(out_dir / "summary.csv")   # before the first case, not after a night of them
    out_dir.mkdir(parents=True, exist_ok=True)
    failures = _read_failures(out_dir)
    rows = []
    for case in tqdm(cases, desc="cases", unit="case", disable=not progress):
        case_dir = out_dir / case.name
        try:
            finished = _finished_result(case_dir)
            if finished is not None:
                rows.append(_row(case.name, "done", finished))
                continue
            result = pipeline.run(case_dir, case.t1, case.t2, case.t1_mask, case.t2_mask, case_label=case.name)
            failures.pop(case.name, None)
            rows.append(_row(case.name, "done", result))
        except InputError as error:
            failures[case.name] = str(error)
            rows.append(_row(case.name, "failed", None, str(error)))
        except Exception as error:  # noqa: BLE001 - one broken case must not stop a night's batch
            failures[case.name] = f"internal error: {type(error).__name__}: {error}"
            rows.append(_row(case.name, "failed", None, failures[case.name]))
        _write_failures(out_dir, failures)
        _write_summary(out_dir, rows)
    _write_summary(out_dir, rows)
    return rows


def _row(name: str, status: str, result: dict | None, error: str = "") -> dict:
    probabilities = (result or {}).get("probabilities", {})
    return {"case": name, "status": status, "stage": (result or {}).get("stage", ""),
            **{f"p_{k}": round(probabilities[k], 4) if k in probabilities else "" for k in STAGES},
            "prediction_set": " or ".join(((result or {}).get("prediction_set") or {}).get("stages") or []),
            "warnings": "; ".join(sorted({w.get("code", "") for w in (result or {}).get("warnings") or []})),
            "liver_volume_ml": (result or {}).get("liver_volume_ml", ""),
            "spleen_volume_ml": (result or {}).get("spleen_volume_ml", ""),
            "seconds": (result or {}).get("timing_seconds", {}).get("total", ""), "error": error}


def _write_summary(out_dir: Path, rows: list[dict]) -> None:
    write_safe_csv(out_dir / "summary.csv", rows, SUMMARY_COLUMNS)


def _finished_result(case_dir: Path) -> dict | None:
    """A finished case's result.json (resumed, not recomputed); None when the case has not run yet."""
    path = case_dir / "result.json"
    return _read_json_object(path, "remove the case folder to run the case again") if path.exists() else None


def _read_failures(out_dir: Path) -> dict:
    path = out_dir / "failures.json"
    return _read_json_object(path, "remove it to start the record afresh") if path.exists() else {}


def _read_json_object(path: Path, remedy: str) -> dict:
    """A JSON object this command wrote earlier; a file edited or damaged since is a one-line error, not a crash."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(path, f"cannot be read as JSON ({error}); {remedy}") from None
    if not isinstance(data, dict):
        raise InputError(path, f"holds a JSON {type(data).__name__}, not the object written here; {remedy}")
    return data


def _write_failures(out_dir: Path, failures: dict) -> None:
    with atomic_path(out_dir / "failures.json") as temporary:
        temporary.write_text(json.dumps(failures, indent=2))
