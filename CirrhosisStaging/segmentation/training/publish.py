"""Turn a finished training run into shipped weights: a tensors-only file plus its manifest entry."""

from __future__ import annotations

import json
from pathlib import Path

from ...io.atomic import atomic_path
from ...models.torch_files import load_torch_file
from ...models import default_manifest_path, sha256_of, write_manifest_entry
from ..labels import CLASS_NAMES

CHAOS_LICENCE = ("CC BY-NC-SA 4.0: trained on CHAOS MR data (Kavur et al., Medical Image Analysis 69, 101950, "
                 "2021; doi:10.5281/zenodo.3362844); non-commercial use, share alike")


def save_weights(state: dict, path: Path) -> Path:
    """A tensors-only weights file, written atomically (contiguous tensors: no views of larger storages)."""
    import torch

    with atomic_path(path) as temporary:
        torch.save({key: value.contiguous() for key, value in state.items()}, temporary)
    return path


def with_slice_options(architecture: dict, smoothing: float = 0.0, min_slice_spacing_mm: float = 0.0) -> dict:
    """`architecture` asking inference to average a 2.5D network's probabilities across slices by `smoothing`
    (slices.smooth_across_slices) and to resample scans with thinner slices than `min_slice_spacing_mm` to it
    (slices.slice_spacing_for); neither asked for when 0."""
    options = {"slice_smoothing": float(smoothing), "min_slice_spacing_mm": float(min_slice_spacing_mm)}
    return dict(architecture, **{key: value for key, value in options.items() if value})


def publish_segmentation(run_dir, name: str, version: str, training_data: str, licence: str = CHAOS_LICENCE,
                         manifest_path=None, expected_seconds: dict | None = None,
                         sequences: tuple = ("t1", "t2"), recipe_cross_validation: dict | None = None,
                         describe_start: bool = True, slice_smoothing: float = 0.0,
                         min_slice_spacing_mm: float = 0.0) -> Path:
    """Copy run_dir/best.pt next to the manifest as <name>-<version>.pt and register it; returns the weights path.
    `slice_smoothing`, `min_slice_spacing_mm`: how inference treats a 2.5D network's slices (with_slice_options).
    `sequences`: what the model is the default for. `recipe_cross_validation`: the cross-validated figure of the
    recipe (for a network trained on every subject, which has no held-out figure of its own). `describe_start`
    False: training_data already says what the run started from (its init_weights path means nothing here)."""
    run_dir = Path(run_dir)
    manifest_path = Path(manifest_path) if manifest_path else default_manifest_path()
    config = json.loads((run_dir / "config.json").read_text())
    history = json.loads((run_dir / "history.json").read_text()) if (run_dir / "history.json").exists() else []
    split = json.loads((run_dir / "split.json").read_text())
    best = max(history, key=lambda r: r.get("selection_score", r.get("val_dice_liver", -1)), default={})

    weights = save_weights(load_torch_file(run_dir / "best.pt"), manifest_path.parent / f"{name}-{version}.pt")
    if describe_start and config.get("init_weights"):   # provenance of a fine-tuned model, in the manifest's words
        start = Path(config["init_weights"])
        # a run's own best.pt/last.pt says nothing without its run folder
        training_data += f"; fine-tuned from {start.parent.name + '/' if start.name in ('best.pt', 'last.pt') else ''}{start.name}"
    held_out = [item.removeprefix("chaos-") for item in split["validation"] if item.startswith("chaos-")]
    entry = {
        "name": name, "version": version, "task": "segmentation",
        "architecture": with_slice_options(config["architecture"], slice_smoothing, min_slice_spacing_mm), "sequences": list(sequences),
        "spacing_mm": list(config["spacing_xyz"]),
        "labels": {str(label): text for label, text in CLASS_NAMES.items() if label},
        "file": weights.name, "url": None, "sha256": sha256_of(weights), "size_bytes": weights.stat().st_size,
        "training_data": training_data, "licence": licence,
        "validation": {"held_out_subjects": held_out, "best_epoch": best.get("epoch"),
                       **{key: round(value, 4) for key, value in best.items() if key.startswith("val_dice")},
                       "selected_on": config.get("select_on") or "all validation series",
                       "note": "mean Dice in model space over all validation series (held-out CHAOS subjects and any "
                               "valid-split series) during training; see Testing/benchmarks/"
                               "benchmark_segmentation.py for input-grid Dice, HD95 and ASSD",
                       **({"recipe_cross_validation": recipe_cross_validation} if recipe_cross_validation else {})},
        "expected_seconds": expected_seconds or {"cpu": 3.0, "gpu": 0.5},
        "demonstration_only": False,
        "notice": "Research use only; not a medical device. Trained on 1.5 T T2-SPIR MRI of healthy livers "
                  "with strong intensity augmentation (and T1W-like phantoms where listed in training_data).",
    }
    write_manifest_entry(manifest_path, entry)
    return weights


def publish_ensemble(member_keys: list[str], name: str, version: str, manifest_path=None) -> Path:
    """Ship already published segmentation models as one ensemble entry: one file with every member's weights
    (under "0.", "1.", ...), each member's architecture and model space; their probabilities are averaged."""
    from ...errors import InputError
    from ...models import find_model, load_manifest, load_state_dict
    from ..network import ENSEMBLE

    manifest_path = Path(manifest_path) if manifest_path else default_manifest_path()
    manifest = load_manifest(manifest_path)
    members = [manifest.find("segmentation", key) for key in member_keys]
    if len(members) < 2:
        raise InputError(manifest_path, "an ensemble needs at least two segmentation models")
    for member in members:
        if member.architecture.get("class") == ENSEMBLE:
            raise InputError(manifest_path, f"{member.key} is itself an ensemble: list its members instead")
        if member.labels != members[0].labels:
            raise InputError(manifest_path, f"{member.key} has other labels than {members[0].key}: cannot average them")
    state = {f"{index}.{key}": value for index, member in enumerate(members)
             for key, value in load_state_dict(member).items()}
    weights = save_weights(state, manifest_path.parent / f"{name}-{version}.pt")
    keys = ", ".join(member.key for member in members)
    entry = {
        "name": name, "version": version, "task": "segmentation",
        "architecture": {"class": ENSEMBLE, "members": [dict(member.architecture, spacing_mm=list(member.spacing_mm))
                                                        for member in members]},
        # the sequences any member is the default for (an intersection could be empty: a T1W and a T2W model)
        "sequences": sorted(set.union(*(set(member.sequences) for member in members))),
        "spacing_mm": list(members[0].spacing_mm), "labels": {str(k): v for k, v in sorted(members[0].labels.items())},
        "file": weights.name, "url": None, "sha256": sha256_of(weights), "size_bytes": weights.stat().st_size,
        "training_data": f"ensemble (mean of organ probabilities) of {keys}: " + "; ".join(
            f"{member.key}: {member.training_data}" for member in members),
        "licence": " / ".join(dict.fromkeys(member.licence for member in members)),
        # Held out only where no member saw the subject in training.
        "validation": {"held_out_subjects": [subject for subject in members[0].validation.get("held_out_subjects", [])
                                             if all(subject in m.validation.get("held_out_subjects", []) for m in members)],
                       "members": {member.key: member.validation for member in members}},
        "expected_seconds": {device: round(sum(member.expected_seconds.get(device, 0.0) for member in members), 2)
                             for device in ("cpu", "gpu")},
        "demonstration_only": any(member.demonstration_only for member in members),
        "notice": members[0].notice,
    }
    write_manifest_entry(manifest_path, entry)
    find_model("segmentation", f"{name}-{version}", manifest_path)   # the entry reads back and validates
    return weights
