"""The `run` contract (DESIGN section 4) and `batch`, with the shipped segmentation and staging weights."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import numpy as np
import pytest
import SimpleITK as sitk
from synthetic_volumes import write_phantom_patient

from CirrhosisStaging.export import read_seg_nrrd
from CirrhosisStaging.io import Grid, read_image, write_image
from CirrhosisStaging.models import find_model
from CirrhosisStaging.segmentation.edge_refinement import EDGE_RADIUS_MM


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "CirrhosisStaging.cli.main", *map(str, args)],
                          capture_output=True, text=True, encoding="utf-8")


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    """A moderate phantom patient: T1W and T2W on their own grids, with ground-truth liver masks."""
    return write_phantom_patient(tmp_path_factory.mktemp("case"))


@pytest.fixture(scope="module")
def full_run(case, tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "out"
    result = _cli("run", "--t1", case["t1"], "--t2", case["t2"], "--out", out, "--device", "cpu",
                  "--age", 60, "--ast", 80, "--alt", 50, "--platelets", 100)
    assert result.returncode == 0, result.stderr
    return out


def test_run_writes_every_file_on_the_input_grids(case, full_run):
    for sequence in ("t1", "t2"):
        image = read_image(case[sequence])
        mask = read_image(full_run / f"{sequence}_liver_mask.nii.gz")
        attention = read_image(full_run / f"{sequence}_attention.nii.gz")
        assert Grid.of(mask).matches(Grid.of(image), 1e-6)
        assert Grid.of(attention).matches(Grid.of(image), 1e-6)
        assert mask.GetPixelID() == sitk.sitkUInt8 and set(np.unique(sitk.GetArrayViewFromImage(mask))) == {0, 1}
        values = sitk.GetArrayFromImage(attention)
        assert attention.GetPixelID() == sitk.sitkFloat32 and values.min() >= 0 and values.max() <= 1
        labels, segments = read_seg_nrrd(full_run / f"{sequence}_liver.seg.nrrd")
        assert Grid.of(labels).matches(Grid.of(image), 1e-6)
        assert any("10200004" in segment["tags"].get("TerminologyEntry", "") for segment in segments)
        truth = sitk.GetArrayFromImage(read_image(case[f"{sequence}_mask"])) == 1
        predicted = sitk.GetArrayFromImage(mask) == 1
        assert 2 * (truth & predicted).sum() / (truth.sum() + predicted.sum()) > 0.6  # the shipped model finds it
    assert (full_run / "report.png").read_bytes()[:4] == b"\x89PNG"
    assert (full_run / "report.pdf").read_bytes()[:4] == b"%PDF"


def test_result_json_schema(full_run):
    result = json.loads((full_run / "result.json").read_text())
    assert result["stage"] in result["model_stages"]
    assert list(result["probabilities"]) == result["model_stages"]   # the shipped weights' stages, none first
    assert result["model_stages"] in (["none", "mild", "moderate", "severe"], ["mild", "moderate", "severe"])
    assert sum(result["probabilities"].values()) == pytest.approx(1.0, abs=1e-6)
    assert set(result["sequences"]) == {"t1", "t2"}
    for name, sequence in result["sequences"].items():
        assert sum(sequence["probabilities"].values()) == pytest.approx(1.0, abs=1e-6)
        assert sequence["mask_source"] == "model"
        assert sequence["segmentation_model"] == find_model("segmentation", sequence=name).key   # each its own model
    assert result["liver_volume_ml"] > 300
    staging = find_model("staging")
    assert result["models"]["staging"]["sha256"] == staging.sha256
    # the model behind the biomarkers' masks (T1W's when there is one)
    assert result["biomarkers_from"] == "t1"
    assert result["models"]["segmentation"]["sha256"] == find_model("segmentation", sequence="t1").sha256
    assert result["models"]["segmentation"]["edge_radius_mm"] == EDGE_RADIUS_MM
    assert result["demonstration_only"] is True and "simulated" in result["notice"]
    assert result["device"] == "cpu"
    assert result["clinical"]["fib4"] == pytest.approx(60 * 80 / (100 * np.sqrt(50)), rel=1e-3)


def test_restage_with_edited_mask_changes_biomarkers(case, full_run, tmp_path):
    edited = sitk.ReadImage(str(full_run / "t2_liver_mask.nii.gz"))
    array = sitk.GetArrayFromImage(edited)
    rows = np.nonzero(array.any(axis=(0, 2)))[0]
    array[:, rows[len(rows) // 2]:, :] = 0  # the annotator removes the posterior half of the liver
    edited_array = sitk.GetImageFromArray(array)
    edited_array.CopyInformation(edited)
    mask_path = write_image(edited_array, tmp_path / "edited_t2_mask.nii.gz")
    out = tmp_path / "restaged"
    result = _cli("run", "--t2", case["t2"], "--t2-mask", mask_path, "--out", out, "--device", "cpu")
    assert result.returncode == 0, result.stderr
    before = json.loads((full_run / "result.json").read_text())["sequences"]["t2"]
    after = json.loads((out / "result.json").read_text())["sequences"]["t2"]
    assert after["mask_source"] == "user" and after["segmentation_model"] is None
    assert json.loads((out / "result.json").read_text())["models"]["segmentation"] is None
    assert after["biomarkers"]["liver_volume_ml"] < 0.8 * before["biomarkers"]["liver_volume_ml"]
    assert after["probabilities"] != before["probabilities"]  # the mask is a staging input, not decoration
    np.testing.assert_array_equal(sitk.GetArrayFromImage(read_image(out / "t2_liver_mask.nii.gz")), array)


def test_single_sequence_runs(case, tmp_path):
    for sequence in ("t1", "t2"):
        out = tmp_path / sequence
        result = _cli("run", f"--{sequence}", case[sequence], f"--{sequence}-mask", case[f"{sequence}_mask"],
                      "--out", out, "--device", "cpu")
        assert result.returncode == 0, result.stderr
        assert set(json.loads((out / "result.json").read_text())["sequences"]) == {sequence}
        assert not (out / f"{'t2' if sequence == 't1' else 't1'}_liver_mask.nii.gz").exists()


def test_bad_inputs_exit_2_and_leave_nothing(case, tmp_path):
    out = tmp_path / "never"
    checks = [
        (["--t1", tmp_path / "missing.nii.gz"], "no such file"),
        (["--t2", case["t2"], "--t2-mask", case["t1_mask"]], "does not match"),
        (["--t2-mask", case["t2_mask"]], "without a T2 image"),
        ([], "give --t1 and/or --t2"),
        (["--t1", case["t2"], "--t2", case["t2"]], "is the same volume as --t1"),
    ]
    for arguments, message in checks:
        result = _cli("run", *arguments, "--out", out, "--device", "cpu")
        assert result.returncode == 2, result.stderr
        assert result.stderr.startswith("error: ") and message in result.stderr and "Traceback" not in result.stderr
        assert not out.exists() and not any(p.name.startswith(".never") for p in tmp_path.iterdir())


@pytest.mark.parametrize("liver_voxels", [0, 27])
def test_no_liver_found_is_an_error_naming_the_volume(case, tmp_path, monkeypatch, liver_voxels):
    """A volume the network finds no liver (or a few voxels of it) in, not abdominal or a contrast it cannot read,
    stops the run before any output, naming that volume; there is nothing to measure or stage."""
    from CirrhosisStaging.errors import InputError
    from CirrhosisStaging.pipeline.run_case import CasePipeline
    from CirrhosisStaging.segmentation.inference import Segmentation

    class FindsNoLiver:
        def segment(self, image, sequence=None):
            labels = np.zeros(image.GetSize()[::-1], np.uint8)
            labels[:3, :3, :3].flat[:liver_voxels] = 1
            mask = sitk.GetImageFromArray(labels)
            mask.CopyInformation(image)
            return Segmentation(mask, 0.0, "cpu", quality={"status": "check", "reasons": ["no liver was found"]})

    monkeypatch.setattr(CasePipeline, "segmenter", lambda self, sequence: FindsNoLiver())
    out = tmp_path / "out"
    with pytest.raises(InputError, match="T2W segmentation found no liver") as raised:
        CasePipeline("cpu").run(out, t2=case["t2"])
    assert raised.value.path == str(case["t2"]) and "\n" not in str(raised.value)
    assert list(tmp_path.iterdir()) == []


def test_existing_output_and_inputs_inside_it_are_protected(case, full_run, tmp_path):
    before = (full_run / "result.json").read_text()
    result = _cli("run", "--t2", case["t2"], "--out", full_run, "--device", "cpu")
    assert result.returncode == 2 and "already exists" in result.stderr
    result = _cli("run", "--t2", case["t2"], "--t2-mask", full_run / "t2_liver_mask.nii.gz", "--out", full_run,
                  "--overwrite", "--device", "cpu")
    assert result.returncode == 2 and "inside the output folder" in result.stderr
    assert (full_run / "result.json").read_text() == before


def test_batch_records_failures_resumes_and_summarises(case, tmp_path):
    cases = tmp_path / "cases"
    for name in ("a", "b"):
        (cases / name).mkdir(parents=True)
        (cases / name / "t2.nii.gz").write_bytes(case["t2"].read_bytes())
        (cases / name / "t2_mask.nii.gz").write_bytes(case["t2_mask"].read_bytes())
    (cases / "broken").mkdir()
    (cases / "broken" / "t2.nii.gz").write_bytes(case["t2"].read_bytes()[:2000])
    out = tmp_path / "batch"
    result = _cli("batch", cases, "--out", out, "--device", "cpu")
    assert result.returncode == 0, result.stderr
    rows = {row["case"]: row for row in csv.DictReader(open(out / "summary.csv"))}
    assert rows["a"]["status"] == rows["b"]["status"] == "done" and rows["broken"]["status"] == "failed"
    assert "cannot be read" in rows["broken"]["error"]
    assert "broken" in json.loads((out / "failures.json").read_text())
    first = (out / "a" / "result.json").stat().st_mtime_ns
    (cases / "broken" / "t2.nii.gz").write_bytes(case["t2"].read_bytes())
    result = _cli("batch", cases, "--out", out, "--device", "cpu")
    assert result.returncode == 0, result.stderr
    rows = {row["case"]: row for row in csv.DictReader(open(out / "summary.csv"))}
    assert all(row["status"] == "done" for row in rows.values())
    assert (out / "a" / "result.json").stat().st_mtime_ns == first  # resumed, not recomputed
    assert json.loads((out / "failures.json").read_text()) == {}
