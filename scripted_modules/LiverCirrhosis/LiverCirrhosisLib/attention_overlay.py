"""The Grad-CAM attention map as a slice-view overlay: a volume node shown as foreground through a colour table
whose low values are transparent, so the anatomy stays visible where the model did not look."""

from __future__ import annotations

import SimpleITK as sitk

from .input_volumes import ATTENTION_ROLE, ROLE_ATTRIBUTE
from .volume_io import add_volume_from_image

COLOR_TABLE_NAME = "LiverCirrhosis attention"
TRANSPARENT_BELOW = 0.2     # attention under this fraction of the peak is not drawn
TABLE_SIZE = 256


def attention_color_table(scene):
    """A hot colour map (dark red -> yellow) with alpha 0 below TRANSPARENT_BELOW; created once per scene."""
    existing = scene.GetFirstNodeByName(COLOR_TABLE_NAME)
    if existing is not None:
        return existing
    table = scene.AddNewNodeByClass("vtkMRMLColorTableNode", COLOR_TABLE_NAME)
    table.SetTypeToUser()
    table.SetNumberOfColors(TABLE_SIZE)
    table.GetLookupTable().SetRange(0.0, 1.0)
    for index in range(TABLE_SIZE):
        value = index / (TABLE_SIZE - 1)
        alpha = 0.0 if value < TRANSPARENT_BELOW else min(1.0, 0.4 + value)
        red, green, blue = min(1.0, 0.5 + value), max(0.0, min(1.0, 2 * value - 0.6)), 0.0
        table.SetColor(index, f"{index}", red, green, blue, alpha)
    return table


def add_attention_volume(context, attention: sitk.Image, source_volume, name: str | None = None):
    """Attention (float in [0, 1], on the source volume's grid) as a volume node with the attention colours,
    window 0..1 so a value means the same thing on every case."""
    from .segmentation_nodes import file_under_study

    node = add_volume_from_image(context.scene, sitk.Cast(attention, sitk.sitkFloat32),
                                 name or f"{source_volume.GetName()} attention")
    node.SetAttribute(ROLE_ATTRIBUTE, ATTENTION_ROLE)
    display = node.GetDisplayNode()
    display.SetAndObserveColorNodeID(attention_color_table(context.scene).GetID())
    display.AutoWindowLevelOff()
    display.SetWindowLevelMinMax(0.0, 1.0)
    display.SetApplyThreshold(False)   # thresholding would hide the map: transparency comes from the table
    file_under_study(context.scene, node, source_volume)
    return node


def show_overlay(scene, background_volume, attention_volume, opacity: float = 0.5, visible: bool = True) -> int:
    """Background + attention foreground in every slice view; returns how many views were set."""
    composites = scene.GetNodesByClass("vtkMRMLSliceCompositeNode")
    count = 0
    for index in range(composites.GetNumberOfItems()):
        composite = composites.GetItemAsObject(index)
        composite.SetBackgroundVolumeID(background_volume.GetID() if background_volume else None)
        composite.SetForegroundVolumeID(attention_volume.GetID() if attention_volume else None)
        composite.SetForegroundOpacity(float(opacity) if visible else 0.0)
        count += 1
    return count
