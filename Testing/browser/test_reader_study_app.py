"""The reader study in a real browser: load a case, views render, erase part of the liver and see the
server-side mask shrink, re-stage, answer before the reveal, the stored answer, reload and nothing lost, a broken
case."""

from __future__ import annotations

import io
import time

import numpy as np
import pytest

from CirrhosisStaging.staging.stages import stage_label

STATUS = "document.querySelector('#status').innerText"
MODEL_STAGE_IN_STATE = "window.trame.state.get('model_stage')"


def stored_answers(path):
    from LiverCirrhosisWeb.answer_store import AnswerStore

    store = AnswerStore(path)
    try:
        return store.answers()
    finally:
        store.close()


def _liver_ml(page) -> float:
    return float(page.inner_text("#liver-ml").split(":")[1].split("mL")[0])


def _wait_staged(page, timeout=180_000):
    """After a click that starts the engine: wait for it to start, then for the staged result."""
    page.wait_for_function(f"{STATUS}.startsWith('Engine')", timeout=timeout)
    page.wait_for_function(f"{STATUS}.startsWith('Staged')", timeout=timeout)


def _axial_view_box(page):
    """The largest view image on the page: the axial view in the 'Axial Primary' layout."""
    boxes = [b for b in (img.bounding_box() for img in page.query_selector_all("img")) if b]
    return max(boxes, key=lambda b: b["width"] * b["height"])


def test_reader_study_flow(page, web_server):
    url, results, startup_seconds = web_server
    assert startup_seconds < 120
    page.goto(url)
    page.wait_for_selector("#case-case1")
    assert page.inner_text("#progress").startswith("0 / 3")

    clicked = time.monotonic()
    page.click("#case-case1")
    _wait_staged(page)
    stage_seconds = time.monotonic() - clicked
    page.wait_for_timeout(1000)
    shot = page.screenshot()
    from PIL import Image

    pixels = np.asarray(Image.open(io.BytesIO(shot)).convert("L"), dtype=float)
    box = _axial_view_box(page)
    view = pixels[int(box["y"]):int(box["y"] + box["height"]), int(box["x"]):int(box["x"] + box["width"])]
    assert view.std() > 10, "the axial view is blank"
    assert not page.is_visible("#model-answer")                  # hidden before the answer...
    assert page.evaluate(MODEL_STAGE_IN_STATE) in ("", None)      # ...and not in the browser's state either

    before = _liver_ml(page)
    assert before > 100 and "(edited)" not in page.inner_text("#liver-ml")
    page.click("#mode-erase")
    page.wait_for_timeout(300)
    # Sweep the brush across the left half of the axial image, where the liver is (patient right).
    for fraction_y in (0.45, 0.5, 0.55, 0.6):
        page.mouse.move(box["x"] + 0.15 * box["width"], box["y"] + fraction_y * box["height"])
        page.mouse.down()
        page.mouse.move(box["x"] + 0.5 * box["width"], box["y"] + fraction_y * box["height"], steps=25)
        page.mouse.up()
    page.wait_for_function("document.querySelector('#liver-ml').innerText.includes('(edited)')")
    after = _liver_ml(page)
    assert after < before - 5, (before, after)

    page.click("#mode-none")
    page.click("#restage-button")
    page.wait_for_function(f"{STATUS}.startsWith('Engine')", timeout=180_000)
    page.wait_for_function(f"{STATUS}.startsWith('Re-staged')", timeout=180_000)
    assert "edited mask" in page.inner_text("#status")

    page.click("#reader-severe")
    assert page.evaluate(MODEL_STAGE_IN_STATE) in ("", None)
    page.click("#reveal-button")
    page.wait_for_selector("#model-stage")
    model_text = page.inner_text("#model-stage")
    assert model_text.split(":")[1].strip() in ("no cirrhosis", "mild", "moderate", "severe")
    assert page.evaluate(MODEL_STAGE_IN_STATE) == model_text.split(":")[1].strip()
    rows = stored_answers(results)
    assert len(rows) == 1
    row = rows[0]
    assert row["reader_id"] == "reader-7" and row["case_id"] == "case1" and row["reader_stage"] == "severe"
    assert row["mask_edited"] is True and row["truth_stage"] == "mild"
    assert stage_label(row["model_stage"]) == model_text.split(":")[1].strip()   # "none" is shown "no cirrhosis"
    assert abs(sum(row[k] or 0.0 for k in ("p_none", "p_mild", "p_moderate", "p_severe")) - 1) < 1e-3
    assert row["seconds_spent"] > 0

    page.reload()                                   # a closed or reloaded tab loses nothing (a new session)
    page.wait_for_selector("#case-case1")
    assert page.inner_text("#progress").startswith("1 / 3")
    page.click("#case-case1")
    _wait_staged(page)
    assert page.is_visible("#model-stage")          # already answered: shown, not asked again
    assert len(stored_answers(results)) == 1

    page.click("#summary-button")
    page.wait_for_selector("#summary-answers")
    assert "Answers: 1" in page.inner_text("#summary-answers")
    page.keyboard.press("Escape")

    page.click("#case-case3")                        # unreadable: an error in the page, the server carries on
    page.wait_for_selector("#case-error")
    assert "case3" in page.inner_text("#case-error")
    page.click("#case-case2")
    _wait_staged(page)
    print(f"\nserver start {startup_seconds:.1f} s; case click to staged result {stage_seconds:.1f} s")


def test_summary_helpers():
    from LiverCirrhosisWeb.study_records import agreement_summary, study_summary

    rows = [{"reader_id": reader, "case_id": f"c{i}", "reader_stage": stage, "model_stage": model,
             "truth_stage": truth}
            for i, (reader, stage, model, truth) in enumerate((("r1", "mild", "mild", "mild"),
                                                               ("r1", "severe", "moderate", "severe"),
                                                               ("r2", "moderate", "moderate", "")))]
    summary = agreement_summary(rows)
    # rows and columns: none, mild, moderate, severe
    assert summary["answers"] == 3 and summary["confusion_reader_vs_model"][3][2] == 1
    assert summary["with_reference"] == 2 and summary["reader_accuracy"] == 1.0 and summary["model_accuracy"] == 0.5
    assert summary["confusion_reader_vs_reference"] == [[0, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 1]]
    assert -1 <= summary["kappa"] <= 1 and summary["kappa"] == pytest.approx(0.5)
    per_reader = study_summary(rows)["readers"]
    assert sorted(per_reader) == ["r1", "r2"] and per_reader["r2"]["answers"] == 1


def test_case_lists_from_folder_and_csv(web_cases, tmp_path):
    from LiverCirrhosisWeb.cases import list_cases

    from CirrhosisStaging.errors import InputError

    cases = list_cases(web_cases)
    assert [c.case_id for c in cases] == ["case1", "case2", "case3"]
    assert cases[0].t1.name == "t1.nii.gz" and cases[0].t2.name == "t2.nii.gz" and cases[0].truth == "mild"
    listing = tmp_path / "cases.csv"
    listing.write_text(f"\ufeffcase_id,t1,t2,stage\nA,{cases[0].t1},,Severe\nB,,{cases[1].t2},\n", encoding="utf-8")
    from_csv = list_cases(listing)
    assert [(c.case_id, c.t1 is not None, c.t2 is not None, c.truth) for c in from_csv] == [
        ("A", True, False, "severe"), ("B", False, True, None)]
    with pytest.raises(InputError, match="not found"):
        list_cases(tmp_path / "missing")


def test_web_command_refuses_a_bad_case_list_in_one_line(tmp_path):
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "CirrhosisStaging.cli.main", "web", "--cases",
                             str(tmp_path / "missing")], capture_output=True, text=True, encoding="utf-8")
    assert result.returncode == 2
    assert result.stderr.startswith("error:") and "not found" in result.stderr
    assert result.stderr.strip().count("\n") == 0
