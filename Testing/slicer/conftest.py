"""Slicer-logic tests: the module's Qt-free Lib on real MRML (slicer-core from PyPI, no Qt, no GUI)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

MODULE_FOLDER = Path(__file__).resolve().parents[2] / "scripted_modules" / "LiverCirrhosis"
sys.path.insert(0, str(MODULE_FOLDER))

pytest.importorskip("slicer", reason="slicer-core is not installed (scripts/setup_env.sh installs it)")


@pytest.fixture(scope="session")
def phantom_files(tmp_path_factory):
    """A moderate phantom patient (T1W and T2W on their own grids) with its organ labels, as files."""
    from synthetic_volumes import write_phantom_patient

    return write_phantom_patient(tmp_path_factory.mktemp("phantom"))


@pytest.fixture
def context(monkeypatch):
    """A fresh scene; also slicer.mrmlScene, as in the application (slicer.util helpers use it)."""
    import slicer
    from LiverCirrhosisLib import create_scene

    scene_context = create_scene()
    monkeypatch.setattr(slicer, "mrmlScene", scene_context.scene, raising=False)
    return scene_context
