"""Training batches drawn in worker processes: reproducible, complete, and the in-process stream unchanged."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from synthetic_volumes import make_volume, organ_mask, write_training_items

from CirrhosisStaging.io import write_image
from CirrhosisStaging.segmentation.training.batches import BatchStream, epoch_batches
from CirrhosisStaging.segmentation.training.volumes import prepare_volume

PATCH = (8, 16, 16)


@pytest.fixture(scope="module")
def volumes(tmp_path_factory):
    return [prepare_volume(item, (6.0, 6.0, 8.0), 5) for item in write_training_items(tmp_path_factory.mktemp("batches"))]


def _images(volumes, workers, epoch=0, batches=5):
    stream = BatchStream(volumes, np.array([0.5, 0.5]), PATCH, batch_size=2, batches=batches, seed=3, epoch=epoch, rank=0)
    return [images for images, _, _ in epoch_batches(stream, workers)]


@pytest.mark.parametrize("workers", [0, 2])
def test_an_epoch_has_every_batch_and_repeats_exactly(volumes, workers):
    first, again = _images(volumes, workers), _images(volumes, workers)
    assert len(first) == 5 and all(images.shape == (2, 1, *PATCH) for images in first)
    assert all(torch.equal(a, b) for a, b in zip(first, again))
    assert not torch.equal(first[0], _images(volumes, workers, epoch=1)[0])   # each epoch draws afresh


def test_worker_batches_are_distinct_draws_with_labels_and_flags(volumes):
    stream = BatchStream(volumes, np.array([0.5, 0.5]), PATCH, batch_size=2, batches=4, seed=3, epoch=0, rank=0)
    batches = list(epoch_batches(stream, 2))
    assert not torch.equal(batches[0][0], batches[1][0])   # two workers, two different random streams
    for images, labels, labelled in batches:
        assert labels.dtype == torch.int64 and labels.shape == (2, *PATCH) and set(labels.unique().tolist()) <= set(range(5))
        assert labelled.dtype == torch.bool and labelled.all()
        assert torch.isfinite(images).all()


def test_in_process_stream_is_seeded_by_seed_epoch_and_rank_alone(volumes):
    """A run without workers keeps the stream of earlier releases (a resumed run redraws the same batches)."""
    from CirrhosisStaging.segmentation.training.augmentation import build_augmentation
    from CirrhosisStaging.segmentation.training.batches import draw_batch

    rng = np.random.default_rng([3, 0, 0])
    augment = build_augmentation(int(rng.integers(2**31)), PATCH)
    expected = draw_batch(volumes, np.array([0.5, 0.5]), augment, rng, 2)[0]
    assert torch.equal(_images(volumes, 0)[0], expected)


def test_torchrun_trains_with_two_processes_and_rank_zero_alone_reports(tmp_path):
    """DistributedDataParallel through torchrun (gloo on CPU here; NCCL on GPUs takes the same path)."""
    import json
    import os
    import subprocess
    import sys

    chaos = tmp_path / "chaos"
    chaos.mkdir()
    for subject in range(1, 6):
        image = make_volume(seed=subject)
        write_image(image, chaos / f"image_{subject}.nii.gz")
        write_image(organ_mask(image), chaos / f"label_{subject}.nii.gz")
    out = tmp_path / "run"
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", "--standalone",
               "-m", "CirrhosisStaging.cli.main", "train-seg", "--chaos", str(chaos), "--out", str(out),
               "--spacing", "8,8,10", "--epochs", "2", "--iterations", "2", "--device", "cpu", "--workers", "1"]
    result = subprocess.run(command, capture_output=True, encoding="utf-8", errors="replace", timeout=240,
                            env={**os.environ, "OMP_NUM_THREADS": "1", "TMPDIR": str(tmp_path)})   # torchrun's logs
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.count("best weights:") == 1   # one report, from rank 0
    history = json.loads((out / "history.json").read_text())
    assert [record["epoch"] for record in history] == [1, 2] and "val_dice_liver@chaos" in history[0]
    assert (out / "best.pt").exists() and (out / "last.pt").exists()


def test_deform_shape_augmentation_moves_image_and_labels_together():
    from monai.transforms import Compose

    from CirrhosisStaging.segmentation.training.augmentation import _shape_transforms

    label = np.zeros((1, 24, 64, 64), np.float32)
    label[:, 6:18, 12:44, 10:54] = 1   # a box "liver"
    overlaps, changed = [], 0
    for seed in range(6):
        shape = Compose(_shape_transforms("deform"))
        shape.set_random_state(seed=seed)
        out = shape({"image": label.copy(), "label": label.copy(), "body": np.ones_like(label)})
        image, moved = np.asarray(out["image"])[0] > 0.5, np.asarray(out["label"])[0]
        assert set(np.unique(moved).tolist()) <= {0.0, 1.0}   # labels resampled by nearest neighbour
        moved = moved > 0.5
        # The image went where the labels went (two resamplings, so edges may differ by a voxel).
        overlaps.append(2 * np.sum(image & moved) / (image.sum() + moved.sum()))
        changed += int(np.mean(moved != (label[0] > 0.5)) > 0.01)
    assert min(overlaps) > 0.93 and np.mean(overlaps) > 0.97, overlaps
    assert changed >= 3   # most draws really change the shape


def test_unknown_shape_augmentation_is_refused():
    from CirrhosisStaging.segmentation.training.augmentation import build_augmentation

    with pytest.raises(ValueError, match="elastic"):
        build_augmentation(0, PATCH, "elastic")


def test_deform_stream_differs_from_affine_stream(volumes):
    def first_batch(shape):
        stream = BatchStream(volumes, np.array([0.5, 0.5]), PATCH, 2, 1, seed=3, epoch=0, rank=0, shape=shape)
        return next(epoch_batches(stream, 0))[0]

    assert torch.equal(first_batch("affine"), _images(volumes, 0)[0])   # the default is the old recipe
    assert not torch.equal(first_batch("deform"), first_batch("affine"))


def test_split_seed_holds_out_the_same_chaos_subjects_whatever_the_training_seed(tmp_path, monkeypatch):
    """Members trained with different seeds can be combined only if no member trained on the held-out subjects."""
    import json

    from CirrhosisStaging.cli.main import main
    from CirrhosisStaging.segmentation.training import trainer

    monkeypatch.setattr(trainer, "train_segmentation", lambda *args, **kwargs: [])   # the split alone is under test
    chaos = tmp_path / "chaos"
    chaos.mkdir()
    image = make_volume(seed=0)
    for subject in range(1, 11):
        write_image(image, chaos / f"image_{subject}.nii.gz")
        write_image(organ_mask(image), chaos / f"label_{subject}.nii.gz")

    def held_out(*options):
        out = tmp_path / "-".join(options)
        assert main(["train-seg", "--chaos", str(chaos), "--out", str(out), *options]) == 0
        return json.loads((out / "split.json").read_text())["validation"]

    default = held_out("--seed", "0")
    assert len(default) == 2
    assert held_out("--seed", "1", "--split-seed", "0") == held_out("--seed", "5", "--split-seed", "0") == default
    assert any(held_out("--seed", str(seed)) != default for seed in (1, 2, 3))   # without it the seed moves the split


def test_percentile_scaling_matches_monai_and_batches_carry_no_metadata(volumes):
    from monai.data import MetaTensor, get_track_meta
    from monai.transforms import ScaleIntensityRangePercentilesd

    from CirrhosisStaging.segmentation.training.augmentation import PercentileRangeScaled

    rng = np.random.default_rng(0)
    image = rng.gamma(2.0, 1.0, size=(3, 24, 24)).astype(np.float32)
    ours = PercentileRangeScaled("image", 0.5, 99.5)({"image": MetaTensor(torch.from_numpy(image))})["image"]
    theirs = ScaleIntensityRangePercentilesd("image", 0.5, 99.5, 0.0, 1.0, clip=True)({"image": image})["image"]
    np.testing.assert_allclose(ours, np.asarray(theirs), atol=1e-6)
    assert ours.min() == 0.0 and ours.max() == 1.0
    flat = PercentileRangeScaled("image", 0.5, 99.5)({"image": np.full((1, 4, 4), 7.0, np.float32)})["image"]
    assert np.all(flat == 0.0)   # a patch of one value has no range: zeros, never a division by zero
    images = _images(volumes, 0, batches=1)[0]
    assert type(images) is torch.Tensor and get_track_meta()   # plain tensors out, MONAI's switch restored


@pytest.mark.parametrize("broken, message", [("shifted", "mask grid does not match the image grid"),
                                             ("empty", "mask is empty")])
def test_a_training_label_off_its_image_grid_or_empty_is_refused(tmp_path, broken, message):
    """Resampled from another grid, a label would teach misplaced organs; an empty one, that no organ is there."""
    from dataclasses import replace

    from CirrhosisStaging.errors import InputError

    item = write_training_items(tmp_path, count=1)[0]
    label = organ_mask(make_volume(seed=0))
    if broken == "shifted":
        label.SetOrigin(tuple(value + 30.0 for value in label.GetOrigin()))
    else:
        label *= 0
    write_image(label, tmp_path / "broken.nii.gz")
    with pytest.raises(InputError, match=message) as caught:
        prepare_volume(replace(item, label=tmp_path / "broken.nii.gz"), (6.0, 6.0, 8.0), 5)
    assert caught.value.path == str(tmp_path / "broken.nii.gz")
