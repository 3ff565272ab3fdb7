"""The "none" outcome end to end (CLI, result.json, report), weights made before it still running, affine intensity
invariance of the stage, tiny liver masks refused, and the out_of_distribution warnings (tiny networks; weights
irrelevant except where they are set by hand)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import SimpleITK as sitk
import torch
from synthetic_volumes import head_like_volume, write_phantom_patient
from test_staging_engine import TINY

from CirrhosisStaging.biomarkers import compute_biomarkers
from CirrhosisStaging.io import read_image, write_image
from CirrhosisStaging.models import find_model
from CirrhosisStaging.phantom import make_case
from CirrhosisStaging.staging.biomarker_features import FEATURES
from CirrhosisStaging.staging.feature_reference import feature_distance, fit_feature_reference
from CirrhosisStaging.staging.inference import Stager
from CirrhosisStaging.staging.inputs import prepare_staging_input
from CirrhosisStaging.staging.network import build_staging_network
from CirrhosisStaging.staging.out_of_distribution import feature_reason, intensity_reasons
from CirrhosisStaging.staging.training.publish import publish_staging

REFERENCED = {**TINY, "feature_reference": True}


def _cli(*args, models=None):
    import os

    environment = {**os.environ, "CIRRHOSIS_STAGING_MODELS": str(models)} if models else None
    return subprocess.run([sys.executable, "-m", "CirrhosisStaging.cli.main", *map(str, args)],
                          capture_output=True, text=True, encoding="utf-8", env=environment)


def _phantom_input(seed, stage=2, sequence="t2"):
    case = make_case(stage, seed, sequence, size_scale=0.5)
    return prepare_staging_input(case.image, case.organ_labels).array


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    return write_phantom_patient(tmp_path_factory.mktemp("outcomes"))


@pytest.fixture(scope="module")
def none_models(tmp_path_factory):
    """A published 4-class stager whose head says "none" whatever it sees, with a feature reference and a
    conformal threshold, in a manifest of its own."""
    root = tmp_path_factory.mktemp("none_model")
    torch.manual_seed(0)
    network = build_staging_network(REFERENCED).eval()
    with torch.no_grad():
        network.head[-1].weight.zero_()
        network.head[-1].bias.copy_(torch.tensor([6.0, 0.0, 0.0, 0.0]))
    fit_feature_reference(network, {"t2": [_phantom_input(seed) for seed in range(4)]})
    run = root / "run"
    run.mkdir()
    torch.save(network.state_dict(), run / "best.pt")
    (run / "config.json").write_text(json.dumps({"architecture": REFERENCED}))
    (run / "calibration.json").write_text(json.dumps({"temperature": 1.0, "conformal_coverage": 0.9,
                                                      "conformal_threshold": 0.5}))
    release = root / "release"
    release.mkdir()
    (release / "Simulation_truth.csv").write_text("patient_id\n")
    publish_staging(run, "none-stager", "9.0.0", release, manifest_path=root / "models" / "manifest.json")
    return root / "models"


def test_none_end_to_end_through_the_cli_and_report(case, none_models, tmp_path):
    entry = find_model("staging", manifest=none_models / "manifest.json")
    assert entry.labels == {0: "none", 1: "mild", 2: "moderate", 3: "severe"} and entry.demonstration_only
    out = tmp_path / "out"
    done = _cli("run", "--t2", case["t2"], "--t2-mask", case["t2_mask"], "--out", out, "--device", "cpu",
                models=none_models)
    assert done.returncode == 0, done.stderr
    result = json.loads((out / "result.json").read_text())
    assert result["stage"] == "none" and result["stage_label"] == "no cirrhosis"
    assert list(result["probabilities"]) == ["none", "mild", "moderate", "severe"] == result["model_stages"]
    assert sum(result["probabilities"].values()) == pytest.approx(1.0)
    assert result["prediction_set"]["stages"] == ["none"] and result["prediction_set"]["coverage"] == 0.9
    assert result["sequences"]["t2"]["feature_distance"]["threshold"] > 0
    assert result["demonstration_only"] is True and "simulated" in result["notice"]
    assert (out / "report.png").read_bytes()[:4] == b"\x89PNG"


def test_none_in_the_report_panel_and_readers_forms():
    from CirrhosisStaging.report.probability_panel import _set_text, stage_probabilities
    from LiverCirrhosisLib.results_table import result_rows, stage_summary
    from LiverCirrhosisWeb.study_records import agreement_summary

    result = {"stage": "none", "probabilities": {"none": 0.9, "mild": 0.05, "moderate": 0.03, "severe": 0.02},
              "prediction_set": {"stages": ["none", "mild"], "coverage": 0.9}, "biomarkers": {}, "notice": "demo"}
    assert stage_probabilities(result)["none"] == 0.9
    assert _set_text(result["prediction_set"]) == "90% set: no cirrhosis or mild"
    assert stage_summary(result).startswith("Stage: no cirrhosis (none 0.90")
    rows = {row[0]: row[1] for row in result_rows(result)}
    assert rows["Stage"] == "no cirrhosis" and rows["P(none)"] == "0.900"
    assert rows["Prediction set"] == "90% set: no cirrhosis or mild"
    legacy = {"stage": "mild", "probabilities": {"mild": 0.6, "moderate": 0.3, "severe": 0.1}, "biomarkers": {}}
    assert "P(none)" not in {row[0] for row in result_rows(legacy)}   # 3-class weights: not assessed, not 0
    summary = agreement_summary([{"reader_stage": "none", "model_stage": "none", "truth_stage": "none"},
                                 {"reader_stage": "mild", "model_stage": "none", "truth_stage": "none"}])
    assert summary["stages"][0] == "none" and summary["confusion_reader_vs_model"][1][0] == 1
    assert summary["reader_accuracy"] == 0.5 and summary["model_accuracy"] == 1.0


def test_three_class_weights_still_load_and_run(case, tmp_path):
    legacy = json.loads(json.dumps(find_model("staging", "cirrhosis-stager-demo").to_dict()))
    shipped = json.loads((find_model("staging").manifest_dir / "manifest.json").read_text())["models"]
    legacy_entries = [m for m in shipped if m["task"] == "staging" and m["architecture"]["num_classes"] == 3]
    assert legacy_entries, "the 3-class demonstration weights stay in the manifest"
    entry = legacy_entries[-1]
    folder = tmp_path / "models"
    folder.mkdir()
    (folder / entry["file"]).symlink_to(find_model("staging").manifest_dir / entry["file"])
    (folder / "manifest.json").write_text(json.dumps({"format_version": 1, "models": [entry]}))
    out = tmp_path / "out"
    done = _cli("run", "--t2", case["t2"], "--t2-mask", case["t2_mask"], "--out", out, "--device", "cpu",
                models=folder)
    assert done.returncode == 0, done.stderr
    result = json.loads((out / "result.json").read_text())
    assert result["model_stages"] == ["mild", "moderate", "severe"] == list(result["probabilities"])
    assert result["stage"] in result["model_stages"] and result["prediction_set"] is None
    assert legacy["name"] == entry["name"] and (out / "report.pdf").exists()


def test_stage_unchanged_when_intensities_go_through_a_x_plus_b():
    torch.manual_seed(1)
    network = build_staging_network({**TINY, "biomarkers": len(FEATURES)}).eval()
    phantom = make_case(2, 5, "t2", size_scale=0.5)
    labels = phantom.organ_labels
    measured = compute_biomarkers(phantom.image, labels)
    with torch.no_grad():   # a branch that reads heterogeneity strongly: a shift in it would move the stage
        branch = network.biomarker_branch
        branch.mean.copy_(torch.tensor([measured[f] or 0.0 for f in FEATURES], dtype=torch.float32))
        branch.scale.fill_(1.0)
        branch.scale[4] = 0.2
        branch.linear.weight.zero_()
        branch.linear.weight[:, 4] = torch.tensor([-3.0, -1.0, 1.0, 3.0])
        network.head[-1].weight.mul_(20)
    stager = Stager(network)

    def staged(image):
        return stager.stage({"t2": prepare_staging_input(image, labels)}, {"t2": compute_biomarkers(image, labels)})

    reference = staged(phantom.image)
    for a, b in ((3.0, 500.0), (0.05, -2.0), (1.0, 1000.0)):
        changed = staged(sitk.Cast(phantom.image, sitk.sitkFloat32) * a + b)
        assert changed.stage == reference.stage
        assert changed.probabilities == pytest.approx(reference.probabilities, abs=2e-3)
    gamma = sitk.Pow(sitk.Cast(phantom.image, sitk.sitkFloat32) + 1.0, 2.0)   # not affine: the stage may move
    assert staged(gamma).probabilities != pytest.approx(reference.probabilities, abs=2e-3)


def test_a_liver_mask_under_the_minimum_volume_is_refused(case, none_models, tmp_path):
    labels = read_image(case["t2_mask"])
    array = np.zeros(sitk.GetArrayViewFromImage(labels).shape, np.uint8)
    array[5, 40, 40] = 1
    one_voxel = sitk.GetImageFromArray(array)
    one_voxel.CopyInformation(labels)
    path = write_image(one_voxel, tmp_path / "one_voxel.nii.gz")
    out = tmp_path / "never"
    done = _cli("run", "--t2", case["t2"], "--t2-mask", path, "--out", out, "--device", "cpu", models=none_models)
    assert done.returncode == 2 and done.stderr.startswith("error: ") and "one_voxel.nii.gz" in done.stderr
    assert "mL" in done.stderr and len(done.stderr.strip().splitlines()) == 1 and not out.exists()


def test_ct_given_as_t2_is_staged_with_an_out_of_distribution_warning(case, none_models, tmp_path):
    mri = sitk.Cast(read_image(case["t2"]), sitk.sitkFloat32)
    maximum = float(sitk.GetArrayViewFromImage(mri).max())
    ct = write_image(mri * (1100.0 / maximum) - 1000.0, tmp_path / "ct.nii.gz")   # air -1000, tissue about 0..100
    assert intensity_reasons(read_image(ct)) and not intensity_reasons(read_image(case["t2"]))
    out = tmp_path / "out"
    done = _cli("run", "--t2", ct, "--t2-mask", case["t2_mask"], "--out", out, "--device", "cpu", models=none_models)
    assert done.returncode == 0, done.stderr
    warnings = json.loads((out / "result.json").read_text())["warnings"]
    flagged = [w for w in warnings if w["code"] == "out_of_distribution"]
    assert len(flagged) == 1 and flagged[0]["sequence"] == "t2" and "Hounsfield" in flagged[0]["message"]


def test_feature_distance_flags_a_non_abdominal_scan_not_an_unseen_phantom():
    torch.manual_seed(0)
    network = build_staging_network(REFERENCED).eval()
    training = [_phantom_input(seed, stage=seed % 4) for seed in range(20)]
    fitted = fit_feature_reference(network, {"t2": training})
    assert fitted["t2"]["cases"] == 20 and "t1" not in fitted   # no T1 training data: T1 is not checked
    unseen = [feature_distance(network, _phantom_input(seed, stage=seed % 4), "t2") for seed in range(100, 106)]
    assert all(feature_reason(distance) is None for distance in unseen)
    image, labels = head_like_volume()
    distance = feature_distance(network, prepare_staging_input(image, labels).array, "t2")
    assert feature_reason(distance) is not None and distance[0] > max(d[0] for d in unseen)
    assert feature_distance(network, training[0], "t1") is None


def test_conformal_sets_cover_the_true_stage_at_the_promised_rate():
    from CirrhosisStaging.staging.training.calibration import conformal_threshold, prediction_set

    rng = np.random.default_rng(0)

    def draw(n):   # a classifier that is right about 70% of the time, with honest-ish probabilities
        truth = rng.integers(0, 4, n)
        logits = rng.normal(0, 1, (n, 4))
        logits[np.arange(n), truth] += 1.5
        probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        return truth, probabilities

    truth, probabilities = draw(300)
    threshold = conformal_threshold(probabilities, truth, 0.9)
    test_truth, test_probabilities = draw(3000)
    names = ["none", "mild", "moderate", "severe"]
    sets = [prediction_set(dict(zip(names, p)), threshold) for p in test_probabilities]
    coverage = np.mean([names[t] in s for t, s in zip(test_truth, sets)])
    assert 0.88 <= coverage <= 0.95 and 1 < np.mean([len(s) for s in sets]) < 4
    assert conformal_threshold(probabilities[:5], truth[:5], 0.9) is None   # too few to promise 90%
    assert prediction_set({"none": 0.1, "mild": 0.9}, 0.0) == ["mild"]     # never empty


def test_cirrhosis_vs_none_and_three_stage_views():
    from CirrhosisStaging.evaluation.staging_evaluation import stage_reports

    truth = ["none", "none", "mild", "moderate", "severe", "severe"]
    probabilities = np.array([[0.7, 0.2, 0.05, 0.05], [0.4, 0.5, 0.05, 0.05], [0.3, 0.6, 0.05, 0.05],
                              [0.1, 0.1, 0.2, 0.6], [0.05, 0.05, 0.1, 0.8], [0.05, 0.05, 0.7, 0.2]])
    reports = stage_reports(truth, probabilities, ("none", "mild", "moderate", "severe"))
    binary = reports["cirrhosis_vs_none"]
    assert (binary["positives"], binary["negatives"]) == (4, 2)
    assert binary["sensitivity"] == 1.0 and binary["specificity"] == 0.5 and binary["auc"] == 1.0
    among = reports["cirrhotic_3_class"]
    assert among["patients"] == 4 and among["accuracy"] == 0.5   # mild right, moderate -> severe, severe right/wrong
    assert reports["per_patient"]["accuracy"] == pytest.approx(3 / 6)
