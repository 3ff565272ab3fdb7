"""The extension as built and installed: the tree is laid out from the CMake files alone (Slicer's macros stood
in for by cmake_slicer_stub/), in a temporary folder outside the repository, and the engine and module Lib are
imported from that tree, which then stages the bundled sample phantom with the bundled weights."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STUB = Path(__file__).resolve().parent / "cmake_slicer_stub"
SCRIPTED = "lib/Slicer-5.10/qt-scripted-modules"

pytestmark = pytest.mark.skipif(shutil.which("cmake") is None, reason="cmake is not installed")


def _configure(build: Path, prefix: Path, *options: str) -> subprocess.CompletedProcess:
    return subprocess.run(["cmake", "-S", str(ROOT), "-B", str(build), f"-DSlicer_DIR={STUB}",
                           f"-DCMAKE_INSTALL_PREFIX={prefix}", "-DBUILD_TESTING=OFF", *options],
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    """qt-scripted-modules/ of the installed extension."""
    top = tmp_path_factory.mktemp("installed-extension")
    assert ROOT not in top.parents
    configured = _configure(top / "build", top / "install")
    assert configured.returncode == 0, configured.stdout + configured.stderr
    installed = subprocess.run(["cmake", "--install", str(top / "build")], capture_output=True, text=True,
                               timeout=300)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return top / "install" / SCRIPTED


def _source_manifest():
    from CirrhosisStaging.models import load_manifest

    return load_manifest(ROOT / "Resources" / "Models" / "manifest.json")


def _installed_manifest(tree):
    from CirrhosisStaging.models import load_manifest

    return load_manifest(tree / "Resources" / "Models" / "manifest.json")


def test_tree_holds_the_engine_the_module_and_only_the_current_weights(tree):
    engine = {p.relative_to(ROOT) for p in (ROOT / "CirrhosisStaging").rglob("*.py")
              if "__pycache__" not in p.parts}
    assert {p.relative_to(tree) for p in (tree / "CirrhosisStaging").rglob("*.py")} == engine
    for relative in ("LiverCirrhosis.py", "LiverCirrhosisLib/engine_process.py", "Resources/UI/LiverCirrhosis.ui",
                     "Resources/Icons/LiverCirrhosis.png", "Resources/SampleData/sample_data.json",
                     "Resources/Terminology/CirrhosisStaging.term.json", "Resources/LICENSE.txt"):
        assert (tree / relative).is_file(), relative

    source = _source_manifest()
    slots = sorted({(entry.task, sequence) for entry in source.entries for sequence in entry.sequences})
    # What the engine uses when no model is named: per task and sequence (T1W and T2W may differ), one file each.
    defaults = {entry.key: entry for entry in (source.find(task, sequence=sequence) for task, sequence in slots)}
    shipped = json.loads((tree / "Resources" / "Models" / "manifest.json").read_text(encoding="utf-8"))
    assert sorted((e["task"], e["name"], e["version"]) for e in shipped["models"]) == \
        sorted((e.task, e.name, e.version) for e in defaults.values())
    for task, sequence in slots:   # the shipped manifest alone gives the engine the same defaults
        shipped_default = _installed_manifest(tree).find(task, sequence=sequence)
        assert shipped_default.key == source.find(task, sequence=sequence).key
    models = tree / "Resources" / "Models"
    weights = {p.relative_to(models).as_posix() for p in models.rglob("*.pt")}
    assert weights == {e.file for e in defaults.values()}
    superseded = [e for e in source.entries if e not in defaults.values()]
    assert superseded and not any((models / e.file).exists() for e in superseded)

    # The build tree (ctest, Slicer started on the build) holds the same files as the install tree.
    build = tree.parents[3] / "build" / SCRIPTED
    assert {p.relative_to(build) for p in build.rglob("*") if p.is_file()} == \
        {p.relative_to(tree) for p in tree.rglob("*") if p.is_file()}


def test_staging_the_bundled_sample_from_the_tree(tree, tmp_path):
    """Engine and Lib imported from the tree only (the repository is not on the path); the Lib's engine process
    stages the tree's sample phantom with the tree's weights."""
    script = textwrap.dedent("""
        import json, sys
        from pathlib import Path
        import CirrhosisStaging
        from CirrhosisStaging.models import default_manifest_path, load_manifest
        from LiverCirrhosisLib.engine_process import ENGINE_ROOT, EngineJob, engine_command
        from LiverCirrhosisLib.sample_data import samples, verified_path

        inputs = {s.sequence: str(verified_path(s)) for s in samples()}
        arguments = ["run", "--out", sys.argv[1], "--device", "cpu", "--progress-lines"]
        for sequence, path in sorted(inputs.items()):
            arguments += [f"--{sequence}", path]
        job = EngineJob(engine_command(arguments)).wait(timeout=600)
        manifest = load_manifest()
        print(json.dumps({"engine": CirrhosisStaging.__file__, "engine_root": str(ENGINE_ROOT),
                          "manifest": str(default_manifest_path()), "inputs": inputs, "state": job.state,
                          "error": job.error, "steps": [l for l in job.output_lines if l.startswith("step: ")],
                          "shipped": {e.key: e.sha256 for e in manifest.entries}}))
    """)
    environment = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "CIRRHOSIS_STAGING_MODELS")}
    environment["PYTHONPATH"] = str(tree)
    out = tmp_path / "run"
    completed = subprocess.run([sys.executable, "-c", script, str(out)], cwd=tmp_path, env=environment,
                               capture_output=True, text=True, timeout=900)
    assert completed.returncode == 0, completed.stderr
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    resolved_tree = tree.resolve()
    for key in ("engine", "engine_root", "manifest", *(f"inputs.{s}" for s in report["inputs"])):
        value = report["inputs"][key.split(".")[1]] if key.startswith("inputs.") else report[key]
        assert Path(value).resolve().is_relative_to(resolved_tree), (key, value)
    assert set(report["inputs"]) == {"t1", "t2"}
    assert report["state"] == "finished", report["error"]
    assert "step: stage" in report["steps"]
    result = json.loads((out / "result.json").read_text(encoding="utf-8"))
    assert result["stage"] in ("none", "mild", "moderate", "severe")
    assert abs(sum(result["probabilities"].values()) - 1) < 1e-5
    # every model that ran is one the tree ships: each sequence's own segmentation model, and the stager
    drawn = {s: part["segmentation_model"] for s, part in result["sequences"].items()}
    assert set(drawn.values()) <= set(report["shipped"])
    segmentation, staging = result["models"]["segmentation"], result["models"]["staging"]
    assert segmentation["sha256"] == report["shipped"][drawn["t1"]]   # the biomarkers' (T1W) masks
    assert report["shipped"][f"{staging['name']}-{staging['version']}"] == staging["sha256"]


def test_configuring_against_a_slicer_older_than_5_10_is_refused(tmp_path):
    configured = _configure(tmp_path / "build", tmp_path / "install", "-DSTUB_SLICER_VERSION_MINOR=8")
    assert configured.returncode != 0
    assert "needs Slicer 5.10 or newer (found 5.8)" in configured.stderr
