"""Augmented training batches, drawn in the training process or in DataLoader worker processes.

On a GPU the network step takes milliseconds while one augmented patch takes a tenth of a second on a CPU core,
so a GPU run draws its batches in parallel workers (`train-seg --workers N`). Every stream is seeded from
(seed, epoch, rank, worker): a run is reproducible for a given worker count, and a resumed run draws what an
unbroken one would have drawn. With no workers the stream is exactly the single-process one of earlier releases.
"""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np
import torch
from monai.data import get_track_meta, set_track_meta

from ..slices import slice_stack
from .augmentation import build_augmentation

LABELLED_SLICE_SHARE = 2 / 3   # 2.5D: share of slices drawn among those with an organ (as pos=2, neg=1 in 3D)


class BatchStream(torch.utils.data.IterableDataset):
    """`batches` augmented batches of one epoch, shared out among the DataLoader's workers (if any)."""

    def __init__(self, volumes, probabilities, patch_zyx, batch_size: int, batches: int, seed: int, epoch: int,
                 rank: int, shape: str = "affine", context: int | None = None, organ=False, voxel_mm=None,
                 normalization: str = "zscore"):
        super().__init__()
        self.volumes, self.probabilities, self.patch_zyx, self.shape = volumes, probabilities, patch_zyx, shape
        self.organ, self.voxel_mm, self.normalization = organ, voxel_mm, normalization
        self.context = context   # 2.5D: slices either side (patch_zyx is then (y, x)); None: 3D patches
        self.batch_size, self.batches = batch_size, batches
        self.seed, self.epoch, self.rank = seed, epoch, rank

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        if info is None:
            rng, count = np.random.default_rng([self.seed, self.epoch, self.rank]), self.batches
        else:
            rng = np.random.default_rng([self.seed, self.epoch, self.rank, info.id])
            count = len(range(info.id, self.batches, info.num_workers))
        augment = build_augmentation(int(rng.integers(2**31)), self.patch_zyx, self.shape, self.organ, self.voxel_mm,
                                     self.normalization)
        for _ in range(count):
            yield draw_batch(self.volumes, self.probabilities, augment, rng, self.batch_size, self.context)


def epoch_batches(stream: BatchStream, workers: int, pin_memory: bool = False):
    """Iterate one epoch's batches: in this process (workers=0) or from `workers` forked processes, in a fixed
    round-robin order so the sequence does not depend on which worker finishes first."""
    if workers <= 0:
        return iter(stream)
    loader = torch.utils.data.DataLoader(stream, batch_size=None, num_workers=min(workers, stream.batches),
                                         pin_memory=pin_memory, prefetch_factor=4)
    return iter(loader)


def draw_batch(volumes, probabilities, augment, rng, batch_size, context: int | None = None):
    """(images (B,1,z,y,x) float32, labels (B,z,y,x) int64, labelled (B,classes) bool) from random volumes;
    2.5D (context k): images (B,2k+1,y,x), labels (B,y,x) of each stack's middle slice."""
    images, labels, labelled = [], [], []
    with _without_metadata():
        for index in rng.choice(len(volumes), size=batch_size, p=probabilities):
            image, label = _augmented_sample(volumes[index], augment, rng, context)
            images.append(image)
            labels.append(label)
            labelled.append(torch.from_numpy(volumes[index].labelled))
    return torch.stack(images), torch.stack(labels), torch.stack(labelled)


def _augmented_sample(volume, augment, rng, context):
    if context is None:
        arrays = {"image": volume.image[None], "label": volume.label[None], "body": volume.body[None]}
    else:
        arrays = _slice_sample(volume, context, rng)
    sample = augment(arrays)
    sample = sample[0] if isinstance(sample, list) else sample
    return (torch.as_tensor(np.asarray(sample["image"]), dtype=torch.float32),
            torch.as_tensor(np.asarray(sample["label"])[0]).round().long())


@contextmanager
def _without_metadata():
    """MONAI transforms on plain arrays: training patches need no affine or history, and tracking them cost 8 of
    the 52 ms a 2.5D sample took (the random draws and the values are the same)."""
    tracked = get_track_meta()
    set_track_meta(False)
    try:
        yield
    finally:
        set_track_meta(tracked)


def _slice_sample(volume, context: int, rng) -> dict:
    """One slice with its neighbours as channels: among the slices with an organ LABELLED_SLICE_SHARE of the time."""
    with_organs = np.flatnonzero(volume.label.reshape(volume.label.shape[0], -1).any(axis=1))
    if len(with_organs) and rng.random() < LABELLED_SLICE_SHARE:
        index = int(rng.choice(with_organs))
    else:
        index = int(rng.integers(volume.image.shape[0]))
    return {"image": slice_stack(volume.image, index, context), "label": volume.label[index][None],
            "body": slice_stack(volume.body, index, context), "organs": slice_stack(volume.label, index, context)}
