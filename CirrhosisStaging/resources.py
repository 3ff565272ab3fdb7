"""Where the engine's data files live: `Resources/` beside the `CirrhosisStaging` package.

That layout is the same in a source checkout (repository root) and in the installed Slicer extension
(`lib/Slicer-X.Y/qt-scripted-modules/`, laid out by the CMake files), so this is the one place that knows it.
"""

from __future__ import annotations

from pathlib import Path

RESOURCES_DIR = Path(__file__).resolve().parent.parent / "Resources"


def resource_path(*parts: str) -> Path:
    """A file or folder under Resources/, e.g. resource_path("Models", "manifest.json")."""
    return RESOURCES_DIR.joinpath(*parts)
