"""Key axial slices of one sequence: MRI in grey, liver/spleen outlines, attention overlay and colourbar."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import SimpleITK as sitk

from ..preprocessing import to_canonical
from ..staging.stages import stage_label
from ..visualization.slices import axial_views, display_window
from . import style
from .formatting import percent, plain
from .views import SequenceView, on_image_grid

HEADER_IN = 0.3
CAPTION_IN = 0.2
COLOURBAR_IN = 0.75       # colourbar strip with its tick labels and title
GAP_IN = 0.08
SCALE_BAR_MM = 50.0


@dataclass
class SlicePanelData:
    """Display-ready arrays of one sequence, in LPS (radiological display) order."""

    image: np.ndarray                 # (z, y, x)
    labels: np.ndarray | None         # (z, y, x) uint8
    attention: np.ndarray | None      # (z, y, x) float in [0, 1]
    aspect: float                     # pixel height / width
    column_mm: float                  # pixel width in mm
    indices: list[int]                # chosen slices, cranial first
    window: tuple[float, float]
    crop: tuple[slice, slice]         # rows, columns shown

    @property
    def shown_aspect(self) -> float:
        """Height / width of the shown picture."""
        rows = self.crop[0].stop - self.crop[0].start
        columns = self.crop[1].stop - self.crop[1].start
        return rows * self.aspect / columns


def choose_slices(labels: np.ndarray | None, depth: int, count: int = 3) -> list[int]:
    """Slices at 25/50/75% through the liver (else all labels, else the volume), cranial (high z) first."""
    if depth <= 0:
        return []
    region = None
    if labels is not None:
        for candidate in (labels == style.LIVER_LABEL, labels > 0):
            if candidate.any():
                region = candidate
                break
    if region is None:
        first, last = 0, depth - 1
    else:
        present = np.flatnonzero(region.any(axis=(1, 2)))
        first, last = int(present[0]), int(present[-1])
    fractions = np.linspace(0.25, 0.75, count) if count > 1 else np.array([0.5])
    indices = {int(round(first + f * (last - first))) for f in fractions}
    return sorted(indices, reverse=True)


def prepare(view: SequenceView, count: int = 3) -> SlicePanelData:
    labels_image = on_image_grid(view.image, view.labels, nearest=True)
    attention_image = on_image_grid(view.image, view.attention, nearest=False)
    image, labels, aspect = axial_views(view.image, labels_image)
    attention = None
    if attention_image is not None:
        attention = axial_views(sitk.Cast(attention_image, sitk.sitkFloat32))[0]
        attention = np.clip(np.nan_to_num(attention, nan=0.0), 0.0, 1.0)
    image = np.nan_to_num(image.astype(np.float32))
    if labels is not None:
        labels = labels.astype(np.uint8)
    indices = choose_slices(labels, image.shape[0], count)
    column_mm = float(to_canonical(view.image).GetSpacing()[0])
    return SlicePanelData(image, labels, attention, float(aspect), column_mm, indices,
                          display_window(image), _crop(image, labels, indices))


def _crop(image: np.ndarray, labels: np.ndarray | None, indices: list[int], margin: int = 3) -> tuple[slice, slice]:
    """Rows/columns holding the body (signal above the air level) or labels in the chosen slices."""
    rows, columns = image.shape[1:]
    chosen = image[indices]
    low, high = display_window(image)
    body = chosen > low + 0.08 * (high - low)
    if labels is not None:
        body |= labels[indices] > 0
    if not body.any():
        return slice(0, rows), slice(0, columns)
    y = np.flatnonzero(body.any(axis=(0, 2)))
    x = np.flatnonzero(body.any(axis=(0, 1)))
    return (slice(max(int(y[0]) - margin, 0), min(int(y[-1]) + margin + 1, rows)),
            slice(max(int(x[0]) - margin, 0), min(int(x[-1]) + margin + 1, columns)))


def panel_size_in(data: SlicePanelData, width_in: float, max_panel_height_in: float = 2.6) -> tuple[float, float]:
    """(panel width, panel height) in inches for a row `width_in` wide."""
    count = max(len(data.indices), 1)
    panel_width = (width_in - COLOURBAR_IN - GAP_IN * (count - 1)) / 3  # same size whether 2 or 3 slices
    panel_height = panel_width * data.shown_aspect
    if panel_height > max_panel_height_in:
        panel_width *= max_panel_height_in / panel_height
        panel_height = max_panel_height_in
    return panel_width, panel_height


def row_height_in(data: SlicePanelData, width_in: float, max_panel_height_in: float = 2.6) -> float:
    return HEADER_IN + panel_size_in(data, width_in, max_panel_height_in)[1] + CAPTION_IN


def draw(figure, band, key: str, data: SlicePanelData, sequence_result: dict | None,
         max_panel_height_in: float = 2.6) -> None:
    """One row: a header line, the key slices left to right (cranial to caudal), the attention colourbar."""
    sequence_result = sequence_result if isinstance(sequence_result, dict) else {}
    panel_width, panel_height = panel_size_in(data, band.width_in, max_panel_height_in)
    _draw_header(figure, band, key, data, sequence_result)
    image_bottom = CAPTION_IN
    depth = data.image.shape[0]
    for column, index in enumerate(data.indices):
        axis = figure.add_axes(band.rect(column * (panel_width + GAP_IN), panel_width, image_bottom, panel_height))
        _draw_slice(axis, data, index, first=column == 0)
        position = _position_name(column, len(data.indices))
        axis.text(0.5, -0.03, f"slice {index + 1} of {depth}{position}", transform=axis.transAxes,
                  ha="center", va="top", fontsize=style.FONT_TINY, color=style.MUTED)
    colourbar_left = 3 * panel_width + 2 * GAP_IN + 0.12
    if data.attention is not None:
        _draw_colourbar(figure, band.rect(colourbar_left, 0.11, image_bottom + 0.05, panel_height - 0.1))


def _position_name(column: int, count: int) -> str:
    if count < 2:
        return ""
    if column == 0:
        return " (cranial)"
    if column == count - 1:
        return " (caudal)"
    return " (mid-liver)"


def _draw_header(figure, band, key: str, data: SlicePanelData, sequence_result: dict) -> None:
    from matplotlib.lines import Line2D

    axis = figure.add_axes(band.rect(0, None, band.height_in - HEADER_IN, HEADER_IN))
    axis.set_axis_off()
    width = band.width_in
    axis.set_xlim(0, width)
    axis.set_ylim(0, 1)
    axis.text(0, 0.45, style.SEQUENCE_NAMES.get(key, key.upper()), fontsize=style.FONT_HEADING,
              fontweight="bold", color=style.TEXT, va="center")
    stage = plain(sequence_result.get("stage"), 20)
    details = []
    if stage:
        probabilities = sequence_result.get("probabilities") or {}
        chosen = probabilities.get(stage) if isinstance(probabilities, dict) else None
        details.append(f"stage: {stage_label(stage)}" + (f" ({percent(chosen)})" if chosen is not None else ""))
    source = sequence_result.get("mask_source")
    if data.labels is None or not data.labels.any():
        details.append("mask: not available")
    else:
        details.append("mask: corrected by user" if source == "user" else "mask: model" if source == "model"
                       else "mask: source not recorded")
    details.append("attention (Grad-CAM)" if data.attention is not None else "attention: not available")
    axis.text(1.25, 0.45, "   \u00b7   ".join(details), fontsize=style.FONT_SMALL, color=style.MUTED, va="center",
              parse_math=False)
    legend = [("spleen", style.SPLEEN_LABEL, style.SPLEEN_COLOUR), ("liver", style.LIVER_LABEL, style.LIVER_COLOUR)]
    x = width
    for name, value, colour in legend:
        if data.labels is None or not (data.labels == value).any():
            continue
        x -= 0.12 + 0.075 * len(name) + 0.25
        axis.add_line(Line2D([x, x + 0.2], [0.45, 0.45], color=colour, linewidth=2.0))
        axis.text(x + 0.25, 0.45, name, fontsize=style.FONT_SMALL, color=style.TEXT, va="center")
    axis.add_line(Line2D([0, width], [0.02, 0.02], color=style.RULE, linewidth=0.6))


def _draw_slice(axis, data: SlicePanelData, index: int, first: bool) -> None:
    rows, columns = data.crop
    low, high = data.window
    axis.set_facecolor("black")
    axis.imshow(data.image[index][rows, columns], cmap="gray", vmin=low, vmax=high, aspect=data.aspect,
                interpolation="bilinear")
    if data.attention is not None:
        attention = data.attention[index][rows, columns]
        masked = np.ma.masked_less(attention, style.ATTENTION_FLOOR)
        axis.imshow(masked, cmap=style.ATTENTION_CMAP, vmin=0.0, vmax=1.0, alpha=style.ATTENTION_ALPHA,
                    aspect=data.aspect, interpolation="bilinear")
    if data.labels is not None:
        labels = data.labels[index][rows, columns]
        for value, colour in ((style.LIVER_LABEL, style.LIVER_COLOUR), (style.SPLEEN_LABEL, style.SPLEEN_COLOUR)):
            region = labels == value
            if region.any() and not region.all():
                axis.contour(region.astype(np.float32), levels=[0.5], colors=[colour], linewidths=1.3)
    axis.set_xticks([])
    axis.set_yticks([])
    for spine in axis.spines.values():
        spine.set_visible(False)
    if first:
        _orientation_marks(axis, data, columns)


def _orientation_marks(axis, data: SlicePanelData, columns: slice) -> None:
    """R/L letters (radiological view: patient's right on the left) and a 5 cm scale bar."""
    box = dict(fontsize=style.FONT_SMALL, color="white", fontweight="bold", transform=axis.transAxes)
    axis.text(0.03, 0.5, "R", ha="left", va="center", **box)
    axis.text(0.97, 0.5, "L", ha="right", va="center", **box)
    shown_mm = (columns.stop - columns.start) * data.column_mm
    if data.column_mm > 0 and shown_mm > 1.6 * SCALE_BAR_MM:
        fraction = SCALE_BAR_MM / shown_mm
        axis.plot([0.95 - fraction, 0.95], [0.06, 0.06], color="white", linewidth=1.5, transform=axis.transAxes,
                  solid_capstyle="butt")
        axis.text(0.95 - fraction / 2, 0.08, "5 cm", ha="center", va="bottom", fontsize=style.FONT_TINY,
                  color="white", transform=axis.transAxes)


def _draw_colourbar(figure, rect) -> None:
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    axis = figure.add_axes(rect)
    mappable = ScalarMappable(norm=Normalize(0.0, 1.0), cmap=style.ATTENTION_CMAP)
    colourbar = figure.colorbar(mappable, cax=axis, ticks=[0.0, 0.5, 1.0])
    colourbar.ax.tick_params(labelsize=style.FONT_TINY, length=2, color=style.MUTED, labelcolor=style.MUTED)
    colourbar.outline.set_linewidth(0.4)
    colourbar.set_label("attention (Grad-CAM)", fontsize=style.FONT_TINY, color=style.MUTED, labelpad=3)
