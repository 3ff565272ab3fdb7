"""Augmented training batches, drawn in the training process or in DataLoader worker processes.

On a GPU the network step takes milliseconds while one augmented patch takes a tenth of a second on a CPU core,
so a GPU run draws its batches in parallel workers (`train-seg --workers N`). Every stream is seeded from
(seed, epoch, rank, worker): a run is reproducible for a given worker count, and a resumed run draws what an
unbroken one would have drawn. With no workers the stream is exactly the single-process one of earlier releases.
"""

from __future__ import annotations

import numpy as np
import torch

from .augmentation import build_augmentation


class BatchStream(torch.utils.data.IterableDataset):
    """`batches` augmented batches of one epoch, shared out among the DataLoader's workers (if any)."""

    def __init__(self, volumes, probabilities, patch_zyx, batch_size: int, batches: int, seed: int, epoch: int,
                 rank: int, shape: str = "affine"):
        super().__init__()
        self.volumes, self.probabilities, self.patch_zyx, self.shape = volumes, probabilities, patch_zyx, shape
        self.batch_size, self.batches = batch_size, batches
        self.seed, self.epoch, self.rank = seed, epoch, rank

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        if info is None:
            rng, count = np.random.default_rng([self.seed, self.epoch, self.rank]), self.batches
        else:
            rng = np.random.default_rng([self.seed, self.epoch, self.rank, info.id])
            count = len(range(info.id, self.batches, info.num_workers))
        augment = build_augmentation(int(rng.integers(2**31)), self.patch_zyx, self.shape)
        for _ in range(count):
            yield draw_batch(self.volumes, self.probabilities, augment, rng, self.batch_size)


def epoch_batches(stream: BatchStream, workers: int, pin_memory: bool = False):
    """Iterate one epoch's batches: in this process (workers=0) or from `workers` forked processes, in a fixed
    round-robin order so the sequence does not depend on which worker finishes first."""
    if workers <= 0:
        return iter(stream)
    loader = torch.utils.data.DataLoader(stream, batch_size=None, num_workers=min(workers, stream.batches),
                                         pin_memory=pin_memory, prefetch_factor=4)
    return iter(loader)


def draw_batch(volumes, probabilities, augment, rng, batch_size):
    """(images (B,1,z,y,x) float32, labels (B,z,y,x) int64, labelled (B,classes) bool) from random volumes."""
    images, labels, labelled = [], [], []
    for index in rng.choice(len(volumes), size=batch_size, p=probabilities):
        volume = volumes[index]
        sample = augment({"image": volume.image[None], "label": volume.label[None], "body": volume.body[None]})
        sample = sample[0] if isinstance(sample, list) else sample
        images.append(torch.as_tensor(np.asarray(sample["image"]), dtype=torch.float32))
        labels.append(torch.as_tensor(np.asarray(sample["label"])[0]).round().long())
        labelled.append(torch.from_numpy(volume.labelled))
    return torch.stack(images), torch.stack(labels), torch.stack(labelled)
