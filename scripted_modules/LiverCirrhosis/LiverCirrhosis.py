"""Cirrhosis Staging: the Slicer panel. A thin Widget over LiverCirrhosisLib (all the work, Qt-free, on MRML);
the models run in a separate process (the engine's command line), so the GUI never blocks.

Module name "LiverCirrhosis": it must not clash with the engine package "CirrhosisStaging" on Slicer's path.
"""

import os
import shutil
import sys

import ctk  # noqa: F401 (loads the CTK widgets the .ui uses)
import qt
import slicer
from slicer.ScriptedLoadableModule import (ScriptedLoadableModule, ScriptedLoadableModuleLogic,
                                           ScriptedLoadableModuleTest, ScriptedLoadableModuleWidget)
from slicer.util import VTKObservationMixin

_EXTENSION_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if _EXTENSION_ROOT not in sys.path:
    sys.path.append(_EXTENSION_ROOT)   # the engine package ships beside the module

# Engine dependencies other than torch (torch comes from Slicer's PyTorch extension), pinned as in requirements.txt.
ENGINE_REQUIREMENTS = ["monai==1.6.1", "einops==0.8.2", "nibabel==5.4.2", "scipy==1.17.1", "tqdm==4.70.1",
                       "matplotlib==3.11.2", "slicerio==1.4.0"]


class LiverCirrhosis(ScriptedLoadableModule):
    def __init__(self, parent):
        ScriptedLoadableModule.__init__(self, parent)
        self.parent.title = "Cirrhosis Staging"
        self.parent.categories = ["Segmentation"]
        self.parent.dependencies = []
        self.parent.contributors = ["CirrhosisStaging developers"]
        self.parent.helpText = (
            "Segment the liver and spleen on abdominal T1W/T2W MRI, stage cirrhosis (mild / moderate / severe) "
            "with probabilities, biomarkers and a Grad-CAM attention overlay, correct the liver mask in the "
            "Segment Editor and re-stage. The shipped staging weights are a demonstration trained on simulated "
            "data: not a diagnosis.")
        self.parent.acknowledgementText = (
            "Segmentation weights trained on CHAOS MRI (CC BY-NC-SA 4.0). Built on 3D Slicer, MONAI and SimpleITK.")
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
    def __init__(self, parent=None):
        ScriptedLoadableModuleWidget.__init__(self, parent)
        VTKObservationMixin.__init__(self)
        self.logic = None
        self.case = None
        self.pending = None
        self.pendingKind = None
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
        self.editor.setMRMLScene(slicer.mrmlScene)
        self.editor.setMRMLSegmentEditorNode(self._segmentEditorNode())
        self.ui.editorCollapsibleButton.layout().addWidget(self.editor)

        self.logic = LiverCirrhosisLogic()
        self.ui.segmentButton.clicked.connect(self.onSegment)
        self.ui.stageButton.clicked.connect(self.onStage)
        self.ui.restageButton.clicked.connect(self.onRestage)
        self.ui.cancelButton.clicked.connect(self.onCancel)
        self.ui.exportButton.clicked.connect(self.onExport)
        self.ui.attentionOpacitySlider.valueChanged.connect(self.onAttentionDisplay)
        self.ui.attentionVisibleCheckBox.toggled.connect(self.onAttentionDisplay)
        self.ui.forceCpuCheckBox.toggled.connect(lambda checked: setattr(self._parameters(), "force_cpu", checked))
        self.ui.t1VolumeSelector.currentNodeChanged.connect(self.updateButtons)
        self.ui.t2VolumeSelector.currentNodeChanged.connect(self.updateButtons)
        self.addObserver(slicer.mrmlScene, slicer.mrmlScene.EndCloseEvent, self.onSceneClosed)
        self._restoreParameters()
        self.updateButtons()

    def cleanup(self):
        self.removeObservers()
        if self.pending is not None:
            self.pending.job.cancel()

    # -- parameters ------------------------------------------------------------------------------------------

    def _parameters(self):
        from LiverCirrhosisLib.parameters import StagingParameters

        return StagingParameters.of_scene(slicer.mrmlScene)

    def _restoreParameters(self):
        parameters = self._parameters()
        self.ui.forceCpuCheckBox.checked = parameters.force_cpu
        self.ui.attentionOpacitySlider.value = parameters.attention_opacity
        self.ui.attentionVisibleCheckBox.checked = parameters.attention_visible
        if parameters.t1_volume:
            self.ui.t1VolumeSelector.setCurrentNode(parameters.t1_volume)
        if parameters.t2_volume:
            self.ui.t2VolumeSelector.setCurrentNode(parameters.t2_volume)

    def _segmentEditorNode(self):
        node = slicer.mrmlScene.GetSingletonNode("LiverCirrhosis", "vtkMRMLSegmentEditorNode")
        if node is None:
            node = slicer.mrmlScene.CreateNodeByClass("vtkMRMLSegmentEditorNode")
            node.UnRegister(None)
            node.SetSingletonTag("LiverCirrhosis")
            node = slicer.mrmlScene.AddNode(node)
        return node

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
        parameters = self._parameters()
        parameters.t1_volume, parameters.t2_volume = self._volumes()["t1"], self._volumes()["t2"]

    # -- actions ---------------------------------------------------------------------------------------------

    def onSegment(self):
        if not self.logic.ensureDependencies():
            return
        volume = self._volumes()["t1"] or self._volumes()["t2"]
        self._start("segment", lambda: self.logic.lib().segment(volume, wait=False,
                                                                force_cpu=self.ui.forceCpuCheckBox.checked))

    def onStage(self):
        if not self.logic.ensureDependencies():
            return
        volumes = self._volumes()
        segmentations = {s: self.logic.segmentationFor(v) for s, v in volumes.items() if v is not None}
        self._start("stage", lambda: self.logic.lib().process(
            t1=volumes["t1"], t2=volumes["t2"], segmentations=segmentations, previous=self.case, wait=False,
            force_cpu=self.ui.forceCpuCheckBox.checked))

    def onRestage(self):
        if self.case is None:
            return
        self._start("stage", lambda: self.logic.lib().process(
            t1=self.case.volumes.get("t1"), t2=self.case.volumes.get("t2"), segmentations=self.case.segmentations,
            previous=self.case, wait=False, force_cpu=self.ui.forceCpuCheckBox.checked))

    def onCancel(self):
        if self.pending is not None:
            self.pending.job.cancel()

    def _start(self, kind, launch):
        from CirrhosisStaging.errors import InputError

        try:
            self.pending, self.pendingKind = launch(), kind
        except InputError as error:
            slicer.util.errorDisplay(str(error))
            return
        self.ui.progressBar.value = 0
        self.ui.statusLabel.text = f"{kind}: starting"
        self.timer.start()
        self.updateButtons()

    def onPoll(self):
        from CirrhosisStaging.errors import InputError

        job = self.pending.job
        self.ui.progressBar.value = int(100 * job.progress)
        self.ui.statusLabel.text = f"{self.pendingKind}: {job.state}"
        if job.running:
            return
        self.timer.stop()
        pending, kind, self.pending = self.pending, self.pendingKind, None
        try:
            outcome = pending.complete()
        except InputError as error:
            self.ui.statusLabel.text = str(error)
            self.updateButtons()
            return
        if kind == "segment":
            self.editor.setSegmentationNode(outcome)
            self.ui.statusLabel.text = "Segmented: correct the liver in the editor below if needed, then Stage."
        else:
            self.case = outcome
            self._showCase()
        self.updateButtons()

    def _showCase(self):
        from LiverCirrhosisLib.parameters import StagingParameters

        result = self.case.result
        probabilities = ", ".join(f"{k} {v:.2f}" for k, v in result["probabilities"].items())
        self.ui.stageLabel.text = f"Stage: {result['stage']} ({probabilities})"
        self.ui.demonstrationNoticeLabel.visible = bool(result.get("demonstration_only"))
        self.ui.demonstrationNoticeLabel.text = result.get("notice") or ""
        self.ui.resultsTableView.setMRMLTableNode(self.case.results_table)
        parameters = StagingParameters.of_scene(slicer.mrmlScene)
        parameters.results_table = self.case.results_table
        for sequence in ("t1", "t2"):
            setattr(parameters, f"{sequence}_segmentation", self.case.segmentations.get(sequence))
            setattr(parameters, f"{sequence}_attention", self.case.attention.get(sequence))
        first = next(iter(self.case.segmentations))
        self.editor.setSegmentationNode(self.case.segmentations[first])
        self.editor.setSourceVolumeNode(self.case.volumes[first])
        self.onAttentionDisplay()
        self.ui.statusLabel.text = ("Re-staged: the table shows what changed." if self.case.previous_result
                                    else "Staged.")

    def onAttentionDisplay(self, *_):
        from LiverCirrhosisLib.attention_overlay import show_overlay

        parameters = self._parameters()
        parameters.attention_opacity = float(self.ui.attentionOpacitySlider.value)
        parameters.attention_visible = bool(self.ui.attentionVisibleCheckBox.checked)
        if self.case is None or not self.case.attention:
            return
        sequence = next(iter(self.case.attention))
        show_overlay(slicer.mrmlScene, self.case.volumes[sequence], self.case.attention[sequence],
                     parameters.attention_opacity, parameters.attention_visible)

    def onExport(self):
        from CirrhosisStaging.errors import InputError
        from LiverCirrhosisLib.export import export_case

        folder = self.ui.exportFolderButton.directory
        try:
            written = export_case(self.case, folder, include_scene=self.ui.exportSceneCheckBox.checked)
        except InputError as error:
            if not slicer.util.confirmYesNoDisplay(f"{error}\nOverwrite the existing files?"):
                return
            written = export_case(self.case, folder, overwrite=True,
                                  include_scene=self.ui.exportSceneCheckBox.checked)
        self.ui.statusLabel.text = "Exported: " + ", ".join(sorted(written))

    def onSceneClosed(self, *_):
        self.case = None
        self.updateButtons()


class LiverCirrhosisLogic(ScriptedLoadableModuleLogic):
    """Slicer-side wrapper: the application's scene, PythonSlicer for the engine, dependencies with consent."""

    def __init__(self):
        ScriptedLoadableModuleLogic.__init__(self)
        self._lib = None

    def lib(self):
        from LiverCirrhosisLib import CirrhosisStagingLogic, SceneContext

        if self._lib is None:
            python = shutil.which("PythonSlicer") or sys.executable
            self._lib = CirrhosisStagingLogic(SceneContext.from_slicer(), python_executable=python)
        return self._lib

    def process(self, t1=None, t2=None, segmentations=None, previous=None, force_cpu=False, wait=True):
        """Headless, from the Python console: stage (and segment where needed); returns CaseNodes."""
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
        """torch through Slicer's PyTorch extension and the engine's packages by pip, only with consent."""
        missing = [name for name in ("torch", "monai", "nibabel", "scipy") if not _importable(name)]
        if not missing:
            return True
        if not slicer.util.confirmOkCancelDisplay(
                "Cirrhosis Staging needs " + ", ".join(missing) + " in Slicer's Python. Install now? "
                "(downloads from the Python package index; torch comes from the PyTorch extension)"):
            return False
        if "torch" in missing:
            import PyTorchUtils

            if PyTorchUtils.PyTorchUtilsLogic().installTorch(askConfirmation=False) is None:
                slicer.util.errorDisplay("PyTorch could not be installed: install the PyTorch extension first.")
                return False
        with slicer.util.WaitCursor():
            slicer.util.pip_install(ENGINE_REQUIREMENTS)
        return True


def _importable(name):
    import importlib.util

    return importlib.util.find_spec(name) is not None


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
        self.assertIn(case.result["stage"], ("mild", "moderate", "severe"))
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
