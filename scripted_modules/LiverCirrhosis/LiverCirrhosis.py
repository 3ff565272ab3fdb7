"""Cirrhosis Staging: the Slicer panel. A thin Widget over LiverCirrhosisLib (all the work, Qt-free, on MRML);
the models run in a separate process (the engine's command line), so the GUI never blocks.

Module name "LiverCirrhosis": it must not clash with the engine package "CirrhosisStaging" on Slicer's path.
"""

import os
import sys
import traceback

import ctk  # noqa: F401 (loads the CTK widgets the .ui uses)
import qt
import slicer
import vtk
from slicer.ScriptedLoadableModule import (ScriptedLoadableModule, ScriptedLoadableModuleLogic,
                                           ScriptedLoadableModuleTest, ScriptedLoadableModuleWidget)
from slicer.util import VTKObservationMixin


def _ensure_engine_importable():
    """Built or installed, the engine package `CirrhosisStaging` sits beside this file in qt-scripted-modules/,
    which Slicer puts on sys.path. From a source checkout (this folder added as an additional module path) it is
    the checkout's root, recognised by the engine package and its model manifest being there."""
    import importlib.util

    if importlib.util.find_spec("CirrhosisStaging") is not None:
        return
    checkout = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    if (os.path.isfile(os.path.join(checkout, "CirrhosisStaging", "__init__.py"))
            and os.path.isfile(os.path.join(checkout, "Resources", "Models", "manifest.json"))):
        sys.path.append(checkout)


_ensure_engine_importable()


class LiverCirrhosis(ScriptedLoadableModule):
    def __init__(self, parent):
        ScriptedLoadableModule.__init__(self, parent)
        self.parent.title = "Cirrhosis Staging"
        self.parent.categories = ["Segmentation"]
        self.parent.dependencies = []
        self.parent.contributors = ["CirrhosisStaging developers"]
        self.parent.helpText = (
            "Segment the liver and spleen on abdominal T1W/T2W MRI, stage cirrhosis (no cirrhosis / mild / moderate / "
            "severe) with probabilities, biomarkers and a Grad-CAM attention overlay, correct the liver mask in the "
            "Segment Editor and re-stage. The shipped staging weights are a demonstration trained on simulated "
            "data: not a diagnosis. Needs Slicer 5.10 or newer.")
        self.parent.acknowledgementText = (
            "Segmentation weights trained on CHAOS MRI, licensed CC BY-NC-SA 4.0 (non-commercial, share alike). "
            "Code: Apache-2.0. Built on 3D Slicer, MONAI and SimpleITK.")
        slicer.app.connect("startupCompleted()", _register_sample_data)


def _register_sample_data():
    import SampleData
    from LiverCirrhosisLib.sample_data import category, samples

    for sample in samples():
        SampleData.SampleDataLogic.registerCustomSampleDataSource(
            category=category(), sampleName=sample.name, uris=sample.uri, fileNames=sample.path.name,
            nodeNames=sample.node_name, checksums=sample.checksum, loadFileType="VolumeFile",
            thumbnailFileName=os.path.join(os.path.dirname(__file__), "Resources", "Icons", "LiverCirrhosis.png"))


class LiverCirrhosisWidget(ScriptedLoadableModuleWidget, VTKObservationMixin):
    """Parameter node handling as in Slicer's scripted module template: the GUI shows the scene's one parameter
    node, every GUI change writes all of its values back at once, and nothing is written while the GUI is being
    updated from the node (so restoring T1 cannot clear T2)."""

    def __init__(self, parent=None):
        ScriptedLoadableModuleWidget.__init__(self, parent)
        VTKObservationMixin.__init__(self)
        self.logic = None
        self.case = None
        self.pending = None
        self.pendingKind = None
        self._parameterNode = None
        self._updatingGUIFromParameterNode = False
        self.timer = qt.QTimer()
        self.timer.setInterval(300)
        self.timer.timeout.connect(self.onPoll)

    def setup(self):
        ScriptedLoadableModuleWidget.setup(self)
        uiWidget = slicer.util.loadUI(self.resourcePath("UI/LiverCirrhosis.ui"))
        self.layout.addWidget(uiWidget)
        self.ui = slicer.util.childWidgetVariables(uiWidget)
        uiWidget.setMRMLScene(slicer.mrmlScene)

        self.editor = slicer.qMRMLSegmentEditorWidget()
        self.editor.setMaximumNumberOfUndoStates(10)
        self._selectSegmentEditorNode()   # before the scene, so its automatic selections are kept
        self.editor.setMRMLScene(slicer.mrmlScene)
        self.ui.editorCollapsibleButton.layout().addWidget(self.editor)

        self.logic = LiverCirrhosisLogic()
        self.ui.segmentButton.clicked.connect(self.onSegment)
        self.ui.stageButton.clicked.connect(self.onStage)
        self.ui.restageButton.clicked.connect(self.onRestage)
        self.ui.cancelButton.clicked.connect(self.onCancel)
        self.ui.exportButton.clicked.connect(self.onExport)
        self.ui.t1VolumeSelector.currentNodeChanged.connect(self.updateParameterNodeFromGUI)
        self.ui.t2VolumeSelector.currentNodeChanged.connect(self.updateParameterNodeFromGUI)
        self.ui.forceCpuCheckBox.toggled.connect(self.updateParameterNodeFromGUI)
        self.ui.attentionOpacitySlider.valueChanged.connect(self.updateParameterNodeFromGUI)
        self.ui.attentionVisibleCheckBox.toggled.connect(self.updateParameterNodeFromGUI)

        self.addObserver(slicer.mrmlScene, slicer.mrmlScene.StartCloseEvent, self.onSceneStartClose)
        self.addObserver(slicer.mrmlScene, slicer.mrmlScene.EndCloseEvent, self.onSceneEndClose)
        self.addObserver(slicer.mrmlScene, slicer.mrmlScene.EndImportEvent, self.onSceneEndImport)
        self.addObserver(slicer.mrmlScene, slicer.mrmlScene.NodeAddedEvent, self.onNodeAdded)
        self.initializeParameterNode()
        self.updateInputFilter()

    def cleanup(self):
        self.timer.stop()
        if self.pending is not None:
            self.pending.job.cancel()
            self.pending = None
        self.removeObservers()
        self._parameterNode = None

    def enter(self):
        self.initializeParameterNode()
        self._selectSegmentEditorNode()
        self.editor.installKeyboardShortcuts()
        self.editor.updateWidgetFromMRML()

    def exit(self):
        # An active effect (Paint, Scissors...) must not keep drawing in the views once the module is left.
        self.editor.setActiveEffect(None)
        self.editor.uninstallKeyboardShortcuts()
        self.editor.removeViewObservations()
        self.setParameterNode(None)

    # -- scene events ----------------------------------------------------------------------------------------

    def onSceneStartClose(self, caller, event):
        if self.pending is not None:   # results of a run cannot land in the next scene
            self.timer.stop()
            self.pending.job.cancel()
            self.pending = None
        self.case = None
        self.setParameterNode(None)
        self.editor.setSegmentationNode(None)
        self.editor.removeViewObservations()

    def onSceneEndClose(self, caller, event):
        self._resync()

    def onSceneEndImport(self, caller, event):
        self._resync()
        self.updateInputFilter()

    def _resync(self):
        if self.parent.isEntered:
            self.initializeParameterNode()
            self._selectSegmentEditorNode()
            self.editor.updateWidgetFromMRML()
        self.updateButtons()

    def onNodeAdded(self, caller, event):
        if not slicer.mrmlScene.IsImporting():   # a scene being loaded is handled once, at EndImport
            self.updateInputFilter()

    def updateInputFilter(self):
        """Label maps are hidden by class (the .ui); attention maps, scalar volumes too, by ID."""
        from LiverCirrhosisLib.input_volumes import hidden_volume_ids

        hidden = hidden_volume_ids(slicer.mrmlScene)
        for selector in (self.ui.t1VolumeSelector, self.ui.t2VolumeSelector):
            selector.sortFilterProxyModel().hiddenNodeIDs = hidden

    # -- parameter node --------------------------------------------------------------------------------------

    def initializeParameterNode(self):
        from LiverCirrhosisLib.parameters import StagingParameters

        self.setParameterNode(StagingParameters.of_scene(slicer.mrmlScene).node)

    def setParameterNode(self, node):
        if self._parameterNode is not None:
            self.removeObserver(self._parameterNode, vtk.vtkCommand.ModifiedEvent, self.updateGUIFromParameterNode)
        self._parameterNode = node
        if node is not None:
            self.addObserver(node, vtk.vtkCommand.ModifiedEvent, self.updateGUIFromParameterNode)
        self.updateGUIFromParameterNode()

    def updateGUIFromParameterNode(self, caller=None, event=None):
        from LiverCirrhosisLib.parameters import StagingParameters

        if self._parameterNode is None or self._updatingGUIFromParameterNode:
            return
        self._updatingGUIFromParameterNode = True
        try:
            parameters = StagingParameters(self._parameterNode)
            self.ui.t1VolumeSelector.setCurrentNode(parameters.t1_volume)
            self.ui.t2VolumeSelector.setCurrentNode(parameters.t2_volume)
            self.ui.forceCpuCheckBox.checked = parameters.force_cpu
            self.ui.attentionOpacitySlider.value = parameters.attention_opacity
            self.ui.attentionVisibleCheckBox.checked = parameters.attention_visible
        finally:
            self._updatingGUIFromParameterNode = False
        self.updateButtons()
        self.showAttention()

    def updateParameterNodeFromGUI(self, *_):
        from LiverCirrhosisLib.parameters import StagingParameters

        if self._parameterNode is None or self._updatingGUIFromParameterNode:
            return
        wasModified = self._parameterNode.StartModify()   # one Modified event for all values
        parameters = StagingParameters(self._parameterNode)
        parameters.t1_volume = self.ui.t1VolumeSelector.currentNode()
        parameters.t2_volume = self.ui.t2VolumeSelector.currentNode()
        parameters.force_cpu = bool(self.ui.forceCpuCheckBox.checked)
        parameters.attention_opacity = float(self.ui.attentionOpacitySlider.value)
        parameters.attention_visible = bool(self.ui.attentionVisibleCheckBox.checked)
        self._parameterNode.EndModify(wasModified)

    def _selectSegmentEditorNode(self):
        node = slicer.mrmlScene.GetSingletonNode("LiverCirrhosis", "vtkMRMLSegmentEditorNode")
        if node is None:
            node = slicer.mrmlScene.CreateNodeByClass("vtkMRMLSegmentEditorNode")
            node.UnRegister(None)
            node.SetSingletonTag("LiverCirrhosis")
            node = slicer.mrmlScene.AddNode(node)
        if self.editor.mrmlSegmentEditorNode() is not node:
            self.editor.setMRMLSegmentEditorNode(node)

    def _volumes(self):
        return {"t1": self.ui.t1VolumeSelector.currentNode(), "t2": self.ui.t2VolumeSelector.currentNode()}

    def updateButtons(self, *_):
        busy = self.pending is not None
        anyVolume = any(self._volumes().values())
        self.ui.segmentButton.enabled = anyVolume and not busy
        self.ui.stageButton.enabled = anyVolume and not busy
        self.ui.restageButton.enabled = self.case is not None and not busy
        self.ui.exportButton.enabled = self.case is not None and not busy
        self.ui.cancelButton.enabled = busy

    # -- actions ---------------------------------------------------------------------------------------------

    def onSegment(self):
        volumes = self._volumes()
        sequence = "t1" if volumes["t1"] else "t2"
        self._start("segment", lambda: self.logic.lib().segment(volumes[sequence], wait=False, sequence=sequence,
                                                                force_cpu=self.ui.forceCpuCheckBox.checked))

    def onStage(self):
        volumes = self._volumes()

        def launch():
            segmentations = {s: self.logic.segmentationFor(v) for s, v in volumes.items() if v is not None}
            return self.logic.lib().process(t1=volumes["t1"], t2=volumes["t2"], segmentations=segmentations,
                                            previous=self.case, wait=False, force_cpu=self.ui.forceCpuCheckBox.checked)

        self._start("stage", launch)

    def onRestage(self):
        if self.case is None:
            return
        case = self.case
        self._start("stage", lambda: self.logic.lib().process(
            t1=case.volumes.get("t1"), t2=case.volumes.get("t2"), segmentations=case.segmentations,
            previous=case, wait=False, force_cpu=self.ui.forceCpuCheckBox.checked))

    def onCancel(self):
        if self.pending is not None:
            self.pending.job.cancel()   # returns at once; onPoll frees the buttons when the processes are gone
            self.ui.statusLabel.text = f"{self.pendingKind}: cancelling"

    def _start(self, kind, launch):
        try:
            if not self.logic.ensureDependencies():
                return
            pending = launch()
        except Exception as error:
            self._showError(f"Could not start {kind}", error)
            self.updateButtons()
            return
        self.pending, self.pendingKind = pending, kind
        self.ui.progressBar.value = 0
        self.ui.statusLabel.text = f"{kind}: starting"
        self.timer.start()
        self.updateButtons()

    def onPoll(self):
        from LiverCirrhosisLib.segmentation_nodes import SOURCE_VOLUME_REFERENCE

        pending, kind = self.pending, self.pendingKind
        if pending is None:
            self.timer.stop()
            return
        try:
            self.ui.progressBar.value = int(100 * pending.progress())
            if pending.job.state != "cancelled":
                self.ui.statusLabel.text = f"{kind}: {pending.job.state}"
            if pending.job.running:
                return
            self.timer.stop()
            self.pending = None
            outcome = pending.complete()
            if kind == "segment":
                self.editor.setSegmentationNode(outcome)
                self.editor.setSourceVolumeNode(outcome.GetNodeReference(SOURCE_VOLUME_REFERENCE)
                                                or self._volumes()["t1"] or self._volumes()["t2"])
                self.ui.statusLabel.text = "Segmented: correct the liver in the editor below if needed, then Stage."
                self.ui.progressBar.value = 100
            else:
                self.case = outcome
                self._showCase()
        except Exception as error:
            self.timer.stop()
            self.pending = None
            self._showError(f"{kind} did not finish", error)
        finally:
            self.updateButtons()   # whatever happened, the buttons are usable again once the run is over

    def _showError(self, what, error):
        from CirrhosisStaging.errors import InputError

        if isinstance(error, InputError) and str(error) == "cancelled":
            self.ui.statusLabel.text = "Cancelled."
            return
        self.ui.statusLabel.text = f"{what}: {error}"
        # Input problems are one line for the user; anything else also carries the traceback, folded away.
        details = {} if isinstance(error, InputError) else {"detailedText": traceback.format_exc()}
        slicer.util.errorDisplay(f"{what}: {error}", **details)

    def _showCase(self):
        from LiverCirrhosisLib.parameters import StagingParameters
        from LiverCirrhosisLib.result_warnings import result_warnings
        from LiverCirrhosisLib.results_table import stage_summary

        result = self.case.result
        self.ui.stageLabel.text = stage_summary(result)
        warnings = result_warnings(result)
        self.ui.warningsLabel.text = "\n".join(warnings)
        self.ui.warningsLabel.visible = bool(warnings)
        self.ui.demonstrationNoticeLabel.visible = bool(result.get("demonstration_only"))
        self.ui.demonstrationNoticeLabel.text = result.get("notice") or ""
        self.ui.resultsTableView.setMRMLTableNode(self.case.results_table)
        parameters = StagingParameters.of_scene(slicer.mrmlScene)
        wasModified = parameters.node.StartModify()
        parameters.results_table = self.case.results_table
        for sequence in ("t1", "t2"):
            setattr(parameters, f"{sequence}_segmentation", self.case.segmentations.get(sequence))
            setattr(parameters, f"{sequence}_attention", self.case.attention.get(sequence))
        parameters.node.EndModify(wasModified)
        first = next(iter(self.case.segmentations))
        self.editor.setSegmentationNode(self.case.segmentations[first])
        self.editor.setSourceVolumeNode(self.case.volumes[first])
        self.updateInputFilter()
        self.showAttention()
        self.ui.progressBar.value = 100
        self.ui.statusLabel.text = ("Re-staged: the table shows what changed." if self.case.previous_result
                                    else "Staged.")

    def showAttention(self):
        if self.case is None or not self.case.attention or self._parameterNode is None:
            return
        from LiverCirrhosisLib.attention_overlay import show_overlay
        from LiverCirrhosisLib.parameters import StagingParameters

        parameters = StagingParameters(self._parameterNode)
        sequence = next(iter(self.case.attention))
        show_overlay(slicer.mrmlScene, self.case.volumes[sequence], self.case.attention[sequence],
                     parameters.attention_opacity, parameters.attention_visible)

    def onExport(self):
        from CirrhosisStaging.errors import InputError
        from LiverCirrhosisLib.export import export_case

        folder = self.ui.exportFolderButton.directory
        include_scene = self.ui.exportSceneCheckBox.checked
        try:
            try:
                written = export_case(self.case, folder, include_scene=include_scene)
            except InputError as error:
                if "already exists" not in str(error) or not slicer.util.confirmYesNoDisplay(
                        f"{error}\nOverwrite the existing files?"):
                    raise
                written = export_case(self.case, folder, overwrite=True, include_scene=include_scene)
        except Exception as error:
            self._showError("Export failed", error)
            return
        self.ui.statusLabel.text = "Exported: " + ", ".join(sorted(written))


class LiverCirrhosisLogic(ScriptedLoadableModuleLogic):
    """Slicer-side wrapper: the application's scene, PythonSlicer for the engine, dependencies with consent."""

    def __init__(self):
        ScriptedLoadableModuleLogic.__init__(self)
        self._lib = None

    def lib(self):
        import shutil

        from LiverCirrhosisLib import CirrhosisStagingLogic, SceneContext

        if self._lib is None:
            python = shutil.which("PythonSlicer") or sys.executable
            self._lib = CirrhosisStagingLogic(SceneContext.from_slicer(), python_executable=python)
        return self._lib

    def process(self, t1=None, t2=None, segmentations=None, previous=None, force_cpu=False, wait=True):
        """Headless, from the Python console: stage (and segment where needed); returns CaseNodes."""
        if not self.ensureDependencies():
            raise RuntimeError("Cirrhosis Staging's Python packages are not installed")
        return self.lib().process(t1=t1, t2=t2, segmentations=segmentations, previous=previous, wait=wait,
                                  force_cpu=force_cpu)

    def segmentationFor(self, volume):
        """The newest segmentation made from `volume` (the one the user may have edited), or None."""
        from LiverCirrhosisLib.segmentation_nodes import SOURCE_VOLUME_REFERENCE

        found = None
        for node in slicer.util.getNodesByClass("vtkMRMLSegmentationNode"):
            if node.GetNodeReference(SOURCE_VOLUME_REFERENCE) is volume:
                found = node
        return found

    def ensureDependencies(self):
        """Refuses a Slicer older than 5.10 before installing anything; then, only with consent, torch through
        the PyTorch extension and the engine's other packages with pip. True when everything is importable."""
        from LiverCirrhosisLib.dependencies import (TORCH_REQUIREMENT, missing_requirements, torch_missing,
                                                    unsupported_slicer)

        problem = unsupported_slicer((slicer.app.majorVersion, slicer.app.minorVersion), tuple(sys.version_info))
        if problem:
            slicer.util.errorDisplay(problem)
            return False
        missing, needTorch = missing_requirements(), torch_missing()
        if not missing and not needTorch:
            return True
        wanted = (["torch" + TORCH_REQUIREMENT + " (PyTorch extension)"] if needTorch else []) + missing
        if not slicer.util.confirmOkCancelDisplay(
                "Cirrhosis Staging needs these Python packages in Slicer: " + ", ".join(wanted) + ". Install now? "
                "(downloads from the Python package index; this can take several minutes)"):
            return False
        try:
            if needTorch:
                try:
                    import PyTorchUtils
                except ImportError:
                    slicer.util.errorDisplay("Install the PyTorch extension from the Extensions Manager, restart "
                                             "Slicer, then try again.")
                    return False
                torch = PyTorchUtils.PyTorchUtilsLogic().installTorch(
                    askConfirmation=True, torchVersionRequirement=TORCH_REQUIREMENT)
                if torch is None:
                    return False
            if missing:
                with slicer.util.WaitCursor():
                    slicer.util.pip_install(missing)
        except Exception as error:
            slicer.util.errorDisplay(f"Installing Python packages failed: {error}", detailedText=traceback.format_exc())
            return False
        still = missing_requirements() + (["torch" + TORCH_REQUIREMENT] if torch_missing() else [])
        if still:
            slicer.util.errorDisplay("Still missing after installing: " + ", ".join(still)
                                     + ". Restart Slicer and try again.")
            return False
        return True


class LiverCirrhosisTest(ScriptedLoadableModuleTest):
    """Runs inside Slicer (Reload and Test): sample phantom, Stage, erase part of the liver, Re-stage."""

    def setUp(self):
        slicer.mrmlScene.Clear()

    def runTest(self):
        self.setUp()
        self.test_stage_and_restage_the_sample_phantom()

    def test_stage_and_restage_the_sample_phantom(self):
        import numpy as np
        from CirrhosisStaging.data.labels import LIVER
        from LiverCirrhosisLib.sample_data import samples, verified_path
        from LiverCirrhosisLib.segmentation_nodes import replace_segment_voxels, segment_array, segment_id_for

        self.delayDisplay("Loading the sample phantom")
        volumes = {s.sequence: slicer.util.loadVolume(str(verified_path(s))) for s in samples()}
        logic = LiverCirrhosisLogic()
        case = logic.process(t1=volumes["t1"], t2=volumes["t2"], force_cpu=True)
        self.assertIn(case.result["stage"], ("none", "mild", "moderate", "severe"))
        self.assertAlmostEqual(sum(case.result["probabilities"].values()), 1.0, places=5)
        self.delayDisplay("Erasing half of the liver and re-staging")
        segmentation = case.segmentations["t1"]
        liver_id = segment_id_for(segmentation, LIVER)
        liver = segment_array(segmentation, liver_id, volumes["t1"])
        rows = np.nonzero(liver.any(axis=(0, 2)))[0]
        liver[:, rows[: len(rows) // 2]] = 0
        replace_segment_voxels(segmentation, liver_id, liver, volumes["t1"])
        restaged = logic.process(t1=volumes["t1"], t2=volumes["t2"], segmentations=case.segmentations, previous=case,
                                 force_cpu=True)
        before = case.result["sequences"]["t1"]["biomarkers"]["liver_volume_ml"]
        after = restaged.result["sequences"]["t1"]["biomarkers"]["liver_volume_ml"]
        self.assertLess(after, before)
        self.delayDisplay("Test passed")
