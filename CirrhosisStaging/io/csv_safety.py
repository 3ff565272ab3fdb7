"""Cells that spreadsheets would run as formulas: quoted so a value like `=HYPERLINK(...)` stays text."""

from __future__ import annotations

# Excel, LibreOffice and Google Sheets start a formula on these (tab and CR included: OWASP CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """A text value starting like a formula, prefixed with a single quote; anything else unchanged."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value
