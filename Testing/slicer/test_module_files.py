"""The parts of the Slicer module that only the desktop application runs are still checked here: the Widget
file compiles with its Slicer imports at the top, every file is listed in CMake, the .ui holds every widget the
Widget uses, the Lib stays Qt-free, and the sample phantom matches its listed sha256."""

from __future__ import annotations

import ast
import json
import re
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODULE_FOLDER = ROOT / "scripted_modules" / "LiverCirrhosis"
MODULE_FILE = MODULE_FOLDER / "LiverCirrhosis.py"


def test_widget_file_compiles_with_slicer_imports_at_the_top():
    tree = ast.parse(MODULE_FILE.read_text(), str(MODULE_FILE))
    compile(tree, str(MODULE_FILE), "exec")
    first_definition = next(i for i, node in enumerate(tree.body) if isinstance(node, (ast.ClassDef, ast.FunctionDef)))
    top_imports = set()
    for node in tree.body[:first_definition]:
        if isinstance(node, ast.Import):
            top_imports |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            top_imports.add(node.module)
    assert {"qt", "ctk", "slicer", "slicer.ScriptedLoadableModule"} <= top_imports
    heavy = [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))
             and any(name in ("torch", "monai") for name in _imported(n))]
    assert not heavy, "torch/monai must not load with the module (the engine runs in its own process)"
    classes = {node.name for node in tree.body if isinstance(node, ast.ClassDef)}
    assert {"LiverCirrhosis", "LiverCirrhosisWidget", "LiverCirrhosisLogic", "LiverCirrhosisTest"} <= classes


def test_lib_is_qt_free():
    for path in (MODULE_FOLDER / "LiverCirrhosisLib").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                assert not {"qt", "ctk", "torch", "monai"} & {n.split(".")[0] for n in _imported(node)}, path.name


def test_every_module_file_is_listed_in_cmake():
    cmake = (MODULE_FOLDER / "CMakeLists.txt").read_text().replace("${MODULE_NAME}", "LiverCirrhosis")
    listed = set(re.findall(r"^\s+(\S+\.(?:py|ui|png))\s*$", cmake, re.MULTILINE))
    present = {str(p.relative_to(MODULE_FOLDER)) for p in MODULE_FOLDER.rglob("*")
               if p.suffix in (".py", ".ui", ".png") and "__pycache__" not in p.parts}
    assert listed == present
    assert "WITH_GENERIC_TESTS" in cmake and "slicer_add_python_unittest(SCRIPT" in cmake


def test_extension_cmake_and_index_description():
    cmake = (ROOT / "CMakeLists.txt").read_text(encoding="utf-8")
    for field in ("HOMEPAGE", "CATEGORY", "CONTRIBUTORS", "DESCRIPTION", "ICONURL", "SCREENSHOTURLS", "DEPENDS"):
        assert f"set(EXTENSION_{field} " in cmake
    assert "add_subdirectory(scripted_modules/LiverCirrhosis)" in cmake
    assert "Slicer_EXTENSION_GENERATE_CONFIG" in cmake and "Slicer_EXTENSION_CPACK" in cmake
    description = json.loads((ROOT / "CirrhosisStaging.json").read_text())
    assert {"scm_url", "scm_revision", "category", "build_dependencies"} <= set(description)
    assert (ROOT / "Resources" / "Icons" / "CirrhosisStaging.png").is_file()
    assert re.search(r'set\(EXTENSION_DEPENDS "([^"]*)"\)', cmake).group(1).split(";") == \
        description["build_dependencies"]
    assert re.search(r'set\(EXTENSION_CATEGORY "([^"]*)"\)', cmake).group(1) == description["category"]


def test_extension_index_description_validates_against_slicer_schema():
    import jsonschema

    description = json.loads((ROOT / "CirrhosisStaging.json").read_text())
    schema = json.loads((Path(__file__).parent / "data" / "slicer-extension-catalog-entry-schema-v1.0.1.json")
                        .read_text())
    assert description["$schema"] == schema["$id"]   # the schema the description names is the one checked
    jsonschema.Draft7Validator.check_schema(schema)
    jsonschema.validate(description, schema, cls=jsonschema.Draft7Validator)
    with pytest.raises(jsonschema.ValidationError):   # the validator does reject a broken entry
        jsonschema.validate({**description, "tier": 2}, schema, cls=jsonschema.Draft7Validator)


def test_licence_and_supported_versions_are_stated():
    licence = (ROOT / "LICENSE.txt").read_text(encoding="utf-8")
    assert "Apache License" in licence and "Version 2.0" in licence and "CC BY-NC-SA 4.0" in licence
    cmake = (ROOT / "CMakeLists.txt").read_text(encoding="utf-8")
    description = re.search(r'set\(EXTENSION_DESCRIPTION "([^"]*)"\)', cmake).group(1)
    assert "CC BY-NC-SA 4.0" in description and "Slicer 5.10 or newer" in description
    assert 'set(EXTENSION_LICENSE_FILE "${CMAKE_CURRENT_SOURCE_DIR}/LICENSE.txt")' in cmake   # in the package
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "CC BY-NC-SA 4.0" in readme and "5.10" in readme
    ui = (MODULE_FOLDER / "Resources" / "UI" / "LiverCirrhosis.ui").read_text(encoding="utf-8")
    assert "SlicerParameterName" not in ui, "SlicerParameterName does nothing without parameterNodeWrapper's connectGui"


def test_ui_holds_every_widget_the_widget_uses():
    ui = ElementTree.parse(MODULE_FOLDER / "Resources" / "UI" / "LiverCirrhosis.ui")
    names = {w.get("name") for w in ui.iter("widget")} | {w.get("name") for w in ui.iter("layout")}
    used = set(re.findall(r"self\.ui\.(\w+)", MODULE_FILE.read_text()))
    assert used and used <= names, used - names


def test_sample_phantom_matches_its_sha256_and_regenerates_identically(tmp_path):
    import shutil

    from LiverCirrhosisLib.sample_data import SAMPLE_FOLDER, regenerate, samples, verified_path

    from CirrhosisStaging.errors import InputError

    listed = samples()
    assert {s.sequence for s in listed} == {"t1", "t2"}
    for sample in listed:
        assert verified_path(sample).is_file() and sample.checksum.startswith("SHA256:")
    copy = tmp_path / "SampleData"
    shutil.copytree(SAMPLE_FOLDER, copy)
    regenerate(copy)
    assert [s.sha256 for s in samples(copy)] == [s.sha256 for s in listed]
    damaged = samples(copy)[0]
    damaged.path.write_bytes(damaged.path.read_bytes()[:-10])
    with pytest.raises(InputError, match="sha256"):
        verified_path(damaged)


def _imported(node) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    return [node.module or ""]
