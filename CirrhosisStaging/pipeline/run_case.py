"""`run` for one case: segment (unless masks are given), stage, attention, biomarkers, files, report.

Every input is read and checked before any work, and the output folder appears complete or not at all.
"""

from __future__ import annotations

import json
import time

import numpy as np
import SimpleITK as sitk
from dataclasses import asdict
from datetime import datetime, timezone

from .. import __version__
from ..data.labels import LIVER, SPLEEN
from ..errors import InputError
from ..io import atomic_directory, write_image
from ..io.output_checks import check_output_folder
from ..segmentation.quality import assess_liver_mask
from ..staging.inputs import MIN_STAGEABLE_LIVER_ML
from ..staging.out_of_distribution import out_of_distribution_reasons
from ..staging.stages import stage_label
from .result_warnings import add_mask_quality, add_out_of_distribution
from .case_inputs import check_outputs_do_not_touch_inputs, liver_only, read_case_inputs

SCHEMA_VERSION = 1


def _refuse_without_liver(labels: sitk.Image, item) -> None:
    """A model mask with less liver than any liver has leaves nothing to measure or stage: said before any output
    is written, naming the volume (a user's mask gets its own check, staging.inputs)."""
    voxel_ml = float(np.prod(labels.GetSpacing())) / 1000
    liver_ml = float((sitk.GetArrayViewFromImage(labels) == LIVER).sum()) * voxel_ml
    if liver_ml < MIN_STAGEABLE_LIVER_ML:
        kind = f"{item.sequence.upper()}W"
        raise InputError(item.path, f"the {kind} segmentation found no liver ({liver_ml:.0f} mL, under the "
                                    f"{MIN_STAGEABLE_LIVER_ML:.0f} mL any liver has): check that this is an abdominal "
                                    f"{kind} volume that covers the liver, or draw the liver and re-stage with that mask")


class CasePipeline:
    """Models loaded once, used for many cases (batch) or one (run)."""

    def __init__(self, device: str = "auto", allow_download: bool = False):
        self.device = device
        self.allow_download = allow_download
        self._segmenters = {}   # by sequence, chosen once: a model published mid-batch changes nothing
        self._loaded = {}       # by manifest key: one load when T1W and T2W share a model
        self._stager = None

    @property
    def stager(self):
        if self._stager is None:
            from ..staging.inference import load_stager

            self._stager = load_stager(self.device, allow_download=self.allow_download)
        return self._stager

    def segmenter(self, sequence: str):
        """The newest segmentation model made for `sequence` (T1W and T2W may each have their own), loaded once."""
        if sequence not in self._segmenters:
            from ..models import find_model
            from ..segmentation.loading import load_segmenter

            key = find_model("segmentation", sequence=sequence).key
            if key not in self._loaded:
                self._loaded[key] = load_segmenter(self.device, key, self.allow_download)
            self._segmenters[sequence] = self._loaded[key]
        return self._segmenters[sequence]

    def run(self, out_dir, t1=None, t2=None, t1_mask=None, t2_mask=None, clinical=None, case_label=None,
            overwrite: bool = False, report: bool = True, on_step=None) -> dict:
        """`on_step(name)` is called as each step starts (a GUI or a parent process shows progress with it)."""
        from ..biomarkers import compute_biomarkers
        from ..export import standard_segments, write_seg_nrrd
        from ..staging.attention import attention_maps
        from ..staging.inputs import prepare_staging_input

        step = on_step or (lambda name: None)
        timings, started = {}, time.perf_counter()
        step("read")
        inputs = read_case_inputs(t1, t2, t1_mask, t2_mask)
        check_outputs_do_not_touch_inputs(out_dir, inputs)
        check_output_folder(out_dir, overwrite)   # a file, no permission or a full disk: refused before computing
        timings["read"] = time.perf_counter() - started

        labels, sources, qualities = {}, {}, {}
        for sequence, item in inputs.items():
            step(f"segment_{sequence}")
            tic = time.perf_counter()
            if item.mask is not None:
                labels[sequence], sources[sequence] = item.mask, "user"
                # A corrected mask has no network evidence, but its side, size and pieces are still checked.
                qualities[sequence] = assess_liver_mask(sitk.GetArrayViewFromImage(item.mask), item.image,
                                                        sequence=sequence)
            else:
                segmentation = self.segmenter(sequence).segment(item.image, sequence)
                _refuse_without_liver(segmentation.labels, item)
                labels[sequence], sources[sequence] = segmentation.labels, "model"
                qualities[sequence] = segmentation.quality
            timings[f"segment_{sequence}"] = time.perf_counter() - tic

        step("biomarkers")
        tic = time.perf_counter()
        biomarkers = {s: compute_biomarkers(inputs[s].image, labels[s], clinical) for s in inputs}
        timings["biomarkers"] = time.perf_counter() - tic
        step("stage")
        tic = time.perf_counter()
        staging_inputs = {s: prepare_staging_input(inputs[s].image, labels[s], inputs[s].mask_path) for s in inputs}
        staged = self.stager.stage(staging_inputs, biomarkers)
        timings["stage"] = time.perf_counter() - tic
        step("attention")
        tic = time.perf_counter()
        attention = attention_maps(self.stager.network, staging_inputs, labels, self.stager.device,
                                   class_index=self.stager.stages.index(staged.stage))
        timings["attention"] = time.perf_counter() - tic

        preferred = "t1" if "t1" in inputs else "t2"  # 3D GRE: thinner slices, better volumes
        result = self._result(inputs, staged, sources, biomarkers, preferred, clinical, case_label)
        add_mask_quality(result, qualities)
        add_out_of_distribution(result, out_of_distribution_reasons({s: inputs[s].image for s in inputs}, staged))
        with atomic_directory(out_dir, overwrite=overwrite) as work:
            for sequence, item in inputs.items():
                write_image(liver_only(labels[sequence]), work / f"{sequence}_liver_mask.nii.gz")
                write_seg_nrrd(labels[sequence], work / f"{sequence}_liver.seg.nrrd",
                               segments=standard_segments([LIVER, SPLEEN]), reference=item.image)
                write_image(attention[sequence], work / f"{sequence}_attention.nii.gz")
            if report:
                step("report")
                from ..report import SequenceView, write_report

                tic = time.perf_counter()
                views = {s: SequenceView(inputs[s].image, labels[s], attention[s]) for s in inputs}
                write_report(result, views, work / "report.png", work / "report.pdf")
                timings["report"] = time.perf_counter() - tic
            timings["total"] = time.perf_counter() - started
            result["timing_seconds"] = {k: round(v, 3) for k, v in timings.items()}
            (work / "result.json").write_text(json.dumps(result, indent=2) + "\n")
        return result

    def _result(self, inputs, staged, sources, biomarkers, preferred, clinical, case_label) -> dict:
        entry = self.stager.entry
        segmentation, model_keys = None, {}
        # models.segmentation: the model that drew the masks the biomarkers come from (else the other sequence's);
        # each sequence names its own, since T1W and T2W may each have a model made for them.
        for sequence in sorted(inputs, key=lambda s: s != preferred):
            if sources[sequence] == "model":
                segmenter = self.segmenter(sequence)
                model_keys[sequence] = segmenter.entry.key
                segmentation = segmentation or {
                    "name": segmenter.entry.name, "version": segmenter.entry.version, "sha256": segmenter.entry.sha256,
                    "edge_radius_mm": segmenter.edge_radius_mm}   # which post-processing made the mask
        clinical_part = None
        if clinical is not None:
            clinical_part = {k: biomarkers[preferred].get(k) for k in ("fib4", "fib4_band", "apri", "apri_band")}
            clinical_part.update(asdict(clinical))
        return {
            "schema_version": SCHEMA_VERSION,
            "stage": staged.stage,
            "stage_label": stage_label(staged.stage),
            "probabilities": staged.probabilities,
            "model_stages": list(self.stager.stages),   # 3 for weights made before "none" existed
            "prediction_set": None if staged.prediction_set is None else
                {"stages": staged.prediction_set, "coverage": staged.coverage,
                 "method": "split conformal on the validation patients"},
            "demonstration_only": bool(entry.demonstration_only),
            "notice": entry.notice,
            "sequences": {
                s: {"stage": max(staged.per_sequence[s], key=staged.per_sequence[s].get),
                    "probabilities": staged.per_sequence[s], "mask_source": sources[s],
                    "segmentation_model": model_keys.get(s),
                    "feature_distance": None if s not in staged.feature_distances else
                        {"distance": round(staged.feature_distances[s][0], 3),
                         "threshold": round(staged.feature_distances[s][1], 3)},
                    "biomarkers": biomarkers[s], "input_sha256": inputs[s].sha256,
                    "outputs": {"liver_mask": f"{s}_liver_mask.nii.gz", "segmentation": f"{s}_liver.seg.nrrd",
                                "attention": f"{s}_attention.nii.gz"}}
                for s in inputs},
            "liver_volume_ml": biomarkers[preferred]["liver_volume_ml"],
            "spleen_volume_ml": biomarkers[preferred].get("spleen_volume_ml"),
            "biomarkers_from": preferred,
            "biomarkers": biomarkers[preferred],
            "clinical": clinical_part,
            "models": {"segmentation": segmentation,
                       "staging": {"name": entry.name, "version": entry.version, "sha256": entry.sha256,
                                   "demonstration_only": bool(entry.demonstration_only),
                                   "reads_biomarkers": self.stager.uses_biomarkers}},
            "device": str(self.stager.device),
            "engine_version": __version__,
            "created": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "case_label": case_label,
        }
