"""Page title (with the case label, if any), the boxed notice and the boxed warnings (mask checks, inputs unlike
the training data) that must be read before the result."""

from __future__ import annotations

import textwrap

from matplotlib.patches import FancyBboxPatch

from . import style
from .formatting import plain

TITLE_IN = 0.62
_NOTICE_FONT = 9.0
_NOTICE_LINE_IN = 0.19
_DEFAULT_NOTICE = "Research software. Not a diagnosis: results must be reviewed by a qualified radiologist."
_DEMONSTRATION_NOTICE = "Demonstration only. Not a diagnosis."


def draw_title(figure, band, result: dict) -> None:
    axis = band.inch_axes(figure)
    width, height = band.width_in, band.height_in
    axis.text(0, height - 0.05, "Cirrhosis staging report", fontsize=style.FONT_TITLE, fontweight="bold",
              color=style.TEXT, va="top")
    subtitle = "Liver MRI \u00b7 automated segmentation and fibrosis/cirrhosis staging \u00b7 research software"
    axis.text(0, 0.08, subtitle, fontsize=style.FONT_SMALL, color=style.MUTED, va="bottom")
    label = plain(result.get("case_label"), 48)
    if label:
        axis.text(width, height - 0.05, label, fontsize=style.FONT_HEADING + 1, fontweight="bold",
                  color=style.TEXT, ha="right", va="top", parse_math=False)
        axis.text(width, height - 0.32, "case label", fontsize=style.FONT_TINY, color=style.MUTED, ha="right",
                  va="top")
    axis.plot([0, width], [0.0, 0.0], color=style.TEXT, linewidth=1.2)


def notice_lines(result: dict, width_in: float) -> tuple[str, list[str]]:
    """(heading, wrapped notice lines) for a box `width_in` wide."""
    demonstration = bool(result.get("demonstration_only"))
    text = " ".join(str(result.get("notice") or "").split())
    if not text:
        text = _DEMONSTRATION_NOTICE if demonstration else _DEFAULT_NOTICE
    characters = max(int((width_in - 0.45) / (_NOTICE_FONT / 72 * 0.62)), 20)
    heading = "DEMONSTRATION ONLY \u2014 NOT FOR CLINICAL USE" if demonstration else "NOTICE"
    return heading, textwrap.wrap(text, characters, break_on_hyphens=False)


def notice_height_in(result: dict, width_in: float) -> float:
    _, lines = notice_lines(result, width_in)
    return 0.5 + _NOTICE_LINE_IN * len(lines)


def draw_notice(figure, band, result: dict) -> None:
    demonstration = bool(result.get("demonstration_only"))
    colours = ((style.WARNING_FACE, style.WARNING_EDGE, style.WARNING_TEXT) if demonstration
               else (style.INFO_FACE, style.INFO_EDGE, style.INFO_TEXT))
    heading, lines = notice_lines(result, band.width_in)
    _draw_box(figure, band, heading, lines, colours, strong=demonstration)


def warning_lines(result: dict, width_in: float) -> list[str]:
    """The result's warnings, one wrapped paragraph each ("T1W: check the liver mask: ...")."""
    warnings = result.get("warnings") if isinstance(result.get("warnings"), list) else []
    characters = max(int((width_in - 0.45) / (_NOTICE_FONT / 72 * 0.62)), 20)
    lines = []
    for warning in warnings:
        sequence = str(warning.get("sequence") or "").upper()
        text = " ".join(f"{sequence + 'W: ' if sequence else ''}{warning.get('message', '')}".split())
        lines += textwrap.wrap(text, characters, break_on_hyphens=False)
    return lines


def warnings_height_in(result: dict, width_in: float) -> float:
    """0 when there is nothing to warn about (no box is drawn)."""
    lines = warning_lines(result, width_in)
    return 0.5 + _NOTICE_LINE_IN * len(lines) if lines else 0.0


def draw_warnings(figure, band, result: dict) -> None:
    codes = {warning.get("code") for warning in result.get("warnings") or []}
    heading = "CHECK THE LIVER MASK BEFORE USING THIS RESULT" if codes == {"mask_check"} else "WARNINGS"
    _draw_box(figure, band, heading, warning_lines(result, band.width_in),
              (style.WARNING_FACE, style.WARNING_EDGE, style.WARNING_TEXT), strong=True)


def _draw_box(figure, band, heading: str, lines: list[str], colours, strong: bool) -> None:
    face, edge, colour = colours
    axis = band.inch_axes(figure)
    width, height = band.width_in, band.height_in
    axis.add_patch(FancyBboxPatch((0.03, 0.03), width - 0.06, height - 0.06, boxstyle="round,pad=0,rounding_size=0.06",
                                  facecolor=face, edgecolor=edge, linewidth=1.6 if strong else 0.8))
    axis.add_patch(FancyBboxPatch((0.03, 0.03), 0.09, height - 0.06, boxstyle="square,pad=0", facecolor=edge,
                                  edgecolor="none"))
    axis.text(0.25, height - 0.14, heading, fontsize=style.FONT_BODY, fontweight="bold", color=edge, va="top")
    for number, line in enumerate(lines):
        axis.text(0.25, height - 0.36 - _NOTICE_LINE_IN * number, line, fontsize=_NOTICE_FONT, color=colour,
                  va="top", fontweight="bold" if strong else "normal", parse_math=False)
