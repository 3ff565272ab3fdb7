"""Volumes, segmentations, attention overlay, results table and parameters on real MRML (no engine run)."""

from __future__ import annotations

import numpy as np
import pytest
import SimpleITK as sitk

from CirrhosisStaging.data.labels import LIVER, SPLEEN
from CirrhosisStaging.io import read_image, read_mask


def test_volume_round_trip_keeps_the_exact_grid(context, phantom_files, tmp_path):
    from LiverCirrhosisLib.volume_io import image_from_volume_node, load_volume, write_volume_node

    original = read_image(phantom_files["t2"])
    node = load_volume(context, phantom_files["t2"])
    assert node.GetScene() is context.scene
    back = image_from_volume_node(node)
    assert back.GetSize() == original.GetSize()
    assert np.allclose(back.GetSpacing(), original.GetSpacing())
    assert np.allclose(back.GetOrigin(), original.GetOrigin(), atol=1e-4)
    assert np.allclose(back.GetDirection(), original.GetDirection(), atol=1e-6)
    assert np.array_equal(sitk.GetArrayViewFromImage(back), sitk.GetArrayViewFromImage(original))
    written = read_image(write_volume_node(node, tmp_path / "again.nii.gz"))
    assert np.array_equal(sitk.GetArrayViewFromImage(written), sitk.GetArrayViewFromImage(original))


def test_missing_volume_file_is_a_one_line_error(context, tmp_path):
    from LiverCirrhosisLib.volume_io import load_volume

    from CirrhosisStaging.errors import InputError

    with pytest.raises(InputError, match="not found"):
        load_volume(context, tmp_path / "nope.nii.gz")


def test_segmentation_node_terminology_geometry_study_and_edit(context, phantom_files):
    from LiverCirrhosisLib.segmentation_nodes import (labels_from_segmentation, replace_segment_voxels, segment_array,
                                                      segment_id_for, segment_tag, segmentation_from_labels)
    from LiverCirrhosisLib.volume_io import load_volume
    from slicer import vtkMRMLSubjectHierarchyNode

    volume = load_volume(context, phantom_files["t1"])
    hierarchy = vtkMRMLSubjectHierarchyNode.GetSubjectHierarchyNode(context.scene)
    study = hierarchy.CreateStudyItem(hierarchy.CreateSubjectItem(hierarchy.GetSceneItemID(), "anonymous"), "MR")
    hierarchy.CreateItem(study, volume)
    truth = read_mask(phantom_files["t1_mask"])
    segmentation = segmentation_from_labels(context, truth, volume)

    liver_id, spleen_id = segment_id_for(segmentation, LIVER), segment_id_for(segmentation, SPLEEN)
    liver = segmentation.GetSegmentation().GetSegment(liver_id)
    assert "SCT^10200004^Liver" in segment_tag(liver, "TerminologyEntry")
    spleen = segmentation.GetSegmentation().GetSegment(spleen_id)
    assert "SCT^78961009^Spleen" in segment_tag(spleen, "TerminologyEntry")
    assert np.allclose(liver.GetColor(), (221 / 255, 130 / 255, 101 / 255), atol=1e-3)
    assert segmentation.GetNodeReference("referenceImageGeometryRef") is volume
    assert hierarchy.GetItemParent(hierarchy.GetItemByDataNode(segmentation)) == study

    labels = labels_from_segmentation(segmentation, volume)
    expected = sitk.GetArrayViewFromImage(truth)
    got = sitk.GetArrayViewFromImage(labels)
    assert labels.GetSize() == truth.GetSize()
    assert np.array_equal(got == LIVER, expected == LIVER) and np.array_equal(got == SPLEEN, expected == SPLEEN)

    # An annotator's edit through the segmentation API (what the Segment Editor's Erase does): clear 3 slices.
    edited = segment_array(segmentation, liver_id, volume)
    slices = np.nonzero(edited.any(axis=(1, 2)))[0][:3]
    edited[slices] = 0
    replace_segment_voxels(segmentation, liver_id, edited, volume)
    after = sitk.GetArrayFromImage(labels_from_segmentation(segmentation, volume))  # a copy: the image is a temporary
    assert (after == LIVER).sum() == (expected == LIVER).sum() - (expected[slices] == LIVER).sum()


def test_attention_overlay_is_transparent_below_threshold_and_in_every_view(context, phantom_files):
    from LiverCirrhosisLib.attention_overlay import TRANSPARENT_BELOW, add_attention_volume, show_overlay
    from LiverCirrhosisLib.volume_io import image_from_volume_node, load_volume

    volume = load_volume(context, phantom_files["t2"])
    reference = read_image(phantom_files["t2"])
    ramp = np.linspace(0, 1, int(np.prod(reference.GetSize())), dtype=np.float32).reshape(
        sitk.GetArrayViewFromImage(reference).shape)
    attention = sitk.GetImageFromArray(ramp)
    attention.CopyInformation(reference)
    node = add_attention_volume(context, attention, volume)
    assert image_from_volume_node(node).GetSize() == reference.GetSize()
    table = node.GetDisplayNode().GetColorNode()
    rgba = [0.0] * 4
    table.GetColor(0, rgba)
    assert rgba[3] == 0.0
    table.GetColor(table.GetNumberOfColors() - 1, rgba)
    assert rgba[3] == 1.0 and rgba[0] > rgba[2]
    table.GetColor(int(TRANSPARENT_BELOW * table.GetNumberOfColors()) + 2, rgba)
    assert rgba[3] > 0
    for name in ("Red", "Yellow", "Green"):
        composite = context.scene.AddNewNodeByClass("vtkMRMLSliceCompositeNode")
        composite.SetLayoutName(name)
    assert show_overlay(context.scene, volume, node, opacity=0.7) == 3
    composite = context.scene.GetNodesByClass("vtkMRMLSliceCompositeNode").GetItemAsObject(0)
    assert composite.GetForegroundVolumeID() == node.GetID() and composite.GetForegroundOpacity() == pytest.approx(0.7)
    show_overlay(context.scene, volume, node, opacity=0.7, visible=False)
    assert composite.GetForegroundOpacity() == 0.0


def test_results_table_shows_what_changed(context):
    from LiverCirrhosisLib.results_table import fill_results_table

    before = {"stage": "moderate", "probabilities": {"mild": 0.2, "moderate": 0.5, "severe": 0.3},
              "biomarkers": {"liver_volume_ml": 1500.0, "splenomegaly": False}, "demonstration_only": True,
              "notice": "Demonstration only: simulated data"}
    after = {**before, "stage": "severe", "probabilities": {"mild": 0.1, "moderate": 0.3, "severe": 0.6},
             "biomarkers": {"liver_volume_ml": 1400.0, "splenomegaly": True}}
    node = fill_results_table(context.scene, after, before)
    table = node.GetTable()
    rows = {table.GetValue(r, 0).ToString(): [table.GetValue(r, c).ToString() for c in range(5)]
            for r in range(table.GetNumberOfRows())}
    assert rows["Stage"][1:4] == ["severe", "moderate", "moderate -> severe"]
    assert rows["Liver volume"][3] == "-100.00"
    assert rows["Splenomegaly"][3] == "no -> yes"
    assert "simulated" in rows["Notice"][1]
    assert node.GetAttribute("LiverCirrhosis.DemonstrationOnly") == "True"


def test_typed_parameter_node_survives_in_the_scene(context, phantom_files):
    from LiverCirrhosisLib.parameters import StagingParameters
    from LiverCirrhosisLib.volume_io import load_volume

    parameters = StagingParameters.of_scene(context.scene)
    assert parameters.force_cpu is False and parameters.attention_opacity == 0.5
    parameters.force_cpu = True
    parameters.attention_opacity = 0.25
    volume = load_volume(context, phantom_files["t1"])
    parameters.t1_volume = volume
    again = StagingParameters.of_scene(context.scene)
    assert again.force_cpu is True and again.attention_opacity == 0.25 and again.t1_volume is volume
    assert again.t2_volume is None
    with pytest.raises(TypeError):
        again.force_cpu = "yes"
    with pytest.raises(AttributeError):
        again.unknown = 1


def test_one_parameter_node_across_close_scene_and_mrb_reload(context, phantom_files, tmp_path):
    from LiverCirrhosisLib.export import save_scene_bundle
    from LiverCirrhosisLib.parameters import MODULE_NAME, StagingParameters
    from LiverCirrhosisLib.volume_io import load_volume

    scene = context.scene

    def parameter_nodes():
        nodes = [scene.GetNthNodeByClass(i, "vtkMRMLScriptedModuleNode")
                 for i in range(scene.GetNumberOfNodesByClass("vtkMRMLScriptedModuleNode"))]
        return [n for n in nodes if n.GetSingletonTag() == MODULE_NAME or n.GetAttribute("ModuleName") == MODULE_NAME]

    parameters = StagingParameters.of_scene(scene)
    parameters.force_cpu, parameters.attention_opacity = True, 0.3
    parameters.t1_volume = load_volume(context, phantom_files["t1"])
    parameters.t2_volume = load_volume(context, phantom_files["t2"])
    names = (parameters.t1_volume.GetName(), parameters.t2_volume.GetName())
    bundle = save_scene_bundle(scene, tmp_path / "scene.mrb")

    for _ in range(3):   # Close Scene, as often as a user likes
        scene.Clear(0)
        fresh = StagingParameters.of_scene(scene)
        assert len(parameter_nodes()) == 1 and fresh.node.GetAttribute("ModuleName") == MODULE_NAME
        assert fresh.force_cpu is False and fresh.attention_opacity == 0.5 and fresh.t1_volume is None

    assert scene.ReadFromMRB(str(bundle))   # .mrb loaded over the kept singleton: merged, not duplicated
    restored = StagingParameters.of_scene(scene)
    assert len(parameter_nodes()) == 1
    assert restored.force_cpu is True and restored.attention_opacity == 0.3
    assert (restored.t1_volume.GetName(), restored.t2_volume.GetName()) == names
    assert restored.t1_volume.GetImageData() is not None and restored.t1_volume.GetScene() is scene

