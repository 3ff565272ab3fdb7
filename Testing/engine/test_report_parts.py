"""Case report pieces without rendering: slice choice, radiological orientation, formatting, text lines."""

from __future__ import annotations

import math

import numpy as np
import pytest
import SimpleITK as sitk

from CirrhosisStaging.report import SequenceView, biomarker_table, clinical, footer, header, slices_panel
from CirrhosisStaging.report.formatting import number, percent, plain, short_sha
from CirrhosisStaging.report.views import ordered_views

RAS_FLIP = (-1.0, 0.0, 0.0, 0.0, -1.0, 0.0, 0.0, 0.0, 1.0)


def _labels(depth=30, first=5, last=20) -> np.ndarray:
    labels = np.zeros((depth, 8, 8), np.uint8)
    labels[first:last + 1, 2:5, 2:5] = 1
    labels[0:25, 6:8, 6:8] = 4
    return labels


def test_slices_are_spread_through_the_liver_cranial_first():
    chosen = slices_panel.choose_slices(_labels(), 30)
    assert len(chosen) == 3 and chosen == sorted(chosen, reverse=True)
    assert all(5 <= index <= 20 for index in chosen)
    assert chosen[0] - chosen[-1] >= 6


def test_slice_choice_without_liver_or_labels():
    only_spleen = _labels()
    only_spleen[only_spleen == 1] = 0
    assert all(0 <= index <= 24 for index in slices_panel.choose_slices(only_spleen, 30))
    assert slices_panel.choose_slices(None, 9) == [6, 4, 2]
    assert slices_panel.choose_slices(_labels(3, 1, 1), 3) == [1]      # a one-slice liver: no duplicates


def _image(array: np.ndarray, direction=RAS_FLIP) -> sitk.Image:
    image = sitk.GetImageFromArray(array if array.dtype == np.uint8 else array.astype(np.float32))
    image.SetSpacing((2.0, 3.0, 5.0))
    image.SetDirection(direction)
    return image


def test_slices_are_shown_in_radiological_convention_with_aligned_overlays():
    # RAS-flipped grid: voxel x index 0 lies towards the patient's left, so it must be shown on the right.
    array = np.full((6, 10, 12), 10.0)
    array[:, :, 0] = 500.0                                # patient's left edge
    labels = np.zeros(array.shape, np.uint8)
    labels[1:5, 3:6, 0:2] = 1
    attention = np.zeros(array.shape)
    attention[1:5, 3:6, 0:2] = 1.0
    image = _image(array)
    view = SequenceView(image, _image(labels.astype(np.uint8)), _image(attention))
    data = slices_panel.prepare(view)
    shown = data.image[data.indices[0]]
    assert shown[:, -1].mean() == 500.0 and shown[:, 0].mean() == 10.0
    assert data.labels[data.indices[0]][:, -2:].any() and not data.labels[data.indices[0]][:, :-2].any()
    assert np.array_equal(data.attention > 0.5, data.labels == 1)
    assert data.aspect == pytest.approx(1.5) and data.column_mm == pytest.approx(2.0)


def test_overlays_on_another_grid_are_resampled_to_the_image():
    image = _image(np.ones((6, 10, 12)), direction=(1, 0, 0, 0, 1, 0, 0, 0, 1))
    labels = sitk.Image(6, 5, 3, sitk.sitkUInt8)
    labels.SetSpacing((4.0, 6.0, 10.0))
    labels.SetOrigin((-1.0, -1.5, -2.5))
    labels.SetMetaData("0010|0010", "DOE^JOHN")
    labels[2, 2, 1] = 1
    data = slices_panel.prepare(SequenceView(image, labels, None))
    assert data.labels.shape == data.image.shape and data.labels.any() and data.attention is None


def test_unknown_sequence_keys_are_refused():
    assert [key for key, _ in ordered_views({"t2": "b", "t1": "a"})] == ["t1", "t2"]
    assert ordered_views({"t1": None}) == []
    with pytest.raises(ValueError, match="t1"):
        ordered_views({"flair": "x"})


def test_number_formatting_and_missing_values():
    assert number(1450.24, 0, "mL") == "1\u2009450 mL"
    assert number(2.8, 2, "mm") == "2.80 mm"
    for missing in (None, math.nan, "abc", True):
        assert number(missing, 1, "mL") == "n/a"
    assert percent(0.523) == "52%" and percent(None) == "n/a"
    assert short_sha("ABCDEF0123456789" * 4) == "abcdef012345" and short_sha(None) == "n/a"
    assert plain("Case\n 12\x00 $x$", 80) == "Case 12 x"


def test_biomarker_notes():
    assert biomarker_table.ROWS[1].note({"splenomegaly": True, "splenomegaly_threshold_ml": 314.5}) == \
        "splenomegaly (> 314.5 mL)"
    assert biomarker_table.ROWS[1].note({"splenomegaly": False, "splenomegaly_threshold_ml": 314.5}).startswith(
        "no splenomegaly")
    assert biomarker_table.ROWS[1].note({"spleen_volume_ml": None}) == "spleen not segmented"
    assert "not validated LSN" in biomarker_table.ROWS[3].note({})
    fallback = biomarker_table.table_biomarkers({"biomarkers": None, "liver_volume_ml": 1200.0})
    assert fallback["liver_volume_ml"] == 1200.0
    both = {"sequences": {"t1": {"biomarkers": {}}, "t2": {"biomarkers": {}}}}
    assert [name for name, _ in biomarker_table.sequence_columns(both)] == ["T1W", "T2W"]
    assert biomarker_table.sequence_columns({"sequences": {"t1": {"biomarkers": {}}}}) == []


def test_clinical_footer_and_notice_text():
    line = clinical.clinical_text({"age_years": 61, "ast_u_l": 80, "alt_u_l": 60, "platelets_10e9_l": 110,
                                   "fib4": 5.7, "fib4_band": "high", "apri": None, "apri_band": None})
    assert "FIB-4 5.70 (high)" in line and "APRI n/a" in line and "AST 80 U/L" in line
    assert clinical.clinical_text(None) == "Not provided."
    lines = footer.footer_lines({"models": {"segmentation": None, "staging": {"name": "s", "version": "1",
                                                                             "sha256": "f" * 64}},
                                 "device": "cuda:0", "engine_version": "0.1.0", "created": "2026-11-23T22:00:00Z"})
    assert "sha256 ffffffffffff)" in lines[0] and "none (mask from user)" in lines[0]
    assert "cuda:0" in lines[1] and "0.1.0" in lines[1] and "2026-11-23T22:00:00Z" in lines[1]
    # T1W and T2W masks from different default models: both named.
    two = footer.footer_lines({"models": {"segmentation": {"name": "net", "version": "1.5.0", "sha256": "a" * 64},
                                          "staging": {"name": "s", "version": "1", "sha256": "f" * 64}},
                               "sequences": {"t1": {"segmentation_model": "net-1.5.0"},
                                             "t2": {"segmentation_model": "slices-2.0.0"}}})
    assert "net 1.5.0 (sha256 aaaaaaaaaaaa) (T1W masks), T2W masks: slices-2.0.0" in two[0]
    assert len(two) == 3 and two[1].startswith("Staging model: s 1") and "device" in two[2]   # a line each
    heading, wrapped = header.notice_lines({"demonstration_only": True, "notice": "word " * 60}, 7.0)
    assert "DEMONSTRATION" in heading and len(wrapped) > 1 and all(len(text) < 120 for text in wrapped)
