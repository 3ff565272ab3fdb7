"""What the panel's buttons do, on MRML: segment, stage, re-stage with an edited mask, attention overlay,
results table. The engine runs as a separate process (engine_process); this file moves data between the
scene and that process and never imports torch.

Headless use (Slicer's Python console or a script):
    logic = CirrhosisStagingLogic(SceneContext.from_slicer())
    case = logic.process(t1=t1_node, t2=t2_node)              # waits; returns CaseNodes
    case = logic.process(t1=t1_node, segmentations=case.segmentations, previous=case)   # re-stage
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path

from CirrhosisStaging.errors import InputError
from CirrhosisStaging.io import read_image, read_mask, write_image

from .attention_overlay import add_attention_volume
from .engine_process import EngineJob, engine_command
from .export import load_segmentation
from .results_table import fill_results_table
from .segmentation_nodes import attach_to_volume, labels_from_segmentation, segmentation_from_labels
from .volume_io import write_volume_node

ENGINE_START_SECONDS = 5.0   # a new process importing torch and monai before the model runs


@dataclass
class CaseNodes:
    """The MRML nodes of one staged case, and the engine's result behind them."""
    volumes: dict = field(default_factory=dict)         # sequence -> vtkMRMLScalarVolumeNode
    segmentations: dict = field(default_factory=dict)   # sequence -> vtkMRMLSegmentationNode
    attention: dict = field(default_factory=dict)       # sequence -> vtkMRMLScalarVolumeNode
    results_table: object = None                        # vtkMRMLTableNode
    result: dict | None = None                          # the engine's result.json
    previous_result: dict | None = None                 # the result before this re-stage, if any
    run_folder: Path | None = None                      # engine outputs (report.pdf, masks, ...)


@dataclass
class PendingRun:
    """An engine run in progress. The GUI polls `job` and `progress()`; `complete()` loads the results into the
    scene."""
    job: EngineJob
    finish: object      # callable() -> CaseNodes
    expected_seconds: float | None = None   # for commands that announce no steps (segment)

    def progress(self) -> float:
        """0..1: the engine's own steps where it announces them, else the time spent against the time expected
        (held below 1 until the run has really finished)."""
        if self.job.progress > 0 or not self.expected_seconds:
            return self.job.progress
        return min(0.95, (time.monotonic() - self.job.started) / self.expected_seconds)

    def complete(self) -> CaseNodes:
        if self.job.running:
            self.job.wait()
        else:
            self.job.poll()
        if self.job.state == "cancelled":
            raise InputError(None, "cancelled")
        if self.job.state != "finished":
            raise InputError(None, self.job.error or "the engine failed")
        return self.finish()


class CirrhosisStagingLogic:
    def __init__(self, context, work_folder=None, python_executable: str | None = None, device: str = "auto"):
        self.context = context
        if work_folder is None:
            # A folder of our own: removed with this logic (or when the interpreter exits), since the scene holds
            # what the runs loaded; a folder the caller names is theirs and is kept.
            work_folder = tempfile.mkdtemp(prefix="LiverCirrhosis-")
            weakref.finalize(self, shutil.rmtree, work_folder, ignore_errors=True)
        self.work_folder = Path(work_folder)
        self.python_executable = python_executable
        self.device = device

    # -- Stage / re-stage ------------------------------------------------------------------------------------

    def process(self, t1=None, t2=None, segmentations: dict | None = None, previous: CaseNodes | None = None,
                clinical: dict | None = None, wait: bool = True, force_cpu: bool = False):
        """Segment (where no segmentation is given), stage, explain. Given segmentations are used as they are
        (re-staging after a correction) and never modified. Returns CaseNodes (wait=True) or a PendingRun."""
        volumes = {s: v for s, v in (("t1", t1), ("t2", t2)) if v is not None}
        if not volumes:
            raise InputError(None, "select a T1W or a T2W volume (or both)")
        if t1 is not None and t1 is t2:
            raise InputError(None, f"'{t1.GetName()}' is selected as both T1W and T2W; select each sequence's own "
                                   f"volume, or only one")
        segmentations = {s: n for s, n in (segmentations or {}).items() if n is not None and s in volumes}
        folder = self._new_run_folder("stage")
        arguments = ["run", "--out", str(folder / "out"), "--progress-lines",
                     "--device", "cpu" if force_cpu else self.device]
        for sequence, volume in volumes.items():
            arguments += [f"--{sequence}", str(write_volume_node(volume, folder / f"{sequence}.nii.gz"))]
            if sequence in segmentations:
                labels = labels_from_segmentation(segmentations[sequence], volume)
                mask_path = write_image(labels, folder / f"{sequence}_mask.nii.gz")
                arguments += [f"--{sequence}-mask", str(mask_path)]
        for key in ("age", "ast", "alt", "platelets"):
            if clinical and clinical.get(key) is not None:
                arguments += [f"--{key}", str(clinical[key])]
        job = EngineJob(engine_command(arguments, self.python_executable))
        pending = PendingRun(job, lambda: self._load_stage_outputs(folder / "out", volumes, segmentations, previous))
        return pending.complete() if wait else pending

    def _load_stage_outputs(self, out: Path, volumes, segmentations, previous) -> CaseNodes:
        result = json.loads((out / "result.json").read_text())
        case = CaseNodes(volumes=dict(volumes), result=result, run_folder=out,
                         previous_result=previous.result if previous else None)
        for sequence, volume in volumes.items():
            outputs = result["sequences"][sequence]["outputs"]
            if sequence in segmentations:
                case.segmentations[sequence] = segmentations[sequence]
            else:   # the engine's .seg.nrrd already carries names, colours and terminology: Slicer reads it
                node = load_segmentation(self.context, out / outputs["segmentation"],
                                         f"{volume.GetName()} liver segmentation")
                attach_to_volume(self.context.scene, node, volume)
                case.segmentations[sequence] = node
            old = previous.attention.get(sequence) if previous else None
            if old is not None and old.GetScene() is not None:
                self.context.scene.RemoveNode(old)   # model output, not user work: replaced by the new map
            case.attention[sequence] = add_attention_volume(self.context, read_image(out / outputs["attention"]),
                                                            volume)
        table = previous.results_table if previous else None
        case.results_table = fill_results_table(self.context.scene, result, case.previous_result, table)
        return case

    # -- Segment only ----------------------------------------------------------------------------------------

    def segment(self, volume, wait: bool = True, force_cpu: bool = False, sequence: str = "t2"):
        """Liver + spleen of one volume (a `sequence` "t1" or "t2" one: each has its own default model) into a NEW
        segmentation node (an edited one is never replaced)."""
        folder = self._new_run_folder("segment")
        image_path = write_volume_node(volume, folder / "image.nii.gz")
        arguments = ["segment", str(image_path), "--out", str(folder / "labels.nii.gz"), "--sequence", sequence,
                     "--device", "cpu" if force_cpu else self.device]
        job = EngineJob(engine_command(arguments, self.python_executable))
        pending = PendingRun(job, lambda: self._load_segmentation(folder / "labels.nii.gz", volume),
                             expected_seconds=self._expected_segmentation_seconds(force_cpu, sequence))
        return pending.complete() if wait else pending

    def _expected_segmentation_seconds(self, force_cpu: bool, sequence: str = "t2") -> float | None:
        """The manifest's figure for the sequence's default segmentation model, plus starting the process and torch."""
        from CirrhosisStaging.models import find_model

        figures = find_model("segmentation", sequence=sequence).expected_seconds
        figure = figures.get("gpu" if self.device == "cuda" and not force_cpu else "cpu")
        return None if figure is None else float(figure) + ENGINE_START_SECONDS

    def _load_segmentation(self, labels_path: Path, volume):
        return segmentation_from_labels(self.context, read_mask(labels_path), volume)

    def _new_run_folder(self, kind: str) -> Path:
        self.work_folder.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f"{kind}-", dir=self.work_folder))

    def clear_work_folder(self) -> None:
        shutil.rmtree(self.work_folder, ignore_errors=True)

