"""Imaging biomarker table: measure, value with unit (per sequence when both were measured), short note."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from matplotlib.patches import Rectangle

from . import style
from .formatting import NOT_AVAILABLE, number

ROW_IN = 0.2
HEADER_IN = 0.24
_UNVALIDATED = "project's own measure, not validated LSN"


@dataclass(frozen=True)
class Row:
    key: str
    name: str
    unit: str
    decimals: int
    note: Callable[[dict], str]


def _spleen_note(biomarkers: dict) -> str:
    threshold = biomarkers.get("splenomegaly_threshold_ml")
    limit = number(threshold, 1, "mL")
    flag = biomarkers.get("splenomegaly")
    if flag is True:
        return "splenomegaly" + (f" (> {limit})" if limit != NOT_AVAILABLE else "")
    if flag is False:
        return "no splenomegaly" + (f" (\u2264 {limit})" if limit != NOT_AVAILABLE else "")
    if biomarkers.get("spleen_volume_ml") is None:
        return "spleen not segmented"
    return "splenomegaly not assessed"


ROWS = (
    Row("liver_volume_ml", "Liver volume", "mL", 0, lambda b: "from the liver mask"),
    Row("spleen_volume_ml", "Spleen volume", "mL", 0, _spleen_note),
    Row("liver_spleen_volume_ratio", "Liver / spleen volume ratio", "", 2, lambda b: "lower with portal hypertension"),
    Row("surface_nodularity_mm", "Surface nodularity (mean)", "mm", 2, lambda b: _UNVALIDATED),
    Row("surface_nodularity_p90_mm", "Surface nodularity (90th pct.)", "mm", 2, lambda b: _UNVALIDATED),
    Row("heterogeneity_index", "Parenchymal heterogeneity index", "%", 2,
        lambda b: "project's own measure, not validated"),
)


def table_biomarkers(result: dict) -> dict:
    """Reported biomarkers (those of the preferred sequence), with the top-level volumes as a fallback."""
    biomarkers = result.get("biomarkers")
    biomarkers = dict(biomarkers) if isinstance(biomarkers, dict) else {}
    for key in ("liver_volume_ml", "spleen_volume_ml"):
        if biomarkers.get(key) is None and result.get(key) is not None:
            biomarkers[key] = result[key]
    return biomarkers


def sequence_columns(result: dict) -> list[tuple[str, dict]]:
    """Per-sequence biomarker columns, shown only when both sequences were measured."""
    sequences = result.get("sequences")
    sequences = sequences if isinstance(sequences, dict) else {}
    columns = []
    for key in ("t1", "t2"):
        entry = sequences.get(key)
        if isinstance(entry, dict) and isinstance(entry.get("biomarkers"), dict):
            columns.append((style.SEQUENCE_SHORT[key], entry["biomarkers"]))
    return columns if len(columns) > 1 else []


def height_in(result: dict) -> float:
    return HEADER_IN + ROW_IN * len(ROWS) + 0.1


def draw(figure, band, result: dict) -> None:
    biomarkers = table_biomarkers(result)
    per_sequence = sequence_columns(result)
    axis = band.inch_axes(figure)
    width, height = band.width_in, band.height_in

    value_x = 2.15
    columns = [("Measure", 0.08, "left"), ("Value", value_x + 0.9, "right")]
    for number_, (label, _) in enumerate(per_sequence):
        columns.append((label, value_x + 1.6 + 0.7 * number_, "right"))
    note_x = value_x + 1.15 + 0.7 * len(per_sequence)
    columns.append(("Note", note_x, "left"))

    top = height - HEADER_IN
    for label, x, align in columns:
        axis.text(x, top + 0.06, label, fontsize=style.FONT_SMALL, color=style.MUTED, fontweight="bold",
                  ha=align, va="bottom")
    axis.plot([0, width], [top, top], color=style.RULE, linewidth=0.6)
    for index, row in enumerate(ROWS):
        y = top - ROW_IN * (index + 0.5)
        if index % 2 == 0:
            axis.add_patch(Rectangle((0, y - ROW_IN / 2), width, ROW_IN, color=style.PANEL_BACKGROUND, linewidth=0))
        axis.text(0.08, y, row.name, fontsize=style.FONT_BODY, color=style.TEXT, va="center")
        axis.text(value_x + 0.9, y, number(biomarkers.get(row.key), row.decimals, row.unit),
                  fontsize=style.FONT_BODY, color=style.TEXT, fontweight="bold", va="center", ha="right")
        for number_, (_, values) in enumerate(per_sequence):
            axis.text(value_x + 1.6 + 0.7 * number_, y, number(values.get(row.key), row.decimals, row.unit),
                      fontsize=style.FONT_BODY, color=style.MUTED, va="center", ha="right")
        axis.text(note_x, y, row.note(biomarkers), fontsize=style.FONT_SMALL, color=style.MUTED, va="center",
                  parse_math=False)
    bottom = top - ROW_IN * len(ROWS)
    axis.plot([0, width], [bottom, bottom], color=style.RULE, linewidth=0.6)
