"""Resuming a batch over files it wrote earlier: a damaged record is named, never a crash, and never overwritten."""

from __future__ import annotations

from pathlib import Path

import pytest

from CirrhosisStaging.errors import InputError
from CirrhosisStaging.pipeline.batch import run_batch
from CirrhosisStaging.pipeline.batch_cases import BatchCase


class RecordingPipeline:
    """Stands in for CasePipeline: records which cases it was asked to run."""

    def __init__(self):
        self.ran = []

    def run(self, case_dir, *args, **kwargs) -> dict:
        self.ran.append(Path(case_dir).name)
        return {"stage": "mild", "probabilities": {"mild": 0.9}}


def _cases(*names):
    return [BatchCase(name, t2=Path(f"{name}.nii.gz")) for name in names]


def test_a_damaged_result_is_a_failed_case_and_the_batch_goes_on(tmp_path):
    out = tmp_path / "out"
    (out / "a").mkdir(parents=True)
    (out / "a" / "result.json").write_text('{"stage": "sev')          # edited or cut short by hand
    (out / "b").mkdir()
    (out / "b" / "result.json").write_text('{"stage": "severe"}')
    pipeline = RecordingPipeline()
    rows = run_batch(_cases("a", "b", "c"), out, pipeline, progress=False)
    assert [(row["case"], row["status"], row["stage"]) for row in rows] == [
        ("a", "failed", ""), ("b", "done", "severe"), ("c", "done", "mild")]
    assert "result.json: cannot be read as JSON" in rows[0]["error"] and "remove the case folder" in rows[0]["error"]
    assert pipeline.ran == ["c"]                                       # b resumed, a left alone
    assert (out / "a" / "result.json").read_text() == '{"stage": "sev'


@pytest.mark.parametrize("content, message", [("[1, 2]", "holds a JSON list"), ("{oops", "cannot be read as JSON")])
def test_a_damaged_failure_record_is_refused_before_any_case(tmp_path, content, message):
    out = tmp_path / "out"
    out.mkdir()
    (out / "failures.json").write_text(content)
    pipeline = RecordingPipeline()
    with pytest.raises(InputError, match=f"failures.json: {message}"):
        run_batch(_cases("a"), out, pipeline, progress=False)
    assert pipeline.ran == [] and (out / "failures.json").read_text() == content
