"""Segmentation engine pieces with tiny networks (weights irrelevant): grids, post-processing, loss, metrics,
training resume. The shipped weights are tested in test_segment_command.py."""

from __future__ import annotations

import json

import numpy as np
import pytest
import SimpleITK as sitk
import torch
from synthetic_volumes import OBLIQUE, make_volume, organ_mask, write_training_items

from CirrhosisStaging.io import Grid
from CirrhosisStaging.segmentation.inference import Segmenter, probabilities_to_labels
from CirrhosisStaging.segmentation.metrics import dice, surface_distances
from CirrhosisStaging.segmentation.network import build_network
from CirrhosisStaging.segmentation.postprocess import postprocess_labels
from CirrhosisStaging.segmentation.training.partial_labels import marginal_dice_ce

TINY = {"class": "UNet", "spatial_dims": 3, "in_channels": 1, "out_channels": 5, "channels": [4, 8],
        "strides": [2], "num_res_units": 0}


def test_segmenter_writes_labels_on_exact_input_grid_for_oblique_input():
    image = make_volume(direction=OBLIQUE, origin=(5.0, -3.0, 40.0))
    segmenter = Segmenter(build_network(TINY), (4.0, 4.0, 6.0), "cpu")
    result = segmenter.segment(image)
    assert Grid.of(result.labels) == Grid.of(image)
    assert result.labels.GetPixelID() == sitk.sitkUInt8
    assert set(np.unique(sitk.GetArrayViewFromImage(result.labels))) <= {0, 1, 2, 3, 4}
    assert set(result.stage_seconds) == {"prepare", "network", "to_input_grid"}
    assert sum(result.stage_seconds.values()) == pytest.approx(result.seconds)


def test_the_order_voxels_are_stored_in_does_not_change_the_labels():
    """Axial, coronal- or sagittal-ordered storage of the same scan: same model input, same labels in space."""
    torch.manual_seed(0)
    segmenter = Segmenter(build_network(TINY), (4.0, 4.0, 6.0), "cpu")
    image = make_volume(direction=OBLIQUE)
    reference = sitk.GetArrayFromImage(segmenter.segment(image).labels)
    assert len(np.unique(reference)) >= 3   # random weights, but a map with several classes to compare
    for order in ([0, 2, 1], [2, 1, 0]):
        stored = sitk.PermuteAxes(image, order)
        labels = sitk.PermuteAxes(segmenter.segment(stored).labels, order)   # permuting back restores the order
        assert Grid.of(labels) == Grid.of(image)
        assert np.array_equal(sitk.GetArrayFromImage(labels), reference)


def test_probabilities_map_back_to_the_right_place():
    """A 'perfect' probability map made in model space lands on the organ in the original grid."""
    image = make_volume(direction=OBLIQUE)
    truth = organ_mask(image)
    from CirrhosisStaging.preprocessing import prepare

    space = prepare(image, (3.0, 3.0, 5.0))
    liver = sitk.GetArrayFromImage(space.to_model(truth, "nearest")).astype(np.float32)
    probabilities = np.stack([1 - liver, liver, *[np.zeros_like(liver)] * 3])
    labels = sitk.GetArrayFromImage(probabilities_to_labels(probabilities, space.image, image))
    assert dice(labels == 1, sitk.GetArrayFromImage(truth) == 1) > 0.9


def _labels_resampling_the_whole_grid(probabilities, model_image, original, edge_radius_mm=None):
    """The plain way (every class, every input voxel): what the organ-box shortcut must reproduce."""
    from CirrhosisStaging.preprocessing.resample import resample_to_reference
    from CirrhosisStaging.segmentation.edge_refinement import guided_filter, radius_voxels, scaled_guide
    from CirrhosisStaging.segmentation.postprocess import _clean, drop_air_like

    grid = Grid.of(model_image)
    stack = np.stack([sitk.GetArrayFromImage(resample_to_reference(
        grid.apply_to(sitk.GetImageFromArray(channel.astype(np.float32))), original, "linear"))
        for channel in probabilities])
    if edge_radius_mm:
        guide = scaled_guide(sitk.GetArrayFromImage(original))
        stack = guided_filter(guide, stack, radius_voxels(original.GetSpacing()[::-1], edge_radius_mm))
    stack[0] += 1e-6
    labels = drop_air_like(np.argmax(stack, axis=0).astype(np.uint8), sitk.GetArrayFromImage(original))
    return _clean(labels, original.GetSpacing()[::-1])


@pytest.mark.parametrize("edge_radius_mm", [None, 6.0])   # 6 mm: a window of 1 x 2 x 2 voxels a side here
def test_resampling_only_the_organ_box_gives_the_labels_of_the_whole_grid(edge_radius_mm):
    from scipy import ndimage

    from CirrhosisStaging.preprocessing import prepare
    from CirrhosisStaging.segmentation.foreground_region import foreground_box

    image = make_volume(size=(60, 56, 24), spacing=(3.0, 3.0, 6.0), direction=OBLIQUE, origin=(-90.0, -80.0, 10.0))
    space = prepare(image, (4.0, 4.0, 5.0))
    liver = sitk.GetArrayFromImage(space.to_model(organ_mask(image), "nearest")).astype(np.float32)
    spleen = np.roll(liver, -liver.shape[2] // 3, axis=2) * (1 - liver)
    organs = np.stack([ndimage.gaussian_filter(liver, 1.5), np.zeros_like(liver), np.zeros_like(liver),
                       ndimage.gaussian_filter(spleen, 1.5)])   # soft edges, as a network gives
    organs *= 0.98 / np.maximum(organs.sum(axis=0), 0.98)
    probabilities = np.concatenate([1 - organs.sum(axis=0, keepdims=True), organs])
    box = foreground_box(probabilities, space.image, image)
    assert box is not None and np.prod(np.subtract(box[3:], box[:3])) < 0.5 * np.prod(image.GetSize())
    expected = _labels_resampling_the_whole_grid(probabilities, space.image, image, edge_radius_mm)
    labels = sitk.GetArrayFromImage(probabilities_to_labels(probabilities, space.image, image, edge_radius_mm))
    assert (expected == 1).sum() > 500 and (expected == 4).sum() > 100
    assert np.mean(labels != expected) < 1e-4   # identical up to float ties between two classes


def test_no_organ_anywhere_gives_an_all_background_mask():
    from CirrhosisStaging.preprocessing import prepare

    image = make_volume(direction=OBLIQUE)
    space = prepare(image, (4.0, 4.0, 6.0))
    probabilities = np.zeros((5, *space.array.shape), np.float32)
    probabilities[0] = 0.9
    probabilities[1] = 0.04   # everywhere under the foreground floor
    labels = probabilities_to_labels(probabilities, space.image, image)
    assert Grid.of(labels) == Grid.of(image) and not sitk.GetArrayViewFromImage(labels).any()


def test_postprocessing_inside_the_organ_box_equals_postprocessing_the_whole_volume():
    from CirrhosisStaging.segmentation.postprocess import _clean

    rng = np.random.default_rng(4)
    for _ in range(5):
        labels = np.zeros((20, 32, 32), np.uint8)
        for label in rng.choice([1, 1, 2, 3, 4], size=8):
            z, y, x = rng.integers(0, [20, 32, 32])
            labels[z:z + rng.integers(1, 8), y:y + rng.integers(1, 12), x:x + rng.integers(1, 12)] = label
        labels[rng.integers(2, 18), 10:20, 10:20] = 0   # holes and clefts
        assert np.array_equal(postprocess_labels(labels, (5.0, 2.0, 2.0)), _clean(labels, (5.0, 2.0, 2.0)))
    assert not postprocess_labels(np.zeros((4, 5, 6), np.uint8)).any()


def test_postprocess_keeps_largest_liver_fills_holes_and_keeps_split_spleen():
    labels = np.zeros((30, 40, 40), np.uint8)
    labels[5:25, 5:25, 5:25] = 1          # liver
    labels[12:16, 12:16, 12:16] = 0       # a hole inside it
    labels[2:4, 35:38, 35:38] = 1         # a stray liver island
    labels[5:10, 30:38, 30:38] = 4        # spleen, two parts one 5 mm slice apart (a cleft)
    labels[11:16, 30:38, 30:38] = 4
    labels[28, 1, 1] = 2                  # one-voxel kidney speck
    result = postprocess_labels(labels, (5.0, 2.0, 2.0))
    assert (result[12:16, 12:16, 12:16] == 1).all()
    assert (result[2:4, 35:38, 35:38] == 0).all()
    assert (result == 4).sum() == (labels == 4).sum()
    assert result[28, 1, 1] == 0


def test_postprocess_drops_spleen_pieces_far_from_the_spleen():
    """"Spleen" in bowel or the other flank (over 1 mL, so not a speck) goes; the spleen and a piece 6 mm away stay."""
    labels = np.zeros((30, 60, 60), np.uint8)
    labels[5:20, 5:25, 35:55] = 4         # the spleen
    labels[8:12, 5:15, 58:60] = 4         # a 1.6 mL piece beyond a 6 mm gap (x 55..57 empty, 2 mm voxels)
    labels[10:15, 40:50, 2:10] = 4        # 8 mL of "spleen" behind a 30 mm gap
    result = postprocess_labels(labels, (5.0, 2.0, 2.0))
    assert (result[5:20, 5:25, 35:55] == 4).all()
    assert (result[8:12, 5:15, 58:60] == 4).all()
    assert not result[10:15, 40:50, 2:10].any()


@pytest.mark.parametrize("slice_mm", [5.0, 7.7, 9.0])
def test_one_missed_thick_slice_does_not_cut_the_spleen_in_two(slice_mm):
    labels = np.zeros((20, 40, 40), np.uint8)
    labels[4:9, 5:30, 5:30] = 4
    labels[10:15, 5:30, 5:30] = 4         # slice 9 missed: an empty gap of one slice
    result = postprocess_labels(labels, (slice_mm, 1.5, 1.5))
    assert (result == 4).sum() == (labels == 4).sum()


def test_marginal_loss_does_not_punish_unlabelled_organs():
    """On a liver-only label map, predicting spleen where the map says 0 costs nothing extra."""
    target = torch.zeros(1, 8, 8, 8, dtype=torch.long)
    target[:, 2:6, 2:6, 2:6] = 1
    logits = torch.full((1, 5, 8, 8, 8), -5.0)
    logits[:, 1][target == 1] = 5.0
    logits[:, 0][target == 0] = 5.0
    spleen_guess = logits.clone()
    spleen_guess[:, 4, 0:2] = 10.0        # "spleen" in a region the map calls background
    liver_only = torch.tensor([[True, True, False, False, False]])
    all_labelled = torch.ones(1, 5, dtype=torch.bool)
    assert marginal_dice_ce(spleen_guess, target, liver_only) == pytest.approx(float(marginal_dice_ce(logits, target, liver_only)), abs=1e-3)
    assert marginal_dice_ce(spleen_guess, target, all_labelled) > marginal_dice_ce(logits, target, all_labelled) + 0.1


def test_metrics_on_known_shapes():
    a = np.zeros((20, 20, 20), bool)
    a[5:15, 5:15, 5:15] = True
    b = np.roll(a, 2, axis=2)
    assert dice(a, a) == 1.0
    assert dice(a, b) == pytest.approx(0.8)
    hd95, assd = surface_distances(a, b, (1.0, 1.0, 3.0))
    assert hd95 == pytest.approx(6.0)
    assert 0 < assd < 6.0


def test_training_runs_checkpoints_and_resumes(tmp_path):
    from CirrhosisStaging.segmentation.training.trainer import TrainingConfig, train_segmentation

    items = write_training_items(tmp_path)
    config = TrainingConfig(out_dir=tmp_path / "run", spacing_xyz=(6.0, 6.0, 8.0), patch_zyx=(8, 16, 16),
                            architecture=TINY, epochs=2, iterations_per_epoch=2, device="cpu", select_on="toy")
    first = train_segmentation(config, items[:1], items[1:], progress=False)
    assert [r["epoch"] for r in first] == [1, 2] and "val_dice_liver" in first[0]
    assert first[0]["selection_score"] == first[0]["val_dice_liver@toy"]   # best.pt chosen on the named source
    assert (tmp_path / "run" / "last.pt").exists() and (tmp_path / "run" / "best.pt").exists()
    config.epochs = 3
    resumed = train_segmentation(config, items[:1], items[1:], progress=False)
    assert [r["epoch"] for r in resumed] == [1, 2, 3]
    state = torch.load(tmp_path / "run" / "best.pt", weights_only=True)
    build_network(TINY).load_state_dict(state)

    tuned = TrainingConfig(out_dir=tmp_path / "tuned", spacing_xyz=(6.0, 6.0, 8.0), patch_zyx=(8, 16, 16),
                           architecture=TINY, epochs=1, iterations_per_epoch=2, device="cpu", workers=2,
                           init_weights=tmp_path / "run" / "best.pt", shape_augmentation="deform")
    assert [r["epoch"] for r in train_segmentation(tuned, items[:1], items[1:], progress=False)] == [1]
    recorded = json.loads((tmp_path / "tuned" / "config.json").read_text())
    assert recorded["init_weights"].endswith("best.pt") and recorded["shape_augmentation"] == "deform"


def test_best_epoch_is_chosen_on_the_named_source_not_the_whole_mix():
    from CirrhosisStaging.segmentation.training.trainer import selection_score

    record = {"loss": 0.3, "val_dice_liver": 0.95, "val_dice_liver@chaos": 0.91, "val_dice_liver@phantoms": 0.97}
    assert selection_score(record, "chaos") == 0.91
    assert selection_score(record, None) == 0.95
    assert selection_score(record, "cirrmri") == 0.95   # that source was not validated: fall back to the mix
    assert selection_score({"loss": 0.3}, "chaos") == -0.3   # nothing validated: lowest loss wins


def test_fine_tuning_starts_from_given_weights_and_refuses_another_architecture(tmp_path):
    from CirrhosisStaging.errors import InputError
    from CirrhosisStaging.training.checkpoint import load_initial_weights

    torch.manual_seed(0)
    source = build_network(TINY)
    torch.save(source.state_dict(), tmp_path / "tiny.pt")
    torch.save({"model": source.state_dict(), "state": "{}"}, tmp_path / "last.pt")
    for path in (tmp_path / "tiny.pt", tmp_path / "last.pt"):
        torch.manual_seed(1)
        target = build_network(TINY)
        load_initial_weights(path, target)
        for name, tensor in source.state_dict().items():
            assert torch.equal(tensor, target.state_dict()[name]), name
    wider = dict(TINY, channels=[8, 16])
    with pytest.raises(InputError) as error:
        load_initial_weights(tmp_path / "tiny.pt", build_network(wider))
    assert str(tmp_path / "tiny.pt") in str(error.value) and "\n" not in str(error.value)


def test_publishing_a_run_registers_checked_weights_with_provenance(tmp_path):
    from CirrhosisStaging.models import find_model, load_state_dict
    from CirrhosisStaging.segmentation.training.publish import publish_segmentation

    run = tmp_path / "run"
    run.mkdir()
    network = build_network(TINY)
    torch.save(network.state_dict(), run / "best.pt")
    (run / "config.json").write_text(json.dumps({"architecture": TINY, "spacing_xyz": [2.5, 2.5, 5.0],
                                                 "init_weights": "/models/liver-spleen-unet-1.1.0.pt",
                                                 "select_on": "chaos"}))
    # the mixed mean peaks at epoch 2, the CHAOS series (selection_score) at epoch 3: the trainer's choice wins
    (run / "history.json").write_text(json.dumps([{"epoch": 1, "val_dice_liver": 0.5, "selection_score": 0.5},
                                                  {"epoch": 2, "val_dice_liver": 0.7, "selection_score": 0.55},
                                                  {"epoch": 3, "val_dice_liver": 0.6, "selection_score": 0.65}]))
    (run / "split.json").write_text(json.dumps({"train": ["chaos-1"], "validation": ["chaos-19", "phantoms-1005-t1"]}))
    manifest = tmp_path / "models" / "manifest.json"
    manifest.parent.mkdir()
    weights = publish_segmentation(run, "liver-test", "1.2.0", "CHAOS T2-SPIR subjects 1 (n=1)", manifest_path=manifest)
    entry = find_model("segmentation", "liver-test", manifest)
    assert weights == manifest.parent / "liver-test-1.2.0.pt" and entry.version == "1.2.0"
    assert entry.validation["held_out_subjects"] == ["19"] and entry.validation["best_epoch"] == 3
    assert entry.validation["selected_on"] == "chaos"
    assert entry.training_data.endswith("; fine-tuned from liver-spleen-unet-1.1.0.pt")
    loaded = load_state_dict(entry)
    assert all(torch.equal(loaded[name], tensor) for name, tensor in network.state_dict().items())


def test_window_covers_the_same_field_of_view_at_any_model_spacing():
    from CirrhosisStaging.segmentation.inference import window_for_spacing

    assert window_for_spacing((2.5, 2.5, 5.0)) == (32, 128, 128)
    assert window_for_spacing((2.0, 2.0, 5.0)) == (32, 160, 160)
    assert window_for_spacing((3.0, 3.0, 4.0)) == (48, 112, 112)   # rounded up to multiples of 16
    assert Segmenter(build_network(TINY), (2.0, 2.0, 5.0)).window_zyx == (32, 160, 160)


@pytest.mark.parametrize("spacing", ["2,2", "2.5,x,5", "2.5,2.5,0"])
def test_train_seg_refuses_a_bad_spacing_in_one_line(tmp_path, capsys, spacing):
    from CirrhosisStaging.cli.main import main

    assert main(["train-seg", "--out", str(tmp_path / "run"), "--spacing", spacing]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("error: --spacing") and "\n" not in error
    assert not (tmp_path / "run").exists()
