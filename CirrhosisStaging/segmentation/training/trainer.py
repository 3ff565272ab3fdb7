"""The segmentation training loop: resumable, seeded, per-epoch validation Dice, CPU or (multi-)GPU."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from ..labels import CLASS_NAMES, LIVER, NUM_CLASSES
from ..metrics import dice
from ..inference import window_for_spacing
from ..network import DEFAULT_ARCHITECTURE, build_network
from ...training.checkpoint import load_checkpoint, load_initial_weights, save_checkpoint
from ...training.distributed import barrier, init_device, shutdown
from ...training.schedule import set_cosine_learning_rate
from .volumes import PreparedVolume, cached_volume

DEFAULT_SPACING_XYZ = (2.5, 2.5, 5.0)
LAST_EPOCH = "last"   # select_on value: keep the last epoch, choose nothing on validation data


@dataclass
class TrainingConfig:
    out_dir: Path
    spacing_xyz: tuple = DEFAULT_SPACING_XYZ
    patch_zyx: tuple | None = None   # None: the inference window for spacing_xyz
    architecture: dict = field(default_factory=lambda: dict(DEFAULT_ARCHITECTURE))
    epochs: int = 50
    iterations_per_epoch: int = 50
    batch_size: int = 2
    learning_rate: float = 2e-3
    weight_decay: float = 1e-4
    seed: int = 0
    device: str = "auto"
    max_minutes: float | None = None
    source_weights: dict = field(default_factory=dict)   # item name prefix -> sampling weight
    init_weights: Path | None = None   # fine-tune: start from these weights (ignored when resuming)
    workers: int = 0   # processes drawing augmented batches (0: in the training process)
    select_on: str | None = None   # choose best.pt on this source's liver Dice (e.g. "chaos"), not the whole mix
    shape_augmentation: str = "affine"   # or "deform" (augmentation.SHAPE_AUGMENTATIONS)
    context_slices: int = 0   # > 0: a 2.5D network (2D, this many slices either side as channels); 0: 3D
    organ_augmentation: bool = False   # darkened livers, fluid-filled structures (organ_augmentation.py)
    organ_contrast_prob: float = 0.4   # with organ_augmentation: how often, and how dark, liver and spleen change
    organ_darkest: float = 0.3
    organ_rim_prob: float = 0.0        # with organ_augmentation: share of patches with a fluid rim (ascites)
    normalization: str = "zscore"      # or "robust" (preprocessing.intensity.NORMALIZATIONS); stored in the architecture
    volume_cache: Path | None = None   # prepared training volumes kept here as .npz (volumes.cached_volume)

    def __post_init__(self):
        self.spacing_xyz = tuple(float(v) for v in self.spacing_xyz)
        if self.context_slices:
            self.architecture = planar_architecture(self.architecture, self.context_slices)
        if self.normalization != "zscore":   # the manifest tells inference which normalisation the weights expect
            self.architecture = dict(self.architecture, normalization=self.normalization)
        self.organ_settings   # refuses impossible organ augmentation settings now, not an epoch into training
        window = window_for_spacing(self.spacing_xyz)
        self.patch_zyx = tuple(self.patch_zyx) if self.patch_zyx else (window[-2:] if self.context_slices else window)

    @property
    def context(self) -> int | None:
        """What Segmenter and BatchStream take: slices either side for a 2.5D network, None for a 3D one."""
        return self.context_slices or None

    @property
    def organ_settings(self):
        """What BatchStream takes: None, or the organ augmentation's settings."""
        from .organ_augmentation import OrganAugmentation

        if not self.organ_augmentation:
            return None
        return OrganAugmentation(contrast_prob=self.organ_contrast_prob, darkest=self.organ_darkest,
                                 rim_prob=self.organ_rim_prob)

    @property
    def patch_voxel_mm(self) -> tuple:
        """Model spacing along the patch's axes ((z, y, x) in 3D, (y, x) for a 2.5D network)."""
        return self.spacing_xyz[:2][::-1] if self.context_slices else self.spacing_xyz[::-1]

    def to_json(self) -> dict:
        data = asdict(self)
        for key in ("out_dir", "init_weights", "volume_cache"):
            data[key] = None if data[key] is None else str(data[key])
        return data


def planar_architecture(architecture: dict, context: int) -> dict:
    """The 2.5D form of an architecture: 2D, with the slice and `context` neighbours either side as channels."""
    planar = dict(architecture, spatial_dims=2, in_channels=2 * context + 1)
    if int(architecture.get("spatial_dims", 3)) == 2 and architecture.get("in_channels") != planar["in_channels"]:
        raise ValueError(f"a 2D architecture with {architecture.get('in_channels')} input channels cannot take "
                         f"{context} slices either side ({planar['in_channels']} channels)")
    return planar


def train_segmentation(config: TrainingConfig, train_items, val_items, resume: bool = True, progress: bool = True):
    """Train; returns the history (one dict per epoch). Checkpoints: out_dir/last.pt, best weights out_dir/best.pt."""
    import torch

    from .batches import BatchStream, epoch_batches

    device, setup = init_device(config.device)
    out_dir = Path(config.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(config.seed + setup.rank)
    torch.backends.cudnn.benchmark = device.type == "cuda"   # fixed patch size: let cuDNN pick its fastest kernels

    def prepared(item):
        return cached_volume(item, config.spacing_xyz, NUM_CLASSES, config.normalization, config.volume_cache)

    volumes = [prepared(item) for item in tqdm(train_items, desc="preparing training volumes", disable=not progress)]
    validation = [prepared(item) for item in val_items] if setup.is_main else []
    sampling = _sampling_probabilities(volumes, config.source_weights)

    network = build_network(config.architecture)
    if config.init_weights is not None:
        from .context_widening import widen_input_channels

        # A 2.5D run may take more neighbouring slices than the weights it starts from.
        load_initial_weights(Path(config.init_weights), network, widen_input_channels if config.context_slices else None)
    network = network.to(device)
    if setup.enabled:
        network = torch.nn.parallel.DistributedDataParallel(network, device_ids=[device.index] if device.index is not None else None)
    optimizer = torch.optim.AdamW(network.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay)
    total_steps = config.epochs * config.iterations_per_epoch
    scaler = torch.amp.GradScaler("cuda", enabled=device.type == "cuda")
    state = {"epoch": 0, "best_score": float("-inf"), "history": [], "step": 0, "minutes": 0.0}
    checkpoint_path = out_dir / "last.pt"
    if resume and checkpoint_path.exists():
        state = load_checkpoint(checkpoint_path, network, optimizer, scaler)
    if setup.is_main:
        (out_dir / "config.json").write_text(json.dumps(config.to_json(), indent=2))

    from .partial_labels import marginal_dice_ce

    started = time.monotonic() - 60 * state["minutes"]  # a resumed run keeps its clock
    for epoch in range(state["epoch"], config.epochs):
        if config.max_minutes is not None and state["minutes"] >= config.max_minutes:
            break   # resumed after the budget was spent (e.g. to --publish): train no further
        network.train()
        # Random streams are reseeded from (seed, epoch, rank) each epoch: a resumed run draws exactly
        # what an unbroken one would have drawn, with no generator state to checkpoint.
        stream = BatchStream(volumes, sampling, config.patch_zyx, config.batch_size, config.iterations_per_epoch,
                             config.seed, epoch, setup.rank, config.shape_augmentation, config.context,
                             config.organ_settings, config.patch_voxel_mm, config.normalization)
        losses = []
        steps = tqdm(epoch_batches(stream, config.workers, pin_memory=device.type == "cuda"),
                     total=config.iterations_per_epoch, desc=f"epoch {epoch + 1}/{config.epochs}",
                     disable=not (progress and setup.is_main), leave=False)
        for images, labels, labelled in steps:
            images = images.to(device, non_blocking=True)
            labels, labelled = labels.to(device, non_blocking=True), labelled.to(device)
            statistics = _norm_statistics(network)
            with torch.autocast(device.type, enabled=device.type == "cuda"):
                logits = network(images)
            loss = marginal_dice_ce(logits, labels, labelled)
            if not torch.isfinite(loss):
                # An overflow in half precision: skip the batch, and undo what its forward pass did to the batch-norm
                # running statistics (a NaN there stays for good and the network predicts background everywhere).
                _restore_norm_statistics(network, statistics)
                state["step"] += 1
                continue
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            set_cosine_learning_rate(optimizer, config.learning_rate, state["step"], total_steps,
                                     (time.monotonic() - started) / 60, config.max_minutes)
            scaler.step(optimizer)
            scaler.update()
            state["step"] += 1
            losses.append(float(loss.detach()))
            steps.set_postfix(loss=f"{np.mean(losses):.3f}")
        record = {"epoch": epoch + 1, "loss": float(np.mean(losses)), "minutes": (time.monotonic() - started) / 60}
        if setup.is_main:
            model = network.module if setup.enabled else network
            record.update(validate(model, validation, device, config.spacing_xyz, config.context, config.normalization))
            score = record["selection_score"] = selection_score(record, config.select_on)
            state["history"].append(record)
            if score > state["best_score"]:
                state["best_score"] = score
                torch.save(model.state_dict(), out_dir / "best.pt")
            state["epoch"] = epoch + 1
            state["minutes"] = record["minutes"]
            save_checkpoint(checkpoint_path, model, optimizer, scaler, state)
            (out_dir / "history.json").write_text(json.dumps(state["history"], indent=2))
            if progress:
                print(json.dumps(record), flush=True)
        barrier(setup)
        if config.max_minutes is not None and (time.monotonic() - started) / 60 >= config.max_minutes:
            break
    shutdown(setup)
    return state["history"]


def validate(network, volumes: list[PreparedVolume], device, spacing_xyz=DEFAULT_SPACING_XYZ,
             context: int | None = None, normalization: str = "zscore") -> dict:
    """Mean Dice per class over validation volumes, in model space (quick; the benchmark uses input grids)."""
    if not volumes:
        return {}
    from ..inference import Segmenter

    segmenter = Segmenter(network, spacing_xyz, device, context=context, normalization=normalization)
    scores: dict[str, list[float]] = {}
    for volume in volumes:
        predicted = segmenter.probabilities(volume.image).argmax(axis=0)
        for label, name in CLASS_NAMES.items():
            if label and volume.labelled[label] and (volume.label == label).any():
                value = dice(predicted == label, volume.label == label)
                scores.setdefault(f"val_dice_{name.replace(' ', '_')}", []).append(value)
                if label == LIVER:   # per source too: phantoms score high and would drown real data in a mixed mean
                    scores.setdefault(f"val_dice_liver@{volume.item.source or 'unnamed'}", []).append(value)
    network.train()
    return {key: float(np.mean(values)) for key, values in scores.items()}


def selection_score(record: dict, select_on: str | None) -> float:
    """What best.pt maximises: liver Dice on the chosen source when it was validated, else on all validation series,
    else minus the training loss. "last": the epoch itself, so best.pt is always the last epoch (cross-validation:
    nothing is chosen on the subjects being scored)."""
    if select_on == LAST_EPOCH:
        return float(record["epoch"])
    if select_on and f"val_dice_liver@{select_on}" in record:
        return record[f"val_dice_liver@{select_on}"]
    return record.get("val_dice_liver", -record["loss"])


def _norm_statistics(network) -> list:
    """Copies of the batch-norm running statistics (small: two vectors a layer)."""
    return [(buffer, buffer.detach().clone()) for name, buffer in network.named_buffers() if "running_" in name]


def _restore_norm_statistics(network, statistics) -> None:
    import torch

    with torch.no_grad():
        for buffer, saved in statistics:
            buffer.copy_(saved)


def _sampling_probabilities(volumes, weights: dict) -> np.ndarray:
    raw = np.array([next((w for prefix, w in weights.items() if v.item.name.startswith(prefix)), 1.0) for v in volumes], float)
    return raw / raw.sum()

