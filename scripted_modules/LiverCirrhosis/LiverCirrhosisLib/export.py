"""Export of a staged case: results JSON and CSV, the report PDF, the (edited) segmentation as .seg.nrrd, and
the whole scene as .mrb. Every file is written atomically; nothing already in the folder is replaced unless
asked, so an earlier export (or a user's own file) is never silently lost."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

from CirrhosisStaging.errors import InputError
from CirrhosisStaging.io import atomic_path
from CirrhosisStaging.io.csv_safety import SafeWriter

from .results_table import COLUMNS, result_rows


def export_case(case, folder, overwrite: bool = False, include_scene: bool = False) -> dict[str, Path]:
    """Write results.json, results.csv, report.pdf, <sequence>.seg.nrrd (and scene.mrb); returns name -> path."""
    if case.result is None:
        raise InputError(None, "nothing to export: stage the case first")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    planned = ["results.json", "results.csv", "report.pdf"] + [f"{s}.seg.nrrd" for s in case.segmentations]
    planned += ["scene.mrb"] if include_scene else []
    clashes = [name for name in planned if (folder / name).exists()]
    if clashes and not overwrite:
        raise InputError(folder / clashes[0], "already exists; choose another folder or allow overwriting")
    written = {}
    with atomic_path(folder / "results.json") as temporary:
        temporary.write_text(json.dumps({"result": case.result, "previous_result": case.previous_result}, indent=2))
    written["results.json"] = folder / "results.json"
    with atomic_path(folder / "results.csv") as temporary:
        temporary.write_text(results_csv(case.result, case.previous_result), encoding="utf-8")
    written["results.csv"] = folder / "results.csv"
    report = Path(case.run_folder or "") / "report.pdf"
    if report.is_file():
        with atomic_path(folder / "report.pdf") as temporary:
            shutil.copyfile(report, temporary)
        written["report.pdf"] = folder / "report.pdf"
    for sequence, node in case.segmentations.items():
        written[f"{sequence}.seg.nrrd"] = save_segmentation(node, folder / f"{sequence}.seg.nrrd")
    if include_scene:
        written["scene.mrb"] = save_scene_bundle(node_scene(case), folder / "scene.mrb")
    return written


def results_csv(result: dict, previous: dict | None = None) -> str:
    buffer = io.StringIO()
    writer = SafeWriter(buffer)   # a case label is typed by people; a spreadsheet must not run it
    writer.writerow(COLUMNS)
    writer.writerows(result_rows(result, previous))
    return buffer.getvalue()


def save_segmentation(segmentation_node, path) -> Path:
    """A .seg.nrrd through Slicer's own segmentation storage node (what File > Save writes)."""
    from slicer import vtkMRMLSegmentationStorageNode

    path = Path(path)
    with atomic_path(path) as temporary:
        storage = vtkMRMLSegmentationStorageNode()
        storage.SetFileName(str(temporary))
        if not storage.WriteData(segmentation_node):
            raise InputError(path, "could not write the segmentation")
    return path


def load_segmentation(context, path, name: str | None = None):
    """Read a .seg.nrrd into a new segmentation node through Slicer's storage node."""
    from slicer import vtkMRMLSegmentationStorageNode

    path = Path(path)
    node = context.scene.AddNewNodeByClass("vtkMRMLSegmentationNode", name or path.name.split(".")[0])
    storage = vtkMRMLSegmentationStorageNode()
    storage.SetFileName(str(path))
    if not storage.ReadData(node):
        context.scene.RemoveNode(node)
        raise InputError(path, "Slicer could not read this segmentation")
    node.CreateDefaultDisplayNodes()
    return node


def save_scene_bundle(scene, path) -> Path:
    """The whole scene (volumes, segmentations, attention, table) as a Slicer .mrb bundle."""
    path = Path(path)
    with atomic_path(path) as temporary:
        if not scene.WriteToMRB(str(temporary)):
            raise InputError(path, "could not write the scene bundle")
    return path


def node_scene(case):
    for node in list(case.volumes.values()) + list(case.segmentations.values()):
        if node is not None and node.GetScene() is not None:
            return node.GetScene()
    raise InputError(None, "the case has no nodes in a scene")
