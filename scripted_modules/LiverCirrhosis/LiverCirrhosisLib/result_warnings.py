"""The engine's warnings about a result, as lines for the panel and the results table.

result.json may carry a top-level `warnings` list of {"code", "sequence", "message"} (codes such as
`mask_check` and `out_of_distribution`) and, per sequence, `mask_quality` {"status": "ok" | "check",
"reasons": [...]}. Results from engines that write neither simply have no warnings.
"""

from __future__ import annotations

MASK_CHECK = "mask_check"


def result_warnings(result: dict) -> list[str]:
    """One line per warning, mask checks first ("Check the liver mask: <reasons> (T1W)")."""
    from CirrhosisStaging.report.style import SEQUENCE_SHORT

    def suffix(sequence):
        return f" ({SEQUENCE_SHORT.get(sequence, sequence)})" if sequence else ""

    lines, masks_flagged = [], set()
    for sequence, entry in (result.get("sequences") or {}).items():
        quality = (entry or {}).get("mask_quality") or {}
        if quality.get("status") == "check":
            reasons = "; ".join(str(r) for r in quality.get("reasons") or []) or "it failed the engine's checks"
            lines.append(f"Check the liver mask: {reasons}{suffix(sequence)}")
            masks_flagged.add(sequence)
    for warning in result.get("warnings") or []:
        code, sequence, message = warning.get("code"), warning.get("sequence"), warning.get("message") or ""
        if code == MASK_CHECK:
            if sequence not in masks_flagged:   # not already said through mask_quality
                lines.append(f"Check the liver mask: {message}{suffix(sequence)}")
        else:
            lines.append(f"{message or code}{suffix(sequence)}")
    return lines
