"""ITK's exception texts span many lines with source locations: one readable reason for an error line."""

from __future__ import annotations


def itk_reason(error: RuntimeError) -> str:
    """The last meaningful line of an ITK error, at most 200 characters."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    for line in reversed(lines):
        if not line.startswith(("itk::", "Location:", "File:", "Line:")):
            return line.removeprefix("Description:").removeprefix("ITK ERROR:").strip()[:200]
    return "unknown ITK error"
