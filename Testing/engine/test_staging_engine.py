"""Staging engine with tiny or hand-made networks (weights irrelevant): inputs, fusion, attention mapping,
calibration, metrics, baseline. The shipped weights are exercised in test_run_command.py."""

from __future__ import annotations

import numpy as np
import pytest
import SimpleITK as sitk
import torch
from synthetic_volumes import RAS_FLIP, make_volume
from torch import nn

from CirrhosisStaging.evaluation.baseline import fit_baseline
from CirrhosisStaging.evaluation.metrics import classification_report, macro_f1, one_vs_rest_auc, quadratic_kappa
from CirrhosisStaging.io import Grid
from CirrhosisStaging.staging.attention import attention_maps
from CirrhosisStaging.staging.inference import Stager
from CirrhosisStaging.staging.inputs import BOX_SPACING_XYZ, prepare_staging_input
from CirrhosisStaging.staging.network import build_staging_network
from CirrhosisStaging.staging.training.calibration import fit_temperature

TINY = {"class": "CrossSequenceStager", "in_channels": 2, "channels": [4, 8, 8, 8], "heads": 2,
        "num_classes": 4, "dropout": 0.0}


def _case(direction=(1, 0, 0, 0, 1, 0, 0, 0, 1), blob_x=None):
    """Body with a liver block; optionally a bright blob at index x = blob_x inside the liver."""
    image = make_volume(size=(64, 48, 24), spacing=(5.0, 5.0, 8.0), direction=direction, origin=(-150, -110, 0))
    array = sitk.GetArrayFromImage(image)
    labels = np.zeros(array.shape, np.uint8)
    labels[6:18, 14:34, 10:54] = 1
    array[labels == 1] = 120.0
    if blob_x is not None:
        array[10:14, 20:28, blob_x - 3:blob_x + 3] = 400.0
    result = sitk.GetImageFromArray(array)
    result.CopyInformation(image)
    label_image = sitk.GetImageFromArray(labels)
    label_image.CopyInformation(image)
    return result, label_image


@pytest.mark.parametrize("direction", [(1, 0, 0, 0, 1, 0, 0, 0, 1), RAS_FLIP])
def test_staging_box_holds_the_whole_liver(direction):
    image, labels = _case(direction)
    staging_input = prepare_staging_input(image, labels)
    assert staging_input.array.shape[0] == 2
    box_ml = staging_input.array[1].sum() * np.prod(BOX_SPACING_XYZ) / 1000
    true_ml = (sitk.GetArrayViewFromImage(labels) == 1).sum() * np.prod(image.GetSpacing()) / 1000
    assert box_ml == pytest.approx(true_ml, rel=0.05)


def test_network_fuses_one_or_two_sequences_and_uses_the_mask():
    torch.manual_seed(0)
    network = build_staging_network(TINY).eval()
    image, labels = _case()
    staging_input = prepare_staging_input(image, labels)
    stager = Stager(network)
    both = stager.stage({"t1": staging_input, "t2": staging_input})
    assert sum(both.probabilities.values()) == pytest.approx(1.0)
    assert set(both.per_sequence) == {"t1", "t2"}
    only_t2 = stager.stage({"t2": staging_input})
    assert set(only_t2.per_sequence) == {"t2"} and only_t2.probabilities == only_t2.per_sequence["t2"]
    eroded = prepare_staging_input(image, sitk.BinaryErode(labels, [3, 3, 1]))
    assert stager.stage({"t2": eroded}).probabilities != only_t2.probabilities  # the mask is an input


def test_temperature_divides_logits():
    network = build_staging_network(TINY).eval()
    x = {"t1": torch.randn(1, 2, 48, 96, 128)}
    with torch.no_grad():
        before = network(x)
        network.temperature.fill_(2.0)
        assert torch.allclose(network(x), before / 2.0)


class _BrightnessNet(nn.Module):
    """Positive linear 'encoder': activations follow image brightness, so Grad-CAM must peak on the bright blob."""

    def __init__(self):
        super().__init__()
        self.encoders = nn.ModuleDict({s: _Encoder() for s in ("t1", "t2")})
        self.register_buffer("temperature", torch.ones(1))

    def forward(self, inputs):
        scores = [self.encoders[s](x)[:, 0].flatten(1).mean(dim=1) for s, x in inputs.items() if x is not None]
        score = torch.stack(scores).mean(dim=0)
        return torch.stack([-score, torch.zeros_like(score), score], dim=1)


class _Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        conv = nn.Conv3d(2, 1, 3, padding=1)
        nn.init.constant_(conv.weight, 0.0)
        with torch.no_grad():
            conv.weight[0, 0] = 1.0 / 27  # image channel only, a local mean
            conv.bias.zero_()
        self.blocks = nn.Sequential(nn.Identity(), conv, nn.ReLU())

    def forward(self, x):
        return self.blocks(x - x.amin(dim=(2, 3, 4), keepdim=True))


@pytest.mark.parametrize("direction", [(1, 0, 0, 0, 1, 0, 0, 0, 1), RAS_FLIP])
def test_attention_follows_the_evidence_on_the_input_grid(direction):
    peaks = []
    for blob_x in (16, 46):
        image, labels = _case(direction, blob_x)
        staging_input = prepare_staging_input(image, labels)
        maps = attention_maps(_BrightnessNet(), {"t2": staging_input}, {"t2": labels}, class_index=2)
        attention = maps["t2"]
        assert Grid.of(attention) == Grid.of(image) and attention.GetPixelID() == sitk.sitkFloat32
        array = sitk.GetArrayFromImage(attention)
        assert array.min() >= 0.0 and array.max() == pytest.approx(1.0)
        assert array[sitk.GetArrayViewFromImage(labels) == 0].max() < 1.0  # weighted to the liver
        peaks.append(np.unravel_index(np.argmax(array), array.shape)[2])
    assert abs(peaks[0] - 16) <= 4 and abs(peaks[1] - 46) <= 4


def test_temperature_fit_softens_overconfident_logits():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 200)
    logits = rng.normal(size=(200, 3)) * 0.5
    logits[np.arange(200), labels] += 1.0
    logits *= 8.0  # overconfident
    temperature = fit_temperature(logits, labels)

    def nll(t):
        return float(torch.nn.functional.cross_entropy(torch.tensor(logits / t), torch.tensor(labels)))

    assert temperature > 1.2 and nll(temperature) < nll(1.0)


def test_metrics_on_known_values():
    truth = [0, 0, 1, 1, 2, 2]
    assert quadratic_kappa(truth, truth, 3) == pytest.approx(1.0)
    assert quadratic_kappa(truth, [2, 2, 1, 1, 0, 0], 3) < 0
    assert macro_f1(truth, [0, 0, 1, 1, 2, 1], 3) == pytest.approx((1 + 0.8 + 2 / 3) / 3)
    probabilities = np.eye(3)[truth] * 0.8 + 0.2 / 3
    assert one_vs_rest_auc(truth, probabilities)["macro"] == pytest.approx(1.0)
    report = classification_report(truth, probabilities, ("mild", "moderate", "severe"))
    assert report["accuracy"] == 1.0 and report["confusion_matrix"]["counts"] == [[2, 0, 0], [0, 2, 0], [0, 0, 2]]


def test_biomarker_baseline_learns_a_separable_problem_and_tolerates_missing_values():
    rng = np.random.default_rng(1)
    labels = np.repeat([0, 1, 2], 30)
    features = rng.normal(size=(90, 5)) + labels[:, None] * 2.0
    features[::7, 1] = np.nan  # e.g. no spleen mask
    model = fit_baseline(features, labels)
    assert (model.probabilities(features).argmax(axis=1) == labels).mean() > 0.9
