"""Case report: both files written and valid, every combination of inputs renders, privacy, atomicity."""

from __future__ import annotations

import copy
import re

import matplotlib
import numpy as np
import pytest
import SimpleITK as sitk
from PIL import Image

from CirrhosisStaging.phantom import make_case
from CirrhosisStaging.report import SequenceView, page, write_report

SCALE = 0.4
NOTICE = ("Demonstration only: staging weights trained on simulated cirrhosis (phantoms), not on patients. "
          "Not a diagnosis.")
BIOMARKERS = {"liver_volume_ml": 1450.2, "spleen_volume_ml": 410.0, "splenomegaly": True,
              "splenomegaly_threshold_ml": 314.5, "liver_spleen_volume_ratio": 3.5, "surface_nodularity_mm": 1.2,
              "surface_nodularity_p90_mm": 2.8, "heterogeneity_index": 0.11}
PROBABILITIES = {"mild": 0.21, "moderate": 0.52, "severe": 0.27}


def make_result(sequences=("t1", "t2"), **changes) -> dict:
    result = {
        "schema_version": 1, "stage": "moderate", "probabilities": dict(PROBABILITIES),
        "demonstration_only": True, "notice": NOTICE,
        "sequences": {key: {"stage": "moderate", "probabilities": dict(PROBABILITIES),
                            "mask_source": "model" if key == "t1" else "user", "biomarkers": dict(BIOMARKERS)}
                      for key in sequences},
        "liver_volume_ml": 1450.2, "spleen_volume_ml": 410.0, "biomarkers": dict(BIOMARKERS),
        "clinical": {"age_years": 61, "ast_u_l": 80, "alt_u_l": 60, "platelets_10e9_l": 110, "fib4": 5.7,
                     "fib4_band": "high", "apri": 1.8, "apri_band": "high"},
        "models": {"segmentation": {"name": "liver-spleen-unet", "version": "1.0.0",
                                    "sha256": "abcdef012345" + "9" * 52},
                   "staging": {"name": "stage-net", "version": "0.2.0", "sha256": "0123456789ab" + "c" * 52,
                               "demonstration_only": True}},
        "device": "cpu", "engine_version": "0.1.0", "created": "2026-11-23T22:00:00Z", "case_label": "Case 12",
    }
    result.update(changes)
    return result


def _attention(case) -> sitk.Image:
    """A smooth blob inside the liver, on the image grid."""
    liver = sitk.GetArrayFromImage(case.liver_mask).astype(bool)
    centre = np.argwhere(liver).mean(axis=0)
    grid = np.indices(liver.shape).astype(float)
    blob = np.exp(-sum((grid[k] - centre[k]) ** 2 for k in range(3)) / (2 * 6.0 ** 2)) * liver
    attention = sitk.GetImageFromArray((blob / blob.max()).astype(np.float32))
    attention.CopyInformation(case.image)
    return attention


@pytest.fixture(scope="module")
def views() -> dict[str, SequenceView]:
    cases = {key: make_case(2, 5, key, size_scale=SCALE) for key in ("t1", "t2")}
    return {key: SequenceView(case.image, case.organ_labels, _attention(case)) for key, case in cases.items()}


def render(folder, result, views) -> tuple[bytes, bytes]:
    """Write the report with an uncompressed PDF (so its text can be read) and return (pdf, png) bytes."""
    with matplotlib.rc_context({"pdf.compression": 0}):
        write_report(result, views, folder / "report.png", folder / "report.pdf")
    return (folder / "report.pdf").read_bytes(), (folder / "report.png").read_bytes()


def pdf_text(data: bytes) -> str:
    """Text shown by an uncompressed matplotlib PDF: the strings of each BT..ET block, blocks joined by spaces."""
    blocks = []
    for block in re.findall(rb"BT\b(.*?)\bET", data, flags=re.S):
        strings = re.findall(rb"\(((?:\\.|[^\\)])*)\)", block, flags=re.S)
        text = b"".join(re.sub(rb"\\(.)", rb"\1", s) for s in strings)
        blocks.append(text.decode("latin-1"))
    return " ".join(" ".join(blocks).split())


def assert_valid(pdf: bytes, png: bytes) -> None:
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    assert len(re.findall(rb"/Type\s*/Page(?![A-Za-z])", pdf)) == 1


def test_full_report_is_a_valid_pdf_and_png_with_the_notice(tmp_path, views):
    pdf, png = render(tmp_path, make_result(), views)
    assert_valid(pdf, png)
    with Image.open(tmp_path / "report.png") as picture:
        width, height = picture.size
    assert 850 <= width <= 1000 and 1.3 < height / width < 1.5   # A4 portrait at ~110 dpi
    text = pdf_text(pdf)
    assert NOTICE in text
    for expected in ("Cirrhosis staging report", "Case 12", "MODERATE", "attention (Grad-CAM)", "mask: model",
                     "mask: corrected by user", "splenomegaly (> 314.5 mL)", "not validated LSN", "abcdef012345",
                     "0123456789ab", "liver-spleen-unet", "2026-11-23T22:00:00Z", "FIB-4 5.70 (high)"):
        assert expected in text, expected
    assert "abcdef0123459" not in text          # only the first 12 hex digits of a sha256
    assert sorted(path.name for path in tmp_path.iterdir()) == ["report.pdf", "report.png"]


def _without_spleen(view: SequenceView) -> SequenceView:
    return SequenceView(view.image, sitk.ChangeLabel(view.labels, {4: 0}), view.attention)


def _none_values(result: dict) -> dict:
    result["biomarkers"] = {key: None for key in BIOMARKERS}
    for entry in result["sequences"].values():
        entry["biomarkers"] = {key: None for key in BIOMARKERS}
        entry["probabilities"] = {"mild": None, "moderate": 0.5, "severe": None}
        entry["mask_source"] = None
    result.update(liver_volume_ml=None, spleen_volume_ml=None, clinical=None, case_label=None, stage=None,
                  probabilities={"mild": None, "moderate": None, "severe": None},
                  models={"segmentation": None, "staging": None}, created=None)
    return result


VARIANTS = {
    "only_t1": (lambda r: make_result(("t1",)), lambda v: {"t1": v["t1"]}),
    "only_t2": (lambda r: make_result(("t2",)), lambda v: {"t2": v["t2"]}),
    "no_attention": (lambda r: r, lambda v: {k: SequenceView(x.image, x.labels, None) for k, x in v.items()}),
    "missing_spleen": (lambda r: r, lambda v: {k: _without_spleen(x) for k, x in v.items()}),
    "none_values": (_none_values, lambda v: {"t2": SequenceView(v["t2"].image, None, None)}),
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_combination_of_inputs_renders(tmp_path, views, variant):
    change_result, change_views = VARIANTS[variant]
    pdf, png = render(tmp_path, change_result(make_result()), change_views(views))
    assert_valid(pdf, png)
    text = pdf_text(pdf)
    assert NOTICE in text
    if variant == "none_values":
        assert "n/a" in text and "Not provided." in text
    if variant == "no_attention":
        assert "attention: not available" in text


def test_no_file_path_or_image_metadata_reaches_the_report(tmp_path, views):
    folder = tmp_path / "site-archive-7731"
    planted = {}
    for key, view in views.items():
        image, labels = sitk.Image(view.image), sitk.Image(view.labels)
        for volume in (image, labels):
            volume.SetMetaData("0010|0010", "DOE^JOHN")
            volume.SetMetaData("0010|0020", "MRN-99812")
        planted[key] = SequenceView(image, labels, view.attention)
    pdf, png = render(folder, make_result(), planted)
    text = pdf_text(pdf)
    for secret in ("DOE", "JOHN", "MRN-99812", "site-archive-7731", str(tmp_path)):
        assert secret not in text
    for secret in (b"DOE^JOHN", b"JOHN", b"MRN-99812", b"site-archive-7731", str(tmp_path).encode()):
        assert secret not in pdf
    with Image.open(folder / "report.png") as picture:
        chunks = " ".join(str(value) for value in picture.info.values())
    assert "DOE" not in chunks and "site-archive" not in chunks


def test_a_failing_png_leaves_no_pdf_and_keeps_previous_reports(tmp_path, views, monkeypatch):
    def broken(figure, path):
        raise RuntimeError("disk full")

    monkeypatch.setattr(page, "_save_png", broken)
    one = {"t1": views["t1"]}
    with pytest.raises(RuntimeError, match="disk full"):
        write_report(make_result(("t1",)), one, tmp_path / "report.png", tmp_path / "report.pdf")
    assert list(tmp_path.iterdir()) == []

    (tmp_path / "report.pdf").write_bytes(b"old pdf")
    (tmp_path / "report.png").write_bytes(b"old png")
    with pytest.raises(RuntimeError):
        write_report(make_result(("t1",)), one, tmp_path / "report.png", tmp_path / "report.pdf")
    assert (tmp_path / "report.pdf").read_bytes() == b"old pdf"
    assert (tmp_path / "report.png").read_bytes() == b"old png"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["report.pdf", "report.png"]


def test_notice_is_shown_without_the_demonstration_flag_too(tmp_path, views):
    result = make_result(("t1",), demonstration_only=False, notice="Research use only. Not a diagnosis.")
    pdf, _ = render(tmp_path, result, {"t1": views["t1"]})
    text = pdf_text(pdf)
    assert "Research use only. Not a diagnosis." in text
    assert "DEMONSTRATION ONLY" not in text
    demonstration = copy.deepcopy(result)
    demonstration.update(demonstration_only=True, notice=None)
    pdf, _ = render(tmp_path, demonstration, {"t1": views["t1"]})
    assert "Demonstration only. Not a diagnosis." in pdf_text(pdf)
