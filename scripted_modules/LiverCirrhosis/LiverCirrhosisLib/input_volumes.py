"""Which volumes the panel offers as T1W/T2W inputs: scalar MR volumes, not label maps (the combo boxes hide
that class) and not the attention maps this module made, which are scalar volumes too. Light on imports: the
panel uses it before the engine's packages are installed."""

from __future__ import annotations

# Set on the attention maps this module adds; saved with the scene, so a reloaded map is still not an input.
ROLE_ATTRIBUTE, ATTENTION_ROLE = "LiverCirrhosis.Role", "attention"


def is_input_volume(node) -> bool:
    return (node is not None and node.IsA("vtkMRMLScalarVolumeNode") and not node.IsA("vtkMRMLLabelMapVolumeNode")
            and node.GetAttribute(ROLE_ATTRIBUTE) != ATTENTION_ROLE)


def hidden_volume_ids(scene) -> list[str]:
    """IDs of the scalar volumes in `scene` that are not inputs (for the selectors' hiddenNodeIDs)."""
    nodes = scene.GetNodesByClass("vtkMRMLScalarVolumeNode")
    hidden = []
    for index in range(nodes.GetNumberOfItems()):
        node = nodes.GetItemAsObject(index)
        if not is_input_volume(node):
            hidden.append(node.GetID())
    return hidden
