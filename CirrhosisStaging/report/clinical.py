"""One line of clinical scores (FIB-4, APRI and their inputs), when the run was given them."""

from __future__ import annotations

from . import style
from .formatting import NOT_AVAILABLE, number, plain

HEIGHT_IN = 0.42


def clinical_text(clinical) -> str:
    if not isinstance(clinical, dict) or not clinical:
        return "Not provided."
    parts = []
    for key, label, decimals, unit in (("fib4", "FIB-4", 2, ""), ("apri", "APRI", 2, "")):
        value = number(clinical.get(key), decimals, unit)
        band = plain(clinical.get(f"{key}_band"), 24)
        parts.append(f"{label} {value}" + (f" ({band})" if band and value != NOT_AVAILABLE else ""))
    inputs = [
        ("age", clinical.get("age_years"), 0, "y"),
        ("AST", clinical.get("ast_u_l"), 0, "U/L"),
        ("ALT", clinical.get("alt_u_l"), 0, "U/L"),
        ("platelets", clinical.get("platelets_10e9_l"), 0, "\u00d710\u2079/L"),
    ]
    shown = [f"{label} {number(value, decimals, unit)}" for label, value, decimals, unit in inputs]
    return "   \u00b7   ".join(parts) + "     (" + ", ".join(shown) + ")"


def draw(figure, band, result: dict) -> None:
    axis = figure.add_axes(band.rect())
    axis.set_axis_off()
    axis.set_xlim(0, band.width_in)
    axis.set_ylim(0, 1)
    axis.text(0, 0.5, "Clinical scores", fontsize=style.FONT_BODY, fontweight="bold", color=style.TEXT,
              va="center")
    axis.text(1.15, 0.5, clinical_text(result.get("clinical")), fontsize=style.FONT_BODY, color=style.TEXT,
              va="center", parse_math=False)
