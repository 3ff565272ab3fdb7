"""Vertical page layout: panels take bands of the page, measured in inches from the top."""

from __future__ import annotations

from dataclasses import dataclass

from .style import MARGIN_IN, PAGE_HEIGHT_IN, PAGE_WIDTH_IN


@dataclass(frozen=True)
class Band:
    """A horizontal strip of the page in figure fractions: left, bottom, width, height (inside the margins)."""

    left: float
    bottom: float
    width: float
    height: float

    @property
    def top(self) -> float:
        return self.bottom + self.height

    def rect(self, left_in: float = 0.0, width_in: float | None = None, bottom_in: float = 0.0,
             height_in: float | None = None) -> list[float]:
        """A sub-rectangle of the band, offsets in inches from the band's left/bottom edges."""
        width = self.width if width_in is None else width_in / PAGE_WIDTH_IN
        height = self.height if height_in is None else height_in / PAGE_HEIGHT_IN
        return [self.left + left_in / PAGE_WIDTH_IN, self.bottom + bottom_in / PAGE_HEIGHT_IN, width, height]

    def inch_axes(self, figure):
        """Invisible axes over the whole band whose data units are inches from its bottom-left corner."""
        axis = figure.add_axes(self.rect())
        axis.set_axis_off()
        axis.set_xlim(0, self.width_in)
        axis.set_ylim(0, self.height_in)
        return axis

    @property
    def width_in(self) -> float:
        return self.width * PAGE_WIDTH_IN

    @property
    def height_in(self) -> float:
        return self.height * PAGE_HEIGHT_IN


class PageLayout:
    """Hands out bands top-down; the footer is taken from the bottom."""

    def __init__(self, margin_in: float = MARGIN_IN):
        self.margin_in = margin_in
        self.cursor_in = margin_in           # distance of the next band's top from the page top
        self.floor_in = PAGE_HEIGHT_IN - margin_in

    @property
    def remaining_in(self) -> float:
        return self.floor_in - self.cursor_in

    def take(self, height_in: float, gap_in: float = 0.12) -> Band:
        band = self._band(self.cursor_in, height_in)
        self.cursor_in += height_in + gap_in
        return band

    def take_bottom(self, height_in: float) -> Band:
        self.floor_in -= height_in
        return self._band(self.floor_in, height_in)

    def _band(self, top_in: float, height_in: float) -> Band:
        width_in = PAGE_WIDTH_IN - 2 * self.margin_in
        return Band(self.margin_in / PAGE_WIDTH_IN, 1.0 - (top_in + height_in) / PAGE_HEIGHT_IN,
                    width_in / PAGE_WIDTH_IN, height_in / PAGE_HEIGHT_IN)
