"""The one-page case report: composition of the panels, and writing report.pdf + report.png atomically."""

from __future__ import annotations

import os
from pathlib import Path

from . import biomarker_table, clinical, footer, header, probability_panel, slices_panel, style
from .layout import PageLayout
from .views import SequenceView, ordered_views

SECTION_IN = 0.24
_GAP_IN = 0.1
_ROW_GAP_IN = 0.08
_MAX_PANEL_IN = 2.6


def build_figure(result: dict, views: dict[str, SequenceView] | None):
    """The report page as a matplotlib Figure (Agg canvas, no pyplot state)."""
    from matplotlib.figure import Figure

    if not isinstance(result, dict):
        raise TypeError("result must be the result.json dictionary of a staging run")
    shown = [(key, slices_panel.prepare(view)) for key, view in ordered_views(views)]
    figure = Figure(figsize=(style.PAGE_WIDTH_IN, style.PAGE_HEIGHT_IN), dpi=style.DPI, facecolor="white")
    layout = PageLayout()
    width_in = style.PAGE_WIDTH_IN - 2 * layout.margin_in

    footer.draw(figure, layout.take_bottom(footer.HEIGHT_IN), result)
    header.draw_title(figure, layout.take(header.TITLE_IN, 0.14), result)
    header.draw_notice(figure, layout.take(header.notice_height_in(result, width_in), 0.14), result)
    if header.warnings_height_in(result, width_in):
        header.draw_warnings(figure, layout.take(header.warnings_height_in(result, width_in), 0.14), result)
    _section(figure, layout, "Staging result")
    probability_panel.draw(figure, layout.take(probability_panel.HEIGHT_IN, _GAP_IN), result)

    below_images = SECTION_IN + 0.04 + biomarker_table.height_in(result) + _GAP_IN + clinical.HEIGHT_IN + _GAP_IN
    _section(figure, layout, "Key axial slices",
             "cranial to caudal, at 25/50/75% of the liver's extent")
    sequences = result.get("sequences") if isinstance(result.get("sequences"), dict) else {}
    if shown:
        fixed = len(shown) * (slices_panel.HEADER_IN + slices_panel.CAPTION_IN + _ROW_GAP_IN)
        panel_limit = min(_MAX_PANEL_IN, (layout.remaining_in - below_images - fixed) / len(shown))
        for key, data in shown:
            band = layout.take(slices_panel.row_height_in(data, width_in, panel_limit), _ROW_GAP_IN)
            sequence_result = sequences.get(key)
            slices_panel.draw(figure, band, key, data, sequence_result, panel_limit)
    else:
        band = layout.take(0.3, _GAP_IN)
        figure.text(band.left, band.bottom + band.height / 2, "No images were given to the report.",
                    fontsize=style.FONT_BODY, color=style.MUTED, va="center")
    _section(figure, layout, "Imaging biomarkers", "from the sequence used for the reported stage")
    biomarker_table.draw(figure, layout.take(biomarker_table.height_in(result), _GAP_IN), result)
    clinical.draw(figure, layout.take(clinical.HEIGHT_IN, _GAP_IN), result)
    return figure


def _section(figure, layout: PageLayout, title: str, note: str = "") -> None:
    band = layout.take(SECTION_IN, 0.04)
    axis = figure.add_axes(band.rect())
    axis.set_axis_off()
    axis.set_xlim(0, band.width_in)
    axis.set_ylim(0, 1)
    axis.text(0, 0.35, title.upper(), fontsize=style.FONT_SMALL + 0.5, fontweight="bold", color=style.ACCENT,
              va="bottom")
    if note:
        axis.text(band.width_in, 0.35, note, fontsize=style.FONT_TINY, color=style.MUTED, ha="right", va="bottom")
    axis.plot([0, band.width_in], [0.2, 0.2], color=style.ACCENT, linewidth=0.8)


def _save_pdf(figure, path: Path) -> None:
    figure.savefig(path, format="pdf", facecolor="white",
                   metadata={"Title": "Cirrhosis staging report", "Creator": "CirrhosisStaging", "Author": None,
                             "Subject": None, "Keywords": None})


def _save_png(figure, path: Path) -> None:
    figure.savefig(path, format="png", dpi=style.DPI, facecolor="white", metadata={"Software": "CirrhosisStaging"})


def write_report(result: dict, views: dict[str, SequenceView] | None, png_path: str | os.PathLike,
                 pdf_path: str | os.PathLike) -> None:
    """Render the case report to `pdf_path` (vector text) and `png_path` (one page image).

    Both appear or neither does: the PDF and the PNG are rendered to temporary files beside their targets
    and only renamed into place once both are complete; existing reports are kept if anything fails.
    """
    from ..io.atomic import atomic_path

    png_path, pdf_path = Path(png_path), Path(pdf_path)
    if png_path.resolve() == pdf_path.resolve():
        raise ValueError("png_path and pdf_path must differ")
    figure = build_figure(result, views)
    png_path.parent.mkdir(parents=True, exist_ok=True)
    pdf_path.parent.mkdir(parents=True, exist_ok=True)
    png_placed = False
    try:
        with atomic_path(pdf_path) as pdf_temporary:
            _save_pdf(figure, pdf_temporary)
            with atomic_path(png_path) as png_temporary:
                _save_png(figure, png_temporary)
            png_placed = True
            # leaving the outer block renames the PDF; should that fail, the PNG goes too (below)
    except BaseException:
        if png_placed:
            png_path.unlink(missing_ok=True)
        raise
