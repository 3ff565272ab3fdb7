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
    from CirrhosisStaging.io import write_image
    from CirrhosisStaging.phantom import make_case

    folder = tmp_path_factory.mktemp("phantom")
    paths = {}
    for sequence in ("t1", "t2"):
        phantom = make_case(2, 31, sequence, size_scale=0.6)
        paths[sequence] = write_image(phantom.image, folder / f"{sequence}.nii.gz")
        paths[f"{sequence}_labels"] = write_image(phantom.organ_labels, folder / f"{sequence}_labels.nii.gz")
    return paths


@pytest.fixture
def context(monkeypatch):
    """A fresh scene; also slicer.mrmlScene, as in the application (slicer.util helpers use it)."""
    import slicer
    from LiverCirrhosisLib import create_scene

    scene_context = create_scene()
    monkeypatch.setattr(slicer, "mrmlScene", scene_context.scene, raising=False)
    return scene_context
