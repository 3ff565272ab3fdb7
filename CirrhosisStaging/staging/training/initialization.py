"""Where a staging training run starts: optional earlier weights, and the biomarker branch set to the
logistic-regression baseline fitted on the training cases with the image head at zero, so epoch 0 *is* the
baseline and every later gain comes from the images."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ...errors import InputError
from ...models.torch_files import load_torch_file
from ..stages import STAGES, model_stages


def load_matching_weights(network, path: Path) -> list[str]:
    """Copy every tensor of `path` whose name and shape match (e.g. image encoders of an image-only model);
    returns the names copied."""
    source = load_torch_file(path)
    if not isinstance(source, dict):
        raise InputError(path, f"holds a {type(source).__name__}, not a state dict of weights")
    if isinstance(source.get("model"), dict):
        source = source["model"]   # a run's last.pt works too
    target = network.state_dict()
    matching = {k: v for k, v in source.items() if k in target and target[k].shape == v.shape and k != "temperature"}
    network.load_state_dict(matching, strict=False)
    return sorted(matching)


def start_from_baseline(network, train_cases) -> dict:
    """Fit the baseline on the training cases' biomarkers, copy it into the biomarker branch, zero the image head."""
    import torch

    from ...evaluation.baseline import fit_baseline

    branch = network.biomarker_branch
    if branch is None:
        return {}
    stages = model_stages(None, branch.linear.out_features)   # 3 when fine-tuning a network made before "none"
    train_cases = [case for case in train_cases if STAGES[case.stage_index] in stages]
    matrix = np.array([case.biomarker_vector() for case in train_cases], dtype=float)
    baseline = fit_baseline(matrix, [stages.index(STAGES[case.stage_index]) for case in train_cases], len(stages))
    used = ~np.isnan(matrix).all(axis=0)
    with torch.no_grad():
        branch.mean.copy_(torch.as_tensor(baseline.mean, dtype=torch.float32))
        branch.scale.copy_(torch.as_tensor(baseline.scale, dtype=torch.float32))
        branch.used.copy_(torch.as_tensor(used, dtype=torch.float32))
        branch.linear.weight.copy_(torch.as_tensor(baseline.weights[1:].T, dtype=torch.float32))
        branch.linear.bias.copy_(torch.as_tensor(baseline.weights[0], dtype=torch.float32))
        image_head = network.head[-1]
        image_head.weight.zero_()
        image_head.bias.zero_()
    return {"features_used": int(used.sum()), "training_cases": len(train_cases)}
