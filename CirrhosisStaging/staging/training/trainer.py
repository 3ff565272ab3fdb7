"""The staging training loop: patient-level splits from the release, class weighting, augmentation,
resumable checkpoints, temperature calibration; CPU or torchrun multi-GPU."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from ...evaluation.metrics import classification_report, negative_log_likelihood, softmax
from ...models.torch_files import load_state_into, load_torch_file
from ...training.checkpoint import load_checkpoint, save_checkpoint
from ...training.distributed import barrier, init_device, shutdown
from ...training.schedule import set_cosine_learning_rate
from ..network import DEFAULT_STAGING_ARCHITECTURE, build_staging_network
from ..stages import STAGES
from .augmentation import augment_case
from .calibration import fit_temperature
from .initialization import load_matching_weights, start_from_baseline


@dataclass
class StagingTrainingConfig:
    out_dir: Path
    architecture: dict = field(default_factory=lambda: dict(DEFAULT_STAGING_ARCHITECTURE))
    epochs: int = 40
    batch_size: int = 4
    learning_rate: float = 1e-3
    weight_decay: float = 1e-3
    label_smoothing: float = 0.05
    seed: int = 0
    device: str = "auto"
    max_minutes: float | None = None
    init_weights: Path | None = None      # start the image encoders from an earlier model's weights

    def to_json(self) -> dict:
        return {**asdict(self), "out_dir": str(self.out_dir),
                "init_weights": None if self.init_weights is None else str(self.init_weights)}


def train_staging(config: StagingTrainingConfig, train_cases, val_cases, resume: bool = True, progress: bool = True):
    """Train; writes out_dir/last.pt (resumable) and out_dir/best.pt (calibrated weights); returns the history."""
    import torch

    device, setup = init_device(config.device)
    out_dir = Path(config.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(config.seed)
    network = build_staging_network(config.architecture)
    checkpoint_path = out_dir / "last.pt"
    if not (resume and checkpoint_path.exists()):
        if config.init_weights is not None:
            load_matching_weights(network, Path(config.init_weights))
        start_from_baseline(network, train_cases)
    network = network.to(device)
    model = network
    if setup.enabled:
        # A batch holding only one sequence leaves the other encoder unused.
        network = torch.nn.parallel.DistributedDataParallel(network, find_unused_parameters=True)
    optimizer = torch.optim.AdamW(network.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay)
    scaler = torch.amp.GradScaler("cuda", enabled=device.type == "cuda")
    counts = np.bincount([c.stage_index for c in train_cases], minlength=len(STAGES)).astype(float)
    class_weights = torch.tensor(counts.sum() / (len(STAGES) * np.maximum(counts, 1)), dtype=torch.float32, device=device)
    loss_function = torch.nn.CrossEntropyLoss(weight=class_weights, label_smoothing=config.label_smoothing)
    steps_per_epoch = max(1, len(train_cases) // (config.batch_size * setup.world_size))
    total_steps = config.epochs * steps_per_epoch
    state = {"epoch": 0, "step": 0, "minutes": 0.0, "best_score": None, "history": []}
    if resume and checkpoint_path.exists():
        state = load_checkpoint(checkpoint_path, model, optimizer, scaler)
    if setup.is_main:
        (out_dir / "config.json").write_text(json.dumps(config.to_json(), indent=2))

    started = time.monotonic() - 60 * state["minutes"]
    for epoch in range(state["epoch"], config.epochs):
        if config.max_minutes is not None and state["minutes"] >= config.max_minutes:
            break   # resumed after the budget was spent (e.g. to --publish): train no further
        network.train()
        rng = np.random.default_rng([config.seed, epoch, setup.rank])  # resumed runs draw the same batches
        order = rng.permutation(len(train_cases))[setup.rank::setup.world_size]
        losses = []
        bar = tqdm(range(steps_per_epoch), desc=f"epoch {epoch + 1}/{config.epochs}",
                   disable=not (progress and setup.is_main), leave=False)
        for step in bar:
            batch = [train_cases[i] for i in order[step * config.batch_size:(step + 1) * config.batch_size]]
            losses.append(_train_step(network, batch, rng, loss_function, optimizer, scaler, device))
            set_cosine_learning_rate(optimizer, config.learning_rate, state["step"], total_steps,
                                     (time.monotonic() - started) / 60, config.max_minutes)
            state["step"] += 1
            bar.set_postfix(loss=f"{np.mean(losses):.3f}")
        record = {"epoch": epoch + 1, "loss": float(np.mean(losses)), "minutes": (time.monotonic() - started) / 60}
        if setup.is_main:
            logits, labels = predict_logits(model, val_cases, device)
            if len(labels):
                report = classification_report(labels, softmax(logits), STAGES)
                record.update(val_nll=negative_log_likelihood(logits, labels), val_accuracy=report["accuracy"],
                              val_kappa=report["quadratic_kappa"])
                if state["best_score"] is None or record["val_nll"] < state["best_score"]:
                    state["best_score"] = record["val_nll"]
                    torch.save(model.state_dict(), out_dir / "best.pt")
            state["history"].append(record)
            state.update(epoch=epoch + 1, minutes=record["minutes"])
            save_checkpoint(checkpoint_path, model, optimizer, scaler, state)
            if progress:
                print(json.dumps(record), flush=True)
        barrier(setup)
        if config.max_minutes is not None and record["minutes"] >= config.max_minutes:
            break
    if setup.is_main:
        _calibrate_best(out_dir, config, train_cases, val_cases, device)
    shutdown(setup)
    return state["history"]


def predict_logits(network, cases, device, sequences=None):
    """Logits per case as the network returns them (already divided by its stored temperature)."""
    import torch

    network.eval()
    logits, labels = [], []
    with torch.inference_mode():
        for case in cases:
            present = [s for s in case.arrays if sequences is None or s in sequences]
            if not present:
                continue
            inputs = {s: torch.from_numpy(case.arrays[s])[None].to(device) for s in present}
            biomarkers = _biomarker_tensor([case], present, device)
            logits.append(network(inputs, biomarkers).float().cpu().numpy()[0])
            labels.append(case.stage_index)
    network.train()
    return np.array(logits).reshape(-1, network.head[-1].out_features), np.array(labels, dtype=int)


def _train_step(network, batch, rng, loss_function, optimizer, scaler, device) -> float:
    import torch

    # Cases in a batch may carry different sequences: group them so each forward sees a consistent set.
    groups: dict[tuple, list] = {}
    for case in batch:
        arrays = augment_case(case.arrays, rng)
        groups.setdefault(tuple(sorted(arrays)), []).append((arrays, case.stage_index, case))
    optimizer.zero_grad(set_to_none=True)
    total = 0.0
    for sequences, members in groups.items():
        inputs = {s: torch.from_numpy(np.stack([m[0][s] for m in members])).to(device) for s in sequences}
        labels = torch.tensor([m[1] for m in members], device=device)
        biomarkers = _biomarker_tensor([m[2] for m in members], sequences, device)
        with torch.autocast(device.type, enabled=device.type == "cuda"):
            logits = network(inputs, biomarkers)
        loss = loss_function(logits.float(), labels) * len(members) / len(batch)
        scaler.scale(loss).backward()
        total += float(loss.detach())
    scaler.step(optimizer)
    scaler.update()
    return total


def _biomarker_tensor(cases, sequences, device):
    """(B, features) biomarkers measured on the sequences the network is given (None for cases without any)."""
    import torch

    if not all(case.biomarkers for case in cases):
        return None
    return torch.from_numpy(np.stack([case.biomarker_vector(sequences) for case in cases])).to(device)


def _calibrate_best(out_dir: Path, config, train_cases, val_cases, device) -> None:
    """On the best weights: the temperature and the conformal threshold from validation logits, and the training
    cases' feature reference (out-of-distribution check); stored in best.pt and calibration.json."""
    import torch

    from ...evaluation.metrics import expected_calibration_error
    from ..feature_reference import fit_feature_reference
    from .calibration import CONFORMAL_COVERAGE, conformal_threshold

    best = out_dir / "best.pt"
    if not best.exists() or not val_cases:
        return
    network = build_staging_network(config.architecture).to(device)
    load_state_into(network, load_torch_file(best, map_location=device), best)
    network.temperature.fill_(1.0)
    logits, labels = predict_logits(network, val_cases, device)
    temperature = fit_temperature(logits, labels)
    network.temperature.fill_(temperature)
    reference = {}
    if getattr(network, "has_feature_reference", False):
        by_sequence = {s: [case.arrays[s] for case in train_cases if s in case.arrays] for s in ("t1", "t2")}
        reference = fit_feature_reference(network, by_sequence, device)
    torch.save(network.state_dict(), best)
    calibrated = softmax(logits / temperature)
    (out_dir / "calibration.json").write_text(json.dumps(
        {"temperature": temperature, "val_nll_before": negative_log_likelihood(logits, labels),
         "val_nll_after": negative_log_likelihood(logits / temperature, labels), "val_patients": int(len(labels)),
         "val_ece_before": expected_calibration_error(labels, softmax(logits)),
         "val_ece_after": expected_calibration_error(labels, calibrated),
         "conformal_coverage": CONFORMAL_COVERAGE,
         "conformal_threshold": conformal_threshold(calibrated, labels, CONFORMAL_COVERAGE),
         "feature_reference": reference}, indent=2))
