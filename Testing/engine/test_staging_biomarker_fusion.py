"""The staging network's biomarker branch: it starts exactly at the logistic baseline, ignores what is missing,
and the Stager feeds it the biomarkers of the sequences it stages (weights irrelevant: tiny networks)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from test_staging_engine import TINY, _case

from CirrhosisStaging.evaluation.baseline import fit_baseline
from CirrhosisStaging.staging.biomarker_features import FEATURES, combined_vector
from CirrhosisStaging.staging.inference import Stager
from CirrhosisStaging.staging.inputs import prepare_staging_input
from CirrhosisStaging.staging.network import build_staging_network
from CirrhosisStaging.staging.training.cases import StagingCase
from CirrhosisStaging.staging.training.initialization import load_matching_weights, start_from_baseline

FUSED = {**TINY, "biomarkers": len(FEATURES)}
BOX = (2, 32, 32, 32)


def _synthetic_cases(count=30, seed=0, spleen=True):
    """Cases whose stage (0 none .. 3 severe) shows in liver volume and nodularity; random image boxes (the image
    head starts at 0)."""
    rng = np.random.default_rng(seed)
    cases = []
    for index in range(count):
        stage = index % 4
        vector = np.array([1800 - 300 * stage + rng.normal(0, 80), 250 + 150 * stage + rng.normal(0, 40),
                           np.nan, 0.5 + 0.4 * stage + rng.normal(0, 0.1), 1.0 + rng.normal(0, 0.2)], np.float32)
        vector[2] = vector[0] / vector[1]
        if not spleen:
            vector[1:3] = np.nan
        case = StagingCase(f"p{index}", stage, "train")
        case.arrays["t2"] = rng.normal(size=BOX).astype(np.float32)
        case.biomarkers["t2"] = vector
        cases.append(case)
    return cases


def _logits(network, case, biomarkers):
    with torch.inference_mode():
        return network({"t2": torch.from_numpy(case.arrays["t2"])[None]}, biomarkers)


def test_fused_network_starts_exactly_at_the_baseline():
    torch.manual_seed(0)
    cases = _synthetic_cases()
    network = build_staging_network(FUSED).eval()
    start_from_baseline(network, cases)
    matrix = np.array([c.biomarker_vector() for c in cases], dtype=float)
    baseline = fit_baseline(matrix, [c.stage_index for c in cases], 4)
    for case, expected in zip(cases, baseline.probabilities(matrix)):
        logits = _logits(network, case, torch.from_numpy(case.biomarker_vector())[None])
        assert torch.softmax(logits, 1)[0].numpy() == pytest.approx(expected, abs=1e-5)
    accuracy = np.mean(baseline.probabilities(matrix).argmax(1) == [c.stage_index for c in cases])
    assert accuracy > 0.8   # the synthetic stages are separable: the branch carries real evidence


def test_missing_and_never_seen_biomarkers_contribute_nothing():
    torch.manual_seed(0)
    cases = _synthetic_cases(spleen=False)          # a real CirrMRI600+ release: liver masks only
    network = build_staging_network(FUSED).eval()
    start_from_baseline(network, cases)
    assert network.biomarker_branch.used.tolist() == [1.0, 0.0, 0.0, 1.0, 1.0]
    case = cases[0]
    measured = torch.from_numpy(case.biomarker_vector())[None]
    with_spleen = measured.clone()
    with_spleen[0, 1:3] = torch.tensor([900.0, 1.5])  # the segmenter finds a spleen at inference
    assert torch.allclose(_logits(network, case, measured), _logits(network, case, with_spleen))
    all_missing = torch.full_like(measured, float("nan"))
    assert torch.allclose(_logits(network, case, all_missing), _logits(network, case, None))
    assert torch.isfinite(_logits(network, case, None)).all()


def test_stager_reads_the_biomarkers_of_each_sequence():
    torch.manual_seed(0)
    network = build_staging_network(FUSED).eval()
    start_from_baseline(network, _synthetic_cases())
    image, labels = _case()
    staging_input = prepare_staging_input(image, labels)
    stager = Stager(network)
    assert stager.uses_biomarkers
    healthy_like = {"liver_volume_ml": 1800.0, "spleen_volume_ml": 250.0, "liver_spleen_volume_ratio": 7.2,
                    "surface_nodularity_mm": 0.5, "heterogeneity_index": 1.0}
    cirrhotic = {**healthy_like, "liver_volume_ml": 900.0, "spleen_volume_ml": 700.0,
                 "liver_spleen_volume_ratio": 1.3, "surface_nodularity_mm": 1.7}
    healthy = stager.stage({"t2": staging_input}, {"t2": healthy_like})
    severe = stager.stage({"t2": staging_input}, {"t2": cirrhotic})
    assert healthy.stage == "none" and severe.stage == "severe"
    assert set(healthy.probabilities) == {"none", "mild", "moderate", "severe"}
    both = stager.stage({"t1": staging_input, "t2": staging_input}, {"t1": healthy_like, "t2": cirrhotic})
    assert both.per_sequence["t1"] == pytest.approx(healthy.probabilities)
    assert both.per_sequence["t2"] == pytest.approx(severe.probabilities)
    assert both.per_sequence["t2"]["severe"] > both.per_sequence["t1"]["severe"]


def test_combined_vector_averages_what_each_sequence_measured():
    t1 = np.array([1000, np.nan, np.nan, 1.0, 2.0], np.float32)
    t2 = np.array([1100, 400, 2.75, np.nan, 4.0], np.float32)
    assert combined_vector([t1, t2]).tolist() == pytest.approx([1050, 400, 2.75, 1.0, 3.0])
    assert np.isnan(combined_vector([np.full(5, np.nan, np.float32)])).all()


def test_matching_weights_copy_encoders_of_an_image_only_model(tmp_path):
    torch.manual_seed(1)
    image_only = build_staging_network(TINY)
    torch.save(image_only.state_dict(), tmp_path / "old.pt")
    fused = build_staging_network(FUSED)
    copied = load_matching_weights(fused, tmp_path / "old.pt")
    assert any(name.startswith("encoders.t1") for name in copied) and "temperature" not in copied
    assert torch.equal(fused.encoders["t2"].blocks[0].conv.unit0.conv.weight,
                       image_only.encoders["t2"].blocks[0].conv.unit0.conv.weight)
