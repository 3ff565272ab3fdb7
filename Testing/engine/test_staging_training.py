"""train-stage and evaluate on a tiny phantom release with a tiny network (weights irrelevant)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from test_staging_engine import TINY

from CirrhosisStaging.evaluation.staging_evaluation import evaluate_staging
from CirrhosisStaging.phantom import write_release
from CirrhosisStaging.staging.biomarker_features import FEATURES
from CirrhosisStaging.staging.network import build_staging_network
from CirrhosisStaging.staging.training.cases import load_cases
from CirrhosisStaging.staging.training.publish import publish_staging
from CirrhosisStaging.staging.training.trainer import StagingTrainingConfig, train_staging


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    return write_release(tmp_path_factory.mktemp("stage") / "release", cases=9, seed=11, healthy=6,
                         with_2d=False, size_scale=0.3, progress=False)


@pytest.mark.parametrize("architecture", [TINY, {**TINY, "biomarkers": len(FEATURES), "feature_reference": True}],
                         ids=["image", "fused"])
def test_train_resume_calibrate_evaluate_publish(release, tmp_path, architecture):
    train, valid = load_cases(release, "train", False), load_cases(release, "valid", False)
    assert train and all(case.arrays for case in train)
    assert {s for case in train for s in case.arrays} <= {"t1", "t2"}
    # Healthy subjects are stage "none" (index 0), split by subject beside the cirrhosis patients.
    healthy = [case for split in ("train", "valid", "test") for case in load_cases(release, split, False)
               if case.patient_id.startswith("healthy-")]
    assert len(healthy) == 6 and {case.stage_index for case in healthy} == {0}
    assert any(case.stage_index == 0 for case in train) and any(case.stage_index > 0 for case in train)
    # Phantom releases carry organ labels: the spleen is measured, so every biomarker is present.
    assert all(not np.isnan(case.biomarker_vector()).any() for case in train)
    config = StagingTrainingConfig(out_dir=tmp_path / "run", architecture=architecture, epochs=1, batch_size=2,
                                   device="cpu")
    history = train_staging(config, train, valid, progress=False)
    assert len(history) == 1 and "val_nll" in history[0]
    config.epochs = 2
    history = train_staging(config, train, valid, progress=False)   # resumes at epoch 2
    assert [r["epoch"] for r in history] == [1, 2]
    calibration = json.loads((tmp_path / "run" / "calibration.json").read_text())
    assert calibration["temperature"] > 0
    assert calibration["conformal_coverage"] == 0.9 and "conformal_threshold" in calibration
    assert 0.0 <= calibration["val_ece_after"] <= 1.0

    network = build_staging_network(architecture)
    network.load_state_dict(torch.load(tmp_path / "run" / "best.pt", weights_only=True))
    assert float(network.temperature) == pytest.approx(calibration["temperature"])
    result = evaluate_staging(network, release, "test", baseline=True, progress=False)
    report = result["per_patient"]
    assert report["patients"] == len(load_cases(release, "test", False))
    assert sum(map(sum, report["confusion_matrix"]["counts"])) == report["patients"]
    assert 0.0 <= result["per_slice_accuracy"] <= 1.0
    assert "accuracy" in result["biomarker_baseline"]
    assert result["model_stages"] == ["none", "mild", "moderate", "severe"]
    assert len(report["confusion_matrix"]["counts"]) == 4
    truth = [p["truth"] for p in report["predictions"]]
    assert result["cirrhotic_3_class"]["patients"] == sum(t != "none" for t in truth)
    binary = result["cirrhosis_vs_none"]
    assert (binary["positives"], binary["negatives"]) == (sum(t != "none" for t in truth), truth.count("none"))
    assert "cirrhosis_vs_none" in result["biomarker_baseline"]
    if architecture.get("feature_reference"):
        fitted = calibration["feature_reference"]
        assert fitted and all(v["threshold"] > 0 for v in fitted.values())
        assert float(network.reference_threshold.max()) > 0

    manifest = tmp_path / "models" / "manifest.json"
    (tmp_path / "run" / "history.json").write_text(json.dumps(history))
    weights = publish_staging(tmp_path / "run", "test-stager", "0.0.1", release, manifest_path=manifest)
    entry = json.loads(manifest.read_text())["models"][0]
    assert weights.exists() and entry["demonstration_only"] is True and "simulated" in entry["notice"]
