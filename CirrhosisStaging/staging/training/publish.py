"""Shipped staging weights: tensors-only file plus manifest entry, labelled as a demonstration when the
training data were simulated (a phantom release carries Phantom_truth.csv; a real CirrMRI600+ release does not)."""

from __future__ import annotations

import json
from pathlib import Path

from ...io.atomic import atomic_path
from ...models.torch_files import load_torch_file
from ...models import default_manifest_path, sha256_of, write_manifest_entry
from ..stages import STAGES

SIMULATED_NOTICE = ("Demonstration only: these staging weights were trained on simulated cirrhosis (synthetic "
                    "phantoms and/or cirrhotic change simulated on healthy livers), not on cirrhosis patients. The "
                    "stage is not a diagnosis.")
SIMULATION_TRUTH_FILES = ("Phantom_truth.csv", "Simulation_truth.csv")   # written by `phantom` and `simulate`
REAL_NOTICE = "Research use only; not a medical device. The stage is not a diagnosis."


def is_simulated_release(root) -> bool:
    return any((Path(root) / name).exists() for name in SIMULATION_TRUTH_FILES)


def _roots(data_root) -> list[Path]:
    return [Path(r) for r in data_root] if isinstance(data_root, (list, tuple)) else [Path(data_root)]


def publish_staging(run_dir, name: str, version: str, data_root, evaluation: dict | None = None,
                    manifest_path=None) -> Path:
    import torch

    run_dir = Path(run_dir)
    manifest_path = Path(manifest_path) if manifest_path else default_manifest_path()
    config = json.loads((run_dir / "config.json").read_text())
    calibration = json.loads((run_dir / "calibration.json").read_text()) if (run_dir / "calibration.json").exists() else {}
    state = load_torch_file(run_dir / "best.pt")
    weights = manifest_path.parent / f"{name}-{version}.pt"
    with atomic_path(weights) as temporary:
        torch.save({key: value.contiguous() for key, value in state.items()}, temporary)
    simulated = any(is_simulated_release(root) for root in _roots(data_root))
    entry = {
        "name": name, "version": version, "task": "staging", "architecture": config["architecture"],
        "sequences": ["t1", "t2"], "spacing_mm": [3.0, 3.0, 4.0],
        "labels": {str(index): stage for index, stage in enumerate(STAGES)},
        "file": weights.name, "url": None, "sha256": sha256_of(weights), "size_bytes": weights.stat().st_size,
        "training_data": _training_data(data_root, simulated),
        "licence": _licence(data_root, simulated),
        "validation": {"calibration": calibration, **(evaluation or {})},
        "expected_seconds": {"cpu": 1.0, "gpu": 0.1},
        "demonstration_only": simulated,
        "notice": SIMULATED_NOTICE if simulated else REAL_NOTICE,
    }
    write_manifest_entry(manifest_path, entry)
    return weights


def _training_data(data_root, simulated: bool) -> str:
    sources = []
    for root in _roots(data_root):
        if (root / "Simulation_truth.csv").exists():
            sources.append("cirrhotic change simulated on real healthy livers (cirrhosis-staging simulate)")
        elif (root / "Phantom_truth.csv").exists():
            sources.append("synthetic phantoms (cirrhosis-staging phantom)")
        else:
            sources.append("CirrMRI600+ release")
    text = " + ".join(dict.fromkeys(sources)) + ", CirrMRI600+ layout, train splits; healthy subjects as stage none"
    return text + ("; the cirrhosis is simulated" if simulated else "")


def _licence(data_root, simulated: bool) -> str:
    if not simulated:
        return "CC BY-NC 4.0 (trained on CirrMRI600+)"
    if any((root / "Simulation_truth.csv").exists() for root in _roots(data_root)):
        return ("that of the real scans the change was simulated on (CHAOS: CC BY-NC-SA 4.0, Kavur et al. 2021; "
                "non-commercial use, share alike)")
    return "Apache-2.0 (trained on project-generated synthetic data)"
