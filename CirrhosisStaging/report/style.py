"""Colours, fonts and page geometry shared by the report panels."""

from __future__ import annotations

# Page: A4 portrait, in inches; the PNG is rendered at DPI.
PAGE_WIDTH_IN = 8.27
PAGE_HEIGHT_IN = 11.69
DPI = 110
MARGIN_IN = 0.5

# 3D Slicer's terminology colours.
LIVER_COLOUR = (221 / 255, 130 / 255, 101 / 255)
SPLEEN_COLOUR = (157 / 255, 108 / 255, 162 / 255)
LIVER_LABEL = 1
SPLEEN_LABEL = 4

TEXT = "#1c2833"
MUTED = "#5d6d7e"
RULE = "#aab7b8"
ACCENT = "#1f4e79"          # chosen stage
BAR_OTHER = "#c8d1d9"       # the other stages
PANEL_BACKGROUND = "#f4f6f7"

# Notice box: red/orange when the result is for demonstration only, neutral otherwise.
WARNING_FACE = "#fdebd0"
WARNING_EDGE = "#c0392b"
WARNING_TEXT = "#922b21"
INFO_FACE = "#eaf2f8"
INFO_EDGE = "#5d6d7e"
INFO_TEXT = TEXT

ATTENTION_CMAP = "turbo"
ATTENTION_ALPHA = 0.4
ATTENTION_FLOOR = 0.1        # attention below this is not drawn

FONT_TITLE = 17
FONT_HEADING = 11
FONT_BODY = 8.5
FONT_SMALL = 7
FONT_TINY = 6.2

SEQUENCE_NAMES = {"t1": "T1-weighted", "t2": "T2-weighted"}
SEQUENCE_SHORT = {"t1": "T1W", "t2": "T2W"}
