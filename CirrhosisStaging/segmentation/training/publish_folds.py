"""Ship the networks of a cross-validation as one ensemble (as nnU-Net ships its folds): together they trained on
every subject, and each one's figure on the subjects it never saw is the cross-validated figure in the manifest."""

from __future__ import annotations

from pathlib import Path

from ...models import default_manifest_path, find_model, sha256_of, write_manifest_entry
from ...models.torch_files import load_torch_file
from ..cross_validation import load_fold_runs
from ..labels import CLASS_NAMES
from ..network import ENSEMBLE
from .publish import CHAOS_LICENCE, save_weights, with_slice_options


def publish_fold_ensemble(run_dirs, name: str, version: str, cross_validation: dict | None = None,
                          manifest_path=None, slice_smoothing: float = 0.0,
                          min_slice_spacing_mm: float = 0.0) -> Path:
    """One weights file with every fold's last epoch (under "0.", "1.", ...) and its manifest entry; the
    cross-validated figures (`cross_validation`, from Testing/benchmarks/cross_validate_segmentation.py) go into
    its validation record. `slice_smoothing`, `min_slice_spacing_mm`: how inference treats each member's slices
    (publish.with_slice_options)."""
    manifest_path = Path(manifest_path) if manifest_path else default_manifest_path()
    runs = load_fold_runs(run_dirs)
    configs = [run.config for run in runs]
    state = {f"{index}.{key}": value for index, run in enumerate(runs)
             for key, value in load_torch_file(run.weights).items()}
    weights = save_weights(state, manifest_path.parent / f"{name}-{version}.pt")
    # The CHAOS subjects dealt into folds (a release's validation series that every fold shares are not folds).
    names = [run.path.name for run in runs]
    names = [name if names.count(name) == 1 else f"{run.path.parent.name}/{name}" for name, run in zip(names, runs)]
    if len(set(names)) != len(names):
        from ...errors import InputError

        raise InputError(runs[0].path, "two fold runs share their folder and parent names: the manifest could not "
                                       "tell them apart")
    # one key per member, in member order (a fold trained twice has two)
    folds = {name: sorted(group for group in run.held_out if group.startswith("chaos-"))
             for name, run in zip(names, runs)}
    subjects = sorted({group.removeprefix("chaos-") for fold in folds.values() for group in fold},
                      key=lambda text: (len(text), text))
    entry = {
        "name": name, "version": version, "task": "segmentation",
        "architecture": {"class": ENSEMBLE, "members": [
            dict(with_slice_options(config["architecture"], slice_smoothing, min_slice_spacing_mm),
                 spacing_mm=config["spacing_xyz"])
            for config in configs]},
        "sequences": ["t1", "t2"], "spacing_mm": list(configs[0]["spacing_xyz"]),
        "labels": {str(label): text for label, text in CLASS_NAMES.items() if label},
        "file": weights.name, "url": None, "sha256": sha256_of(weights), "size_bytes": weights.stat().st_size,
        "training_data": (f"{len(runs)}-fold cross-validation ensemble over CHAOS T2-SPIR subjects "
                          f"{', '.join(subjects)} (n={len(subjects)}; each network trained on all but its fold's "
                          f"subjects) plus T1W/T2W-like phantoms; mean of organ probabilities"),
        "licence": CHAOS_LICENCE,
        "validation": {"held_out_subjects": [],
                       "folds": folds,
                       **({"cross_validation": cross_validation} if cross_validation else {})},
        "expected_seconds": {"cpu": 4.0, "gpu": 0.5},
        "demonstration_only": False,
        "notice": "Research use only; not a medical device. Trained on 1.5 T T2-SPIR MRI of 14 healthy livers with "
                  "organ-aware intensity augmentation and T1W-like phantoms; check the liver mask when flagged.",
    }
    write_manifest_entry(manifest_path, entry)
    find_model("segmentation", f"{name}-{version}", manifest_path)   # the entry reads back and validates
    return weights
