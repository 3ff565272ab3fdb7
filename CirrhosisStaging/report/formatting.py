"""Text formatting of report values: numbers with units, 'n/a' for missing ones, short hashes."""

from __future__ import annotations

import math
import re

NOT_AVAILABLE = "n/a"
_PRINTABLE = re.compile(r"[^\w .,:;()\[\]#+\-/&'@]")


def finite_number(value) -> float | None:
    """`value` as a float, or None for None, NaN, infinities, booleans or anything not numeric."""
    if value is None or isinstance(value, bool):
        return None
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def number(value, decimals: int = 1, unit: str = "") -> str:
    """`value` rounded, with its unit; "n/a" for None, NaN, booleans or anything not numeric."""
    value = finite_number(value)
    if value is None:
        return NOT_AVAILABLE
    text = f"{value:,.{decimals}f}".replace(",", "\u2009")  # thin-space thousands separator
    return f"{text} {unit}".rstrip() if unit else text


def percent(value) -> str:
    value = finite_number(value)
    return NOT_AVAILABLE if value is None else f"{100 * value:.0f}%"


def probability(value) -> float | None:
    """A probability as a float in [0, 1], or None if missing or not a number."""
    value = finite_number(value)
    return None if value is None else min(max(value, 0.0), 1.0)


def short_sha(sha256) -> str:
    """First 12 hex digits of a sha256, or "n/a"."""
    if not isinstance(sha256, str):
        return NOT_AVAILABLE
    digits = "".join(c for c in sha256.lower() if c in "0123456789abcdef")
    return digits[:12] if digits else NOT_AVAILABLE


def plain(value, limit: int = 80) -> str:
    """A short single-line label: control characters and markup-like symbols removed, length capped."""
    if value is None:
        return ""
    text = " ".join(str(value).split())
    text = _PRINTABLE.sub("", text)
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def stage_name(value) -> str:
    return plain(value, 20) or NOT_AVAILABLE
