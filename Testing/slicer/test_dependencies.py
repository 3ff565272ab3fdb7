"""What the module installs into Slicer's Python: every package the engine imports is covered, pins agree with
requirements.txt, packages Slicer bundles are never replaced when new enough, and an old Slicer is refused
before anything is installed."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

from LiverCirrhosisLib.dependencies import (ENGINE_REQUIREMENTS, MINIMUM_SLICER, NOT_USED_IN_SLICER, TORCH_REQUIREMENT,
                                            Requirement, missing_requirements, torch_missing, unsupported_slicer)

ROOT = Path(__file__).resolve().parents[2]
MODULE_FILE = ROOT / "scripted_modules" / "LiverCirrhosis" / "LiverCirrhosis.py"


def _engine_imports() -> set[str]:
    names = set()
    for path in (ROOT / "CirrhosisStaging").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"CirrhosisStaging", "__future__"}


def test_every_engine_import_is_installed_in_slicer():
    imported = _engine_imports()
    assert {"matplotlib", "nibabel", "monai", "torch", "scipy"} <= imported
    assert imported - NOT_USED_IN_SLICER - {"torch"} == set(ENGINE_REQUIREMENTS), \
        "an engine import without a Slicer requirement (or a requirement nothing imports)"


def test_pins_agree_with_requirements_txt_and_bundled_packages_have_floors_only():
    requirements = (ROOT / "requirements.txt").read_text(encoding="utf-8")
    pinned = dict(re.findall(r"^([A-Za-z0-9_.\-]+)==(\S+)", requirements, re.MULTILINE))
    pinned = {name.lower(): version for name, version in pinned.items()}
    from CirrhosisStaging.versions import version_key

    for requirement in ENGINE_REQUIREMENTS.values():
        tested = pinned[requirement.distribution.lower()]   # the version CI runs the engine with
        if requirement.pin:
            assert requirement.pin == tested, requirement
            assert requirement.specifier == f"{requirement.distribution}=={tested}"
        else:   # bundled with Slicer: a floor the tested version satisfies, so pip keeps Slicer's own
            assert version_key(tested) >= version_key(requirement.minimum), requirement
            assert requirement.specifier.startswith(f"{requirement.distribution}>=")
    for bundled in ("numpy", "scipy", "SimpleITK"):
        assert ENGINE_REQUIREMENTS[bundled].pin is None
    import importlib.metadata

    monai_torch = next(r for r in importlib.metadata.requires("monai") if r.startswith("torch"))
    floor = re.search(r">=\s*([\d.]+)", monai_torch).group(1)   # the torch the pinned monai declares
    assert _numbers(TORCH_REQUIREMENT.removeprefix(">=")) >= _numbers(floor)


def _numbers(version: str) -> list[int]:
    """2.8.0 -> [2, 8], so that 2.8 and 2.8.0 compare equal."""
    parts = [int(p) for p in version.split(".")]
    while parts and parts[-1] == 0:
        parts.pop()
    return parts


def test_missing_and_outdated_packages_are_found():
    assert missing_requirements() == [] and torch_missing() is False   # this venv has everything
    assert missing_requirements({"numpy": Requirement("numpy", "999", None)}) == ["numpy>=999"]
    assert missing_requirements({"numpy": Requirement("numpy", "999", "999.1")}) == ["numpy==999.1"]
    assert missing_requirements({"no_such_module_here": Requirement("nibabel", "1", "5.4.2")}) == ["nibabel==5.4.2"]
    assert missing_requirements({"json": Requirement("no-such-distribution", "1", "2")}) == ["no-such-distribution==2"]


def test_slicer_older_than_5_10_is_refused_with_a_clear_message():
    message = unsupported_slicer((5, 8), (3, 9, 10))
    assert "needs 3D Slicer 5.10 or newer" in message and "Slicer 5.8 with Python 3.9" in message
    assert "Nothing was installed" in message
    assert unsupported_slicer((5, 10), (3, 12)) is None and unsupported_slicer((6, 0), (3, 13)) is None
    assert unsupported_slicer((5, 10), (3, 9)) is not None
    assert MINIMUM_SLICER == (5, 10)


def test_panel_refuses_before_installing_and_gets_torch_from_the_pytorch_extension():
    tree = ast.parse(MODULE_FILE.read_text(encoding="utf-8"))
    ensure = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "ensureDependencies")
    calls = [n for n in ast.walk(ensure) if isinstance(n, ast.Call)]

    def line_of(name):
        return min(c.lineno for c in calls if getattr(c.func, "attr", getattr(c.func, "id", None)) == name)

    assert line_of("unsupported_slicer") < line_of("installTorch") < line_of("pip_install")
    install = next(c for c in calls if getattr(c.func, "attr", None) == "installTorch")
    keywords = {k.arg: k.value for k in install.keywords}
    assert ast.literal_eval(keywords["askConfirmation"]) is True
    assert getattr(keywords["torchVersionRequirement"], "id", None) == "TORCH_REQUIREMENT"
    pip = next(c for c in calls if getattr(c.func, "attr", None) == "pip_install")
    assert [getattr(a, "id", None) for a in pip.args] == ["missing"]   # the engine packages, never torch
