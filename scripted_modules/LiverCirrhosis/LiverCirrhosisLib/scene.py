"""A standalone MRML scene with the module logics Slicer would register (for tests, scripts, the web app).

Inside the Slicer application use `SceneContext.from_slicer()`: the running application's scene and logics.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class SceneContext:
    scene: object              # vtkMRMLScene
    app_logic: object          # vtkSlicerApplicationLogic (or Slicer's own)
    volumes_logic: object      # vtkSlicerVolumesLogic
    segmentations_logic: object  # vtkSlicerSegmentationsModuleLogic

    @classmethod
    def from_slicer(cls) -> "SceneContext":
        import slicer

        return cls(slicer.mrmlScene, slicer.app.applicationLogic(), slicer.modules.volumes.logic(),
                   slicer.modules.segmentations.logic())


def create_scene() -> SceneContext:
    """Scene + application, colour, volumes, segmentations and subject-hierarchy logics, as Slicer sets them up."""
    import shutil
    import tempfile
    import weakref

    from slicer import (vtkCacheManager, vtkDataIOManager, vtkMRMLColorLogic, vtkMRMLScene, vtkSlicerApplicationLogic,
                        vtkSlicerSegmentationsModuleLogic, vtkSlicerSubjectHierarchyModuleLogic, vtkSlicerVolumesLogic)
    from vtkmodules.vtkCommonCore import vtkCollection

    scene = vtkMRMLScene()
    # Reading a .mrb unpacks into the cache manager's folder, as in the application.
    cache = vtkCacheManager()
    cache_folder = tempfile.mkdtemp(prefix="LiverCirrhosis-cache-")
    cache.SetRemoteCacheDirectory(cache_folder)
    data_io = vtkDataIOManager()
    data_io.SetCacheManager(cache)
    scene.SetCacheManager(cache)
    scene.SetDataIOManager(data_io)
    app_logic = vtkSlicerApplicationLogic()
    app_logic.SetMRMLScene(scene)
    app_logic.SetSliceLogics(vtkCollection())
    app_logic.SetViewLogics(vtkCollection())
    colors = _register(app_logic, "Colors", vtkMRMLColorLogic())
    volumes = _register(app_logic, "Volumes", vtkSlicerVolumesLogic())
    segmentations = _register(app_logic, "Segmentations", vtkSlicerSegmentationsModuleLogic())
    hierarchy = _register(app_logic, "SubjectHierarchy", vtkSlicerSubjectHierarchyModuleLogic())
    context = SceneContext(scene, app_logic, volumes, segmentations)
    context._keep = (colors, hierarchy, cache, data_io)   # logics must outlive this call
    # The cache folder lives as long as the scene context (or until the interpreter exits), not forever in /tmp.
    weakref.finalize(context, shutil.rmtree, cache_folder, ignore_errors=True)
    return context


def _register(app_logic, name: str, logic):
    """A module logic on the application's scene, registered under `name` as Slicer does at start-up."""
    logic.SetMRMLApplicationLogic(app_logic)
    logic.SetMRMLScene(app_logic.GetMRMLScene())
    app_logic.SetModuleLogic(name, logic)
    return logic
