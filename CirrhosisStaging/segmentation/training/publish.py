"""Turn a finished training run into shipped weights: a tensors-only file plus its manifest entry."""

from __future__ import annotations

import json
from pathlib import Path

from ...io.atomic import atomic_path
from ...models import default_manifest_path, sha256_of, write_manifest_entry
from ..labels import CLASS_NAMES

CHAOS_LICENCE = ("CC BY-NC-SA 4.0: trained on CHAOS MR data (Kavur et al., Medical Image Analysis 69, 101950, "
                 "2021; doi:10.5281/zenodo.3362844); non-commercial use, share alike")


def publish_segmentation(run_dir, name: str, version: str, training_data: str, licence: str = CHAOS_LICENCE,
                         manifest_path=None, expected_seconds: dict | None = None) -> Path:
    """Copy run_dir/best.pt next to the manifest as <name>-<version>.pt and register it; returns the weights path."""
    import torch

    run_dir = Path(run_dir)
    manifest_path = Path(manifest_path) if manifest_path else default_manifest_path()
    config = json.loads((run_dir / "config.json").read_text())
    history = json.loads((run_dir / "history.json").read_text()) if (run_dir / "history.json").exists() else []
    split = json.loads((run_dir / "split.json").read_text())
    best = max(history, key=lambda r: r.get("selection_score", r.get("val_dice_liver", -1)), default={})

    state = torch.load(run_dir / "best.pt", map_location="cpu", weights_only=True)
    weights = manifest_path.parent / f"{name}-{version}.pt"
    with atomic_path(weights) as temporary:
        torch.save({key: value.contiguous() for key, value in state.items()}, temporary)
    if config.get("init_weights"):   # provenance of a fine-tuned model, in the manifest's own words
        training_data += f"; fine-tuned from {Path(config['init_weights']).name}"
    held_out = [item.removeprefix("chaos-") for item in split["validation"] if item.startswith("chaos-")]
    entry = {
        "name": name, "version": version, "task": "segmentation",
        "architecture": config["architecture"], "sequences": ["t1", "t2"],
        "spacing_mm": list(config["spacing_xyz"]),
        "labels": {str(label): text for label, text in CLASS_NAMES.items() if label},
        "file": weights.name, "url": None, "sha256": sha256_of(weights), "size_bytes": weights.stat().st_size,
        "training_data": training_data, "licence": licence,
        "validation": {"held_out_subjects": held_out, "best_epoch": best.get("epoch"),
                       **{key: round(value, 4) for key, value in best.items() if key.startswith("val_dice")},
                       "selected_on": config.get("select_on") or "all validation series",
                       "note": "mean Dice in model space over all validation series (held-out CHAOS subjects and any "
                               "valid-split series) during training; see Testing/benchmarks/"
                               "benchmark_segmentation.py for input-grid Dice, HD95 and ASSD"},
        "expected_seconds": expected_seconds or {"cpu": 3.0, "gpu": 0.5},
        "demonstration_only": False,
        "notice": "Research use only; not a medical device. Trained on 1.5 T T2-SPIR MRI of healthy livers "
                  "with strong intensity augmentation (and T1W-like phantoms where listed in training_data).",
    }
    write_manifest_entry(manifest_path, entry)
    return weights
