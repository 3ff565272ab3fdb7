"""FIB-4 and APRI against hand-computed values, their bands, refused inputs, and the output contract
of compute_biomarkers (JSON-ready, every key defined)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import SimpleITK as sitk

from CirrhosisStaging.biomarkers import (
    BIOMARKER_DEFINITIONS, ClinicalInputs, apri, apri_band, compute_biomarkers, fib4, fib4_band,
)
from CirrhosisStaging.errors import InputError


def test_fib4_and_apri_match_hand_computed_values():
    # 50 x 40 / (200 x sqrt(25)) = 2000 / 1000
    assert fib4(50, 40, 25, 200) == pytest.approx(2.0)
    # 63 x 96 / (110 x sqrt(49)) = 6048 / 770
    assert fib4(63, 96, 49, 110) == pytest.approx(7.854545, rel=1e-6)
    # (80 / 40) x 100 / 100
    assert apri(80, 100) == pytest.approx(2.0)
    # (30 / 35) x 100 / 250
    assert apri(30, 250, ast_upper_limit_u_l=35) == pytest.approx(0.342857, rel=1e-5)


def test_bands_at_their_cut_offs():
    assert [fib4_band(v) for v in (0.5, 1.449, 1.45, 3.25, 3.251)] == [
        "low", "low", "indeterminate", "indeterminate", "high"]
    assert [apri_band(v) for v in (0.4, 1.0, 1.01, 2.5)] == [
        "below cirrhosis cut-off", "below cirrhosis cut-off", "suggests cirrhosis", "suggests cirrhosis"]


@pytest.mark.parametrize("field, value, message", [
    ("platelets_10e9_l", 0, "platelets_10e9_l must be greater than zero"),
    ("ast_u_l", -12, "ast_u_l must be greater than zero"),
    ("alt_u_l", "thirty", "alt_u_l must be a number"),
    ("age_years", None, "age_years must be a number"),
    ("age_years", True, "age_years must be a number"),
    ("alt_u_l", math.nan, "alt_u_l must be a finite number"),
    ("ast_upper_limit_u_l", 0.0, "ast_upper_limit_u_l must be greater than zero"),
])
def test_bad_clinical_inputs_raise_one_line_input_errors(field, value, message):
    values = dict(age_years=55, ast_u_l=60, alt_u_l=45, platelets_10e9_l=120, ast_upper_limit_u_l=40)
    values[field] = value
    with pytest.raises(InputError, match=message) as caught:
        ClinicalInputs(**values)
    assert caught.value.path is None and "\n" not in str(caught.value)


def test_score_functions_check_their_arguments_too():
    with pytest.raises(InputError, match="platelets_10e9_l"):
        fib4(50, 40, 25, 0)
    with pytest.raises(InputError, match="ast_u_l"):
        apri(-1, 100)


def _small_case():
    """A liver block inside a noisy body, on a 2 mm grid (enough for every biomarker)."""
    rng = np.random.default_rng(1)
    labels = np.zeros((40, 60, 60), dtype=np.uint8)
    labels[8:32, 10:50, 10:45] = 1
    labels[12:28, 20:40, 48:56] = 4
    image = (200.0 + 300.0 * (labels == 1) + rng.normal(0.0, 15.0, labels.shape)).astype(np.float32)
    out = []
    for array in (image, labels):
        volume = sitk.GetImageFromArray(array)
        volume.SetSpacing((2.0, 2.0, 3.0))
        out.append(volume)
    return out


def test_compute_biomarkers_is_json_ready_and_every_key_is_defined():
    image, labels = _small_case()
    plain = compute_biomarkers(image, labels)
    clinical = compute_biomarkers(image, labels, ClinicalInputs(50, 40, 25, 200))
    assert not {"fib4", "fib4_band", "apri", "apri_band"} & set(plain)
    assert clinical["fib4"] == 2.0 and clinical["fib4_band"] == "indeterminate"
    assert clinical["apri"] == 0.5 and clinical["apri_band"] == "below cirrhosis cut-off"
    for key in ("liver_volume_ml", "spleen_volume_ml", "splenomegaly", "splenomegaly_threshold_ml",
                "liver_spleen_volume_ratio", "surface_nodularity_mm", "surface_nodularity_p90_mm",
                "heterogeneity_index"):
        assert key in plain
    assert plain["liver_volume_ml"] == pytest.approx(24 * 40 * 35 * 12 / 1000.0)
    assert json.loads(json.dumps(clinical)) == clinical  # plain floats, bools, strings and None only
    for key in clinical:
        assert set(BIOMARKER_DEFINITIONS[key]) == {"unit", "description"}, key
    assert "not the validated LSN" in BIOMARKER_DEFINITIONS["surface_nodularity_mm"]["description"]


def test_clinical_argument_must_be_clinical_inputs():
    image, labels = _small_case()
    with pytest.raises(InputError, match="ClinicalInputs"):
        compute_biomarkers(image, labels, {"age_years": 50})
