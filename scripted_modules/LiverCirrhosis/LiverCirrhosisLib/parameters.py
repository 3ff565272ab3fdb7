"""The module's typed parameter node: what the panel shows, saved with the scene (a vtkMRMLScriptedModuleNode,
as Slicer's parameterNodeWrapper stores it), readable and writable without Qt."""

from __future__ import annotations

MODULE_NAME = "LiverCirrhosis"

# name -> (type, default); node references are separate (they follow node IDs when a scene is reloaded)
PARAMETERS = {"force_cpu": (bool, False), "attention_opacity": (float, 0.5), "attention_visible": (bool, True),
              "export_folder": (str, "")}
REFERENCES = ("t1_volume", "t2_volume", "t1_segmentation", "t2_segmentation", "t1_attention", "t2_attention",
              "results_table")


class StagingParameters:
    """Typed view of the parameter node: `params.force_cpu = True`, `params.t1_volume = node`."""

    def __init__(self, node):
        object.__setattr__(self, "node", node)

    @classmethod
    def of_scene(cls, scene) -> "StagingParameters":
        """The scene's one parameter node for this module (created with defaults the first time).

        Found by its singleton tag, as Slicer's ScriptedLoadableModuleLogic.getParameterNode does: Close Scene
        keeps singleton nodes but resets them, which drops the ModuleName attribute, so that is put back rather
        than taken as a reason to add another node. A scene loaded over it (.mrb) merges into the same node.
        """
        node = scene.GetSingletonNode(MODULE_NAME, "vtkMRMLScriptedModuleNode")
        if node is None:
            node = scene.CreateNodeByClass("vtkMRMLScriptedModuleNode")
            node.UnRegister(None)   # CreateNodeByClass hands over a reference the scene takes
            node.SetName(f"{MODULE_NAME} parameters")
            node.SetSingletonTag(MODULE_NAME)
            node = scene.AddNode(node)
        if node.GetAttribute("ModuleName") != MODULE_NAME:
            node.SetAttribute("ModuleName", MODULE_NAME)
        return cls(node)

    def __getattr__(self, name):
        if name in PARAMETERS:
            kind, default = PARAMETERS[name]
            text = self.node.GetParameter(name)
            if not text:
                return default
            return text == "true" if kind is bool else kind(text)
        if name in REFERENCES:
            return self.node.GetNodeReference(name)
        raise AttributeError(name)

    def __setattr__(self, name, value):
        if name in PARAMETERS:
            kind, _ = PARAMETERS[name]
            if not isinstance(value, kind) and not (kind is float and isinstance(value, int)):
                raise TypeError(f"{name} must be {kind.__name__}, got {type(value).__name__}")
            self.node.SetParameter(name, ("true" if value else "false") if kind is bool else str(value))
        elif name in REFERENCES:
            self.node.SetNodeReferenceID(name, value.GetID() if value is not None else None)
        else:
            raise AttributeError(f"unknown parameter {name!r}")
