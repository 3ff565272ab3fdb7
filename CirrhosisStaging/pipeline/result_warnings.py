"""The warnings of a result: items {"code", "sequence", "message"} the report, the Slicer panel and the web app show
beside the result. Codes: "mask_check" (the liver mask needs a look: segmentation.quality) and
"out_of_distribution" (the scan is unlike the staging model's training data: staging.out_of_distribution)."""

from __future__ import annotations


def mask_quality_warning(sequence: str, quality: dict) -> dict | None:
    """A "mask_check" warning for a mask whose quality status is "check", else None."""
    if quality.get("status") != "check":
        return None
    return {"code": "mask_check", "sequence": sequence,
            "message": "check the liver mask: " + "; ".join(quality.get("reasons") or ["no reason given"])}


def add_mask_quality(result: dict, qualities: dict) -> None:
    """Each sequence's {"status", "reasons"} as its "mask_quality", and a warning for each mask to check."""
    warnings = result.setdefault("warnings", [])
    for sequence, quality in qualities.items():
        result["sequences"][sequence]["mask_quality"] = {"status": quality.get("status", "ok"),
                                                         "reasons": list(quality.get("reasons") or [])}
        warning = mask_quality_warning(sequence, quality)
        if warning is not None:
            warnings.append(warning)


def add_out_of_distribution(result: dict, reasons: dict) -> None:
    """One "out_of_distribution" warning per sequence with reasons (sequence -> list of reasons)."""
    warnings = result.setdefault("warnings", [])
    for sequence, found in reasons.items():
        if found:
            warnings.append({"code": "out_of_distribution", "sequence": sequence,
                             "message": "the stage may mean nothing: " + "; ".join(found)})
