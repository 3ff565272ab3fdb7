"""Segmentation nodes for the engine's label maps: standard terminology, reference geometry, the study folder,
and the way back (the edited segments as a label map on a volume's grid, for re-staging)."""

from __future__ import annotations

import numpy as np
import SimpleITK as sitk

from CirrhosisStaging.data.labels import LIVER, SPLEEN
from CirrhosisStaging.export.terminology import STANDARD_SEGMENTS

from .volume_io import add_volume_from_image, image_from_volume_node, voxel_array

STAGED_LABELS = (LIVER, SPLEEN)
SOURCE_VOLUME_REFERENCE = "LiverCirrhosis.SourceVolume"


def segmentation_from_labels(context, labels: sitk.Image, volume_node, name: str | None = None):
    """A new segmentation node holding the liver (and spleen, if present) of `labels` (on the volume's grid):
    SNOMED terminology and colours, reference geometry from the volume, filed beside it in its study."""
    scene = context.scene
    segmentation_node = scene.AddNewNodeByClass("vtkMRMLSegmentationNode",
                                                name or f"{volume_node.GetName()} liver segmentation")
    segmentation_node.CreateDefaultDisplayNodes()
    array = sitk.GetArrayViewFromImage(labels)
    for value in STAGED_LABELS:
        if not (array == value).any():
            continue
        definition = STANDARD_SEGMENTS[value]
        organ = sitk.Cast(labels == value, sitk.sitkUInt8)
        labelmap = add_volume_from_image(scene, organ, f"_{definition.id}", "vtkMRMLLabelMapVolumeNode")
        before = segmentation_node.GetSegmentation().GetNumberOfSegments()
        context.segmentations_logic.ImportLabelmapToSegmentationNode(labelmap, segmentation_node)
        scene.RemoveNode(labelmap.GetDisplayNode())
        scene.RemoveNode(labelmap)
        segmentation = segmentation_node.GetSegmentation()
        segment_id = segmentation.GetNthSegmentID(before)
        segment = segmentation.GetSegment(segment_id)
        segment.SetName(definition.name)
        segment.SetColor(*definition.color_rgb)
        segment.SetTag("TerminologyEntry", definition.terminology_entry())
    attach_to_volume(scene, segmentation_node, volume_node)
    return segmentation_node


def attach_to_volume(scene, segmentation_node, volume_node) -> None:
    """Reference geometry from the volume, a reference back to it, and filed beside it in its study."""
    segmentation_node.SetReferenceImageGeometryParameterFromVolumeNode(volume_node)
    segmentation_node.SetNodeReferenceID(SOURCE_VOLUME_REFERENCE, volume_node.GetID())
    file_under_study(scene, segmentation_node, volume_node)


def segment_id_for(segmentation_node, label_value: int) -> str | None:
    """The segment holding `label_value`'s organ, found by its SNOMED code (names can be edited by users)."""
    code = STANDARD_SEGMENTS[label_value].type.value
    segmentation = segmentation_node.GetSegmentation()
    for index in range(segmentation.GetNumberOfSegments()):
        segment_id = segmentation.GetNthSegmentID(index)
        entry = segment_tag(segmentation.GetSegment(segment_id), "TerminologyEntry")
        if f"^{code}^" in entry:
            return segment_id
    return None


def segment_tag(segment, name: str) -> str:
    """A segment tag's value ('' if absent); VTK returns it through an output argument."""
    import vtk

    value = vtk.reference("")
    return str(value) if segment.GetTag(name, value) else ""


def labels_from_segmentation(segmentation_node, volume_node) -> sitk.Image:
    """The liver (1) and spleen (4) segments as a uint8 label map on exactly the volume's grid."""
    from CirrhosisStaging.errors import InputError

    reference = image_from_volume_node(volume_node)
    labels = np.zeros(sitk.GetArrayViewFromImage(reference).shape, np.uint8)
    for value in (SPLEEN, LIVER):   # liver last: it wins where an edit made them overlap
        segment_id = segment_id_for(segmentation_node, value)
        if segment_id is not None:
            labels[segment_array(segmentation_node, segment_id, volume_node) > 0] = value
    if not (labels == LIVER).any():
        raise InputError(segmentation_node.GetName(), "the segmentation has no liver voxels on this volume")
    result = sitk.GetImageFromArray(labels)
    result.CopyInformation(reference)
    return result


def segment_array(segmentation_node, segment_id, volume_node) -> np.ndarray:
    """One segment as a binary (z, y, x) array on the volume's grid."""
    from slicer import vtkSlicerSegmentationsModuleLogic
    from vtkmodules.vtkCommonCore import vtkStringArray

    scene = volume_node.GetScene()
    labelmap = scene.AddNewNodeByClass("vtkMRMLLabelMapVolumeNode", "_export")
    try:
        ids = vtkStringArray()
        ids.InsertNextValue(segment_id)
        if not vtkSlicerSegmentationsModuleLogic.ExportSegmentsToLabelmapNode(segmentation_node, ids, labelmap,
                                                                              volume_node):
            raise RuntimeError(f"could not export segment {segment_id}")
        return voxel_array(labelmap)
    finally:
        scene.RemoveNode(labelmap)


def replace_segment_voxels(segmentation_node, segment_id, array: np.ndarray, volume_node) -> None:
    """Set one segment to a binary (z, y, x) array on the volume's grid: a scripted edit, as the Segment
    Editor's effects do (Slicer's own undo covers edits made in the editor)."""
    from slicer import vtkSlicerSegmentationsModuleLogic
    from vtkmodules.vtkCommonCore import vtkStringArray

    reference = image_from_volume_node(volume_node)
    image = sitk.GetImageFromArray((np.asarray(array) > 0).astype(np.uint8))
    image.CopyInformation(reference)
    scene = volume_node.GetScene()
    labelmap = add_volume_from_image(scene, image, "_edit", "vtkMRMLLabelMapVolumeNode")
    try:
        ids = vtkStringArray()
        ids.InsertNextValue(segment_id)
        if not vtkSlicerSegmentationsModuleLogic.ImportLabelmapToSegmentationNode(labelmap, segmentation_node, ids):
            raise RuntimeError(f"could not update segment {segment_id}")
    finally:
        scene.RemoveNode(labelmap.GetDisplayNode())
        scene.RemoveNode(labelmap)


def file_under_study(scene, node, volume_node) -> None:
    """Put `node` in the same subject-hierarchy folder (study) as the volume it was made from."""
    from slicer import vtkMRMLSubjectHierarchyNode

    hierarchy = vtkMRMLSubjectHierarchyNode.GetSubjectHierarchyNode(scene)
    if hierarchy is None:
        return
    parent = hierarchy.GetItemParent(_item(hierarchy, volume_node))
    hierarchy.SetItemParent(_item(hierarchy, node), parent or hierarchy.GetSceneItemID())


def _item(hierarchy, node) -> int:
    """The node's subject-hierarchy item; created if missing (Slicer's GUI plugins create them, MRML alone not)."""
    item = hierarchy.GetItemByDataNode(node)
    return item or hierarchy.CreateItem(hierarchy.GetSceneItemID(), node)
