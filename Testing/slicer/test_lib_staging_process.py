"""The panel's actions end to end on real MRML, the engine (shipped weights) in a separate process:
Segment, Stage, edit the liver, Re-stage (what changed), export (CSV/JSON/PDF/.seg.nrrd) and the scene (.mrb)."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
import SimpleITK as sitk

from CirrhosisStaging.data.labels import LIVER
from CirrhosisStaging.errors import InputError


@pytest.fixture(scope="module")
def staged(phantom_files, tmp_path_factory):
    """One Stage click on a T1W + T2W phantom (segmentation by the engine), shared by the tests below."""
    import slicer
    from LiverCirrhosisLib import CirrhosisStagingLogic, create_scene
    from LiverCirrhosisLib.volume_io import load_volume

    context = create_scene()
    slicer.mrmlScene = context.scene
    logic = CirrhosisStagingLogic(context, tmp_path_factory.mktemp("work"), device="cpu")
    t1, t2 = load_volume(context, phantom_files["t1"]), load_volume(context, phantom_files["t2"])
    return context, logic, logic.process(t1=t1, t2=t2)


def test_stage_fills_the_scene(staged, phantom_files):
    from LiverCirrhosisLib.segmentation_nodes import labels_from_segmentation
    from LiverCirrhosisLib.volume_io import image_from_volume_node

    context, _, case = staged
    result = case.result
    assert result["stage"] in ("none", "mild", "moderate", "severe")
    assert sum(result["probabilities"].values()) == pytest.approx(1.0, abs=1e-6)
    assert result["demonstration_only"] is True
    for sequence in ("t1", "t2"):
        volume = case.volumes[sequence]
        labels = labels_from_segmentation(case.segmentations[sequence], volume)
        truth = sitk.GetArrayFromImage(sitk.ReadImage(str(phantom_files[f"{sequence}_mask"]))) == LIVER
        found = sitk.GetArrayViewFromImage(labels) == LIVER
        assert 2 * (found & truth).sum() / (found.sum() + truth.sum()) > 0.7   # the shipped model found the liver
        attention = image_from_volume_node(case.attention[sequence])
        assert attention.GetSize() == image_from_volume_node(volume).GetSize()
        values = sitk.GetArrayViewFromImage(attention)
        assert values.min() >= 0.0 and values.max() <= 1.0 and values.max() > 0
    table = case.results_table.GetTable()
    assert table.GetValue(0, 1).ToString() == result["stage"]


def test_restage_with_an_edited_liver_changes_the_biomarkers_and_keeps_the_edit(staged):
    from LiverCirrhosisLib.segmentation_nodes import (labels_from_segmentation, replace_segment_voxels, segment_array,
                                                      segment_id_for)

    context, logic, case = staged
    segmentation, volume = case.segmentations["t1"], case.volumes["t1"]
    liver_id = segment_id_for(segmentation, LIVER)
    liver = segment_array(segmentation, liver_id, volume)
    rows = np.nonzero(liver.any(axis=(0, 2)))[0]
    liver[:, rows[: len(rows) // 2]] = 0            # erase the front half of the liver
    replace_segment_voxels(segmentation, liver_id, liver, volume)
    edited = sitk.GetArrayFromImage(labels_from_segmentation(segmentation, volume))

    restaged = logic.process(t1=volume, segmentations={"t1": segmentation}, previous=case)
    assert restaged.result["sequences"]["t1"]["mask_source"] == "user"
    assert restaged.segmentations["t1"] is segmentation                        # the user's node, not a copy
    assert np.array_equal(sitk.GetArrayFromImage(labels_from_segmentation(segmentation, volume)), edited)
    before = case.result["sequences"]["t1"]["biomarkers"]["liver_volume_ml"]
    after = restaged.result["sequences"]["t1"]["biomarkers"]["liver_volume_ml"]
    assert after < 0.75 * before
    table = restaged.results_table.GetTable()
    rows = {table.GetValue(r, 0).ToString(): table.GetValue(r, 3).ToString() for r in range(table.GetNumberOfRows())}
    assert rows["Liver volume"].startswith("-")
    assert restaged.results_table is case.results_table                       # one table, updated in place
    assert case.attention["t1"].GetScene() is None                             # the old map was replaced


def test_segment_only_never_replaces_an_existing_segmentation(staged):
    context, logic, case = staged
    before = context.scene.GetNumberOfNodesByClass("vtkMRMLSegmentationNode")
    new = logic.segment(case.volumes["t2"])
    assert new is not case.segmentations["t2"]
    assert context.scene.GetNumberOfNodesByClass("vtkMRMLSegmentationNode") == before + 1


def test_export_and_reimport(staged, tmp_path):
    from LiverCirrhosisLib.export import export_case, load_segmentation
    from LiverCirrhosisLib.segmentation_nodes import labels_from_segmentation

    context, _, case = staged
    written = export_case(case, tmp_path / "export", include_scene=True)
    assert set(written) == {"results.json", "results.csv", "report.pdf", "t1.seg.nrrd", "t2.seg.nrrd", "scene.mrb"}
    assert json.loads(written["results.json"].read_text())["result"]["stage"] == case.result["stage"]
    csv_text = written["results.csv"].read_text()
    assert "Liver volume" in csv_text and "simulated" in csv_text
    assert written["report.pdf"].read_bytes().startswith(b"%PDF")
    reloaded = load_segmentation(context, written["t1.seg.nrrd"])
    volume = case.volumes["t1"]
    assert np.array_equal(sitk.GetArrayFromImage(labels_from_segmentation(reloaded, volume)),
                          sitk.GetArrayFromImage(labels_from_segmentation(case.segmentations["t1"], volume)))
    with pytest.raises(InputError, match="already exists"):
        export_case(case, tmp_path / "export")                                # earlier exports are not lost

    from LiverCirrhosisLib import create_scene

    fresh = create_scene()
    assert fresh.scene.ReadFromMRB(str(written["scene.mrb"]))
    assert fresh.scene.GetNumberOfNodesByClass("vtkMRMLSegmentationNode") >= 2
    assert fresh.scene.GetFirstNodeByName("Cirrhosis staging results") is not None


def test_engine_errors_reach_the_panel_as_one_line(staged, tmp_path):
    from LiverCirrhosisLib.volume_io import add_volume_from_image

    context, logic, _ = staged
    flat = sitk.Image([64, 64, 20], sitk.sitkFloat32)      # constant image: the engine refuses it
    flat.SetSpacing((4.0, 4.0, 8.0))
    node = add_volume_from_image(context.scene, flat, "flat")
    with pytest.raises(InputError) as raised:
        logic.process(t2=node)
    assert str(raised.value).count("\n") == 0 and "constant" in str(raised.value)
    with pytest.raises(InputError, match="select a T1W or a T2W"):
        logic.process()
    with pytest.raises(InputError, match="'flat' is selected as both T1W and T2W"):
        logic.process(t1=node, t2=node)


def test_cancel_stops_the_engine(staged):
    context, logic, case = staged
    pending = logic.process(t1=case.volumes["t1"], wait=False)
    pending.job.cancel()
    assert pending.job.state == "cancelled"
    deadline = time.monotonic() + 2
    while pending.job.running and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not pending.job.running
    with pytest.raises(InputError, match="cancelled"):
        pending.complete()
