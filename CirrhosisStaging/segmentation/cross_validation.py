"""Cross-validation runs: which fold network may score which subject, and that network as a Segmenter.

A fold run is a `train-seg --folds K --fold I` folder (config.json, split.json, best.pt = its last epoch). A subject
is scored only by the runs that held it out (several when a fold was trained more than once: their ensemble), so a
run that trained on the subject is never used for it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError


@dataclass(frozen=True)
class FoldRun:
    path: Path
    held_out: frozenset    # item groups (e.g. "chaos-19") the run never trained on
    trained: frozenset     # item names it trained on

    @property
    def weights(self) -> Path:
        return self.path / "best.pt"

    @property
    def config(self) -> dict:
        return json.loads((self.path / "config.json").read_text())


def load_fold_runs(paths) -> list[FoldRun]:
    """Fold run folders, checked: none trained on a subject it holds out. (Runs may share held-out series, e.g. a
    release's validation split that every fold validates on; a subject is only ever scored by runs_for it.)"""
    runs = []
    for path in map(Path, paths):
        for required in ("config.json", "split.json", "best.pt"):
            if not (path / required).is_file():
                raise InputError(path, f"not a finished fold run: {required} is missing")
        split = json.loads((path / "split.json").read_text())
        run = FoldRun(path, frozenset(split["validation"]), frozenset(split["train"]))
        leaked = run.held_out & run.trained
        if leaked:
            raise InputError(run.path, f"trained on the subjects it holds out: {', '.join(sorted(leaked))}")
        runs.append(run)
    return runs


def runs_for(group: str, runs: list[FoldRun]) -> list[FoldRun]:
    """The runs that held `group` out (empty: none did, so no honest score exists for it)."""
    return [run for run in runs if group in run.held_out]


def fold_segmenter(runs: list[FoldRun], device: str = "cpu", smoothing: float | None = None,
                   min_slice_spacing_mm: float | None = None):
    """The runs' networks (last epochs) as one Segmenter: a single network, or their ensemble. `smoothing` (a 2.5D
    network's neighbouring-slice weight, slices.smooth_across_slices) and `min_slice_spacing_mm` (slices.
    slice_spacing_for) override what the runs' architectures give (a run's gives neither: combine-seg
    --slice-smoothing / --min-slice-spacing add them when the runs are shipped)."""
    from ..models.torch_files import load_state_into, load_torch_file
    from .inference import Segmenter
    from .loading import network_member
    from .network import build_network

    members = []
    for run in runs:
        config = run.config
        network = build_network(config["architecture"])
        load_state_into(network, load_torch_file(run.weights), run.weights)
        members.append(network_member(network, config["architecture"], config["spacing_xyz"], smoothing,
                                      min_slice_spacing_mm))
    return Segmenter.ensemble(members, device)


def published_fold_segmenters(model_name: str, device: str = "cpu") -> dict:
    """A published fold ensemble (`combine-seg --runs`) taken apart again: {subject group: (fold name, Segmenter of
    the member(s) that held it out)}, from the folds its manifest entry records in member order (a fold trained
    more than once: its runs averaged, as --runs does). The cross-validated figure can so be rerun from the shipped
    file alone, with no member ever scoring a subject it trained on."""
    from ..models import find_model
    from .inference import Segmenter
    from .loading import load_segmenter

    entry = find_model("segmentation", model_name)
    folds = entry.validation.get("folds")
    members = entry.architecture.get("members", [])
    if not folds or len(folds) != len(members):
        raise InputError(None, f"{entry.key} is not a cross-validation ensemble: its manifest entry records no folds "
                               f"matching its {len(members)} members")
    ensemble = load_segmenter(device, model_name)
    by_subject: dict = {}
    for index, (fold, held_out) in enumerate(folds.items()):
        for group in held_out:
            by_subject.setdefault(group, []).append((fold, index))
    segmenters, built = {}, {}
    for group, holders in by_subject.items():
        indices = tuple(index for _, index in holders)
        if indices not in built:
            built[indices] = Segmenter.ensemble([ensemble.members[i] for i in indices], ensemble.device, None,
                                                ensemble.edge_radius_mm)
        segmenters[group] = ("+".join(fold for fold, _ in holders), built[indices])
    return segmenters


class HeldOutScorers:
    """The network(s) that held a subject out, from fold run folders (runs holding out the same subjects averaged)
    or from a shipped fold ensemble taken apart (published_fold_segmenters); what both benchmarks score with.
    `smoothing`, `min_slice_spacing_mm`: fold runs' slice options (fold_segmenter; a shipped ensemble keeps its
    own)."""

    def __init__(self, run_paths=None, model_name: str | None = None, device: str = "cpu",
                 smoothing: float | None = None, min_slice_spacing_mm: float | None = None):
        self.device, self._cache, self.smoothing = device, {}, smoothing
        self.min_slice_spacing_mm = min_slice_spacing_mm
        self.runs = load_fold_runs(run_paths) if run_paths else None
        self.published = None if run_paths else published_fold_segmenters(model_name, device)

    def for_subject(self, group: str):
        """(fold name, Segmenter), or (None, None) when no fold held the subject out."""
        if self.published is not None:
            return self.published.get(group, (None, None))
        fold = runs_for(group, self.runs)
        if not fold:
            return None, None
        name = "+".join(run.path.name for run in fold)
        if name not in self._cache:
            self._cache[name] = fold_segmenter(fold, self.device, self.smoothing, self.min_slice_spacing_mm)
        return name, self._cache[name]


def is_fold_ensemble(model_name: str) -> bool:
    """Whether a published segmentation model is a cross-validation ensemble (its entry records its folds)."""
    from ..models import find_model

    return bool(find_model("segmentation", model_name).validation.get("folds"))


def cross_validation_record(path) -> dict:
    """What a manifest keeps of a cross-validation report (Testing/benchmarks/cross_validate_segmentation.py
    --json): mean and worst, each subject's Dice, and the command that made it."""
    import json

    try:
        report = json.loads(Path(path).read_text(encoding="utf-8"))
        source = f"--model {report['model']}" if report.get("model") else "--runs FOLD_RUNS"
        return {"summary": report["summary"], "mask_quality_checks": report.get("checks"),
                "per_subject": {row["case"]: {"fold": row["fold"], "liver_dice": round(row["liver"]["dice"], 4),
                                              "spleen_dice": round(row["spleen"]["dice"], 4)}
                                for row in report["subjects"]},
                "command": f"Testing/benchmarks/cross_validate_segmentation.py --chaos CHAOS {source}"}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise InputError(path, f"not a cross-validation report of cross_validate_segmentation.py ({error!r})") from None
