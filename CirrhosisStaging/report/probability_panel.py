"""Overall stage, its class-probability bar chart and, when both sequences were staged, the per-sequence results."""

from __future__ import annotations

from ..staging.stages import STAGES, stage_label
from . import style
from .formatting import NOT_AVAILABLE, percent, plain, probability

HEIGHT_IN = 1.25
_LEFT_IN = 1.75         # big stage text
_CHART_IN = 2.0         # bar chart (without its class-name labels)
_CHART_LABELS_IN = 0.72


def stage_probabilities(entry: dict | None) -> dict[str, float | None]:
    """The four class probabilities of a result (or of one sequence's result); None where missing (results of
    weights made before "none" existed have three)."""
    values = (entry or {}).get("probabilities") if isinstance(entry, dict) else None
    values = values if isinstance(values, dict) else {}
    return {stage: probability(values.get(stage)) for stage in STAGES}


def draw(figure, band, result: dict) -> None:
    stage = plain(result.get("stage"), 20) or NOT_AVAILABLE
    probabilities = stage_probabilities(result)
    _draw_stage(figure, band, stage, probabilities.get(stage), _set_text(result.get("prediction_set")))
    _draw_bars(figure, band, stage, probabilities)
    _draw_sequences(figure, band, result.get("sequences"))


def _set_text(prediction_set) -> str:
    """ "90% set: moderate or severe" from result["prediction_set"], or "" without one."""
    if not isinstance(prediction_set, dict) or not isinstance(prediction_set.get("stages"), list):
        return ""
    names = [stage_label(plain(s, 20)) for s in prediction_set["stages"]][:4]
    coverage = probability(prediction_set.get("coverage"))
    return f"{percent(coverage) if coverage is not None else ''} set: {' or '.join(names)}".strip()


def _draw_stage(figure, band, stage: str, chosen, set_text: str = "") -> None:
    axis = figure.add_axes(band.rect(0, _LEFT_IN))
    axis.set_axis_off()
    axis.text(0, 0.86, "OVERALL STAGE", fontsize=style.FONT_SMALL, color=style.MUTED, fontweight="bold")
    label = stage_label(stage).upper()
    axis.text(0, 0.52, label, fontsize=18 if len(label) <= 9 else 14, color=style.ACCENT, fontweight="bold",
              va="center", parse_math=False)
    axis.text(0, 0.22, f"class probability {percent(chosen)}", fontsize=style.FONT_BODY, color=style.TEXT)
    if set_text:
        axis.text(0, 0.04, set_text, fontsize=style.FONT_SMALL, color=style.MUTED, parse_math=False)


def _draw_bars(figure, band, stage: str, probabilities: dict[str, float | None]) -> None:
    left = _LEFT_IN + _CHART_LABELS_IN
    axis = figure.add_axes(band.rect(left, _CHART_IN, 0.12, band.height_in - 0.2))
    names = list(STAGES)
    positions = list(range(len(names)))[::-1]       # none on top
    values = [probabilities[name] or 0.0 for name in names]
    colours = [style.ACCENT if name == stage else style.BAR_OTHER for name in names]
    axis.barh(positions, values, height=0.62, color=colours)
    axis.barh(positions, [1.0] * len(names), height=0.62, color="none", edgecolor=style.RULE, linewidth=0.5)
    for position, name in zip(positions, names):
        value = probabilities[name]
        label = percent(value)
        inside = value is not None and value > 0.82
        axis.text(value - 0.02 if inside else (value or 0.0) + 0.02, position, label, va="center",
                  ha="right" if inside else "left", fontsize=style.FONT_BODY,
                  color="white" if inside else style.TEXT, fontweight="bold" if name == stage else "normal")
    axis.set_xlim(0, 1)
    axis.set_ylim(-0.6, len(names) - 0.4)
    axis.set_yticks(positions)
    axis.set_yticklabels(names, fontsize=style.FONT_BODY)
    for tick, name in zip(axis.get_yticklabels(), names):
        tick.set_fontweight("bold" if name == stage else "normal")
        tick.set_color(style.ACCENT if name == stage else style.TEXT)
    axis.set_xticks([])
    axis.tick_params(axis="y", length=0, pad=4)
    for spine in axis.spines.values():
        spine.set_visible(False)
    axis.set_title("class probabilities", fontsize=style.FONT_SMALL, color=style.MUTED, loc="left", pad=3)


def _draw_sequences(figure, band, sequences) -> None:
    """A small table of per-sequence stage and probabilities (only when more than one sequence was staged)."""
    sequences = sequences if isinstance(sequences, dict) else {}
    present = [key for key in ("t1", "t2") if isinstance(sequences.get(key), dict)]
    left = _LEFT_IN + _CHART_LABELS_IN + _CHART_IN + 0.35
    width = band.width_in - left
    axis = figure.add_axes(band.rect(left, width))
    axis.set_axis_off()
    axis.set_xlim(0, width)
    axis.set_ylim(0, 1)
    if len(present) < 2:
        if present:
            text = f"Staged on the {style.SEQUENCE_NAMES[present[0]]}\nsequence only."
            axis.text(0.0, 0.55, text, fontsize=style.FONT_SMALL, color=style.MUTED, va="center")
        return
    columns = [0.0, 0.38, 0.74, 1.1, 1.62, 2.02]
    header = ["", "none", "mild", "moderate", "severe", "stage"]
    axis.text(0.0, 0.86, "PER SEQUENCE", fontsize=style.FONT_SMALL, color=style.MUTED, fontweight="bold")
    for x, text in zip(columns, header):
        axis.text(x, 0.68, text, fontsize=style.FONT_SMALL, color=style.MUTED)
    axis.plot([0.0, width], [0.6, 0.6], color=style.RULE, linewidth=0.5)
    for row, key in enumerate(present):
        entry = sequences[key]
        y = 0.42 - row * 0.24
        stage = plain(entry.get("stage"), 20) or NOT_AVAILABLE
        values = stage_probabilities(entry)
        cells = [style.SEQUENCE_SHORT[key]] + [percent(values[name]) for name in STAGES] + [stage_label(stage)]
        for column, (x, text) in enumerate(zip(columns, cells)):
            bold = column == 0 or (1 <= column <= len(STAGES) and STAGES[column - 1] == stage)
            axis.text(x, y, text, fontsize=style.FONT_BODY, color=style.TEXT,
                      fontweight="bold" if bold else "normal", va="center", parse_math=False)
