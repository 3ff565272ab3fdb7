"""Version strings compared as numbers (stdlib only: the Slicer module checks installed packages with it before
the engine's own dependencies are there)."""

from __future__ import annotations

import re


def version_key(version: str) -> tuple:
    """Order versions numerically where they are numbers: 1.10 after 1.9, 2 after 1.9.9."""
    parts = re.split(r"[.\-_+]", version)
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts)
