"""What result.json says about a mask or a scan, for the page: per-sequence `mask_quality` and the top-level
`warnings` list. Results written before these keys existed have neither, and show nothing."""

from __future__ import annotations

MASK_CHECK = "mask_check"


def mask_check_reasons(result: dict, sequence: str) -> list[str]:
    """Why the liver mask of `sequence` needs a look (empty when it looks fine or nothing was said)."""
    quality = ((result.get("sequences") or {}).get(sequence) or {}).get("mask_quality") or {}
    reasons = list(quality.get("reasons") or []) if quality.get("status") == "check" else []
    for warning in result.get("warnings") or []:
        message = warning.get("message")
        if warning.get("code") == MASK_CHECK and warning.get("sequence") in (sequence, None) and message:
            if message not in reasons:
                reasons.append(message)
    return [str(reason) for reason in reasons]


def other_warnings(result: dict) -> list[str]:
    """Warnings other than the mask check (out of distribution, ...): shown with the model's answer."""
    return [str(w["message"]) for w in result.get("warnings") or [] if w.get("code") != MASK_CHECK and w.get("message")]
