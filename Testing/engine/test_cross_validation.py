"""Cross-validation splitting: every subject held out by exactly one fold, never trained on by the fold that
scores it; fold runs that leak are refused; train-seg --folds writes such a split and keeps the last
epoch."""

from __future__ import annotations

import json

import pytest

from CirrhosisStaging.cli.main import main
from CirrhosisStaging.errors import InputError
from CirrhosisStaging.segmentation.cross_validation import load_fold_runs, published_fold_segmenters, runs_for
from CirrhosisStaging.segmentation.training.folds import FINAL, fold_split, held_out_fold
from CirrhosisStaging.segmentation.training.sources import ALL_CLASSES, TrainingItem
from synthetic_volumes import make_volume, write_chaos_folder

SUBJECTS = [f"chaos-{i}" for i in (1, 2, 5, 8, 10, 13, 19, 20, 22, 32, 33, 34, 37, 39)]


@pytest.mark.parametrize("folds", [2, 5, 14])
def test_folds_cover_every_subject_once(folds):
    held = [held_out_fold(SUBJECTS, folds, fold, seed=0) for fold in range(folds)]
    assert sorted(s for fold in held for s in fold) == sorted(SUBJECTS)
    assert max(map(len, held)) - min(map(len, held)) <= 1
    assert held == [held_out_fold(list(reversed(SUBJECTS)), folds, f, seed=0) for f in range(folds)]   # order-free
    assert held != [held_out_fold(SUBJECTS, folds, f, seed=1) for f in range(folds)] or folds == 14


def test_bad_fold_numbers_are_refused():
    for folds, fold in ((5, 5), (5, -1), (1, 0), (15, 0), (None, 1)):
        with pytest.raises(InputError):
            held_out_fold(SUBJECTS, folds, fold, seed=0)


def test_fold_split_holds_out_whole_subjects_and_the_final_network_trains_on_all():
    items = [TrainingItem(s, None, None, ALL_CLASSES, s, "chaos") for s in SUBJECTS]
    items += [TrainingItem(f"phantoms-{p}-{q}", None, None, ALL_CLASSES, f"phantoms-{p}", "phantoms")
              for p in (1003, 1004) for q in ("t1", "t2")]
    scored = []
    for fold in range(5):
        train, held = fold_split(items, 5, fold, seed=0)
        assert {i.group for i in train}.isdisjoint({i.group for i in held})
        assert all(i.source == "chaos" for i in held) and len(train) + len(held) == len(items)
        scored += [i.name for i in held]
    assert sorted(scored) == sorted(SUBJECTS)
    assert fold_split(items, 5, FINAL, seed=0) == (items, [])


def _run(folder, train, validation):
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    (folder / "best.pt").write_bytes(b"")
    (folder / "split.json").write_text(json.dumps({"train": train, "validation": validation}))
    return folder


def test_fold_runs_that_leak_are_refused(tmp_path):
    good = [_run(tmp_path / "a", ["chaos-2", "chaos-3"], ["chaos-1"]), _run(tmp_path / "b", ["chaos-1", "chaos-3"], ["chaos-2"]),
            _run(tmp_path / "a2", ["chaos-2", "chaos-3"], ["chaos-1"])]   # fold a trained again: averaged for chaos-1
    runs = load_fold_runs(good)
    assert [run.path.name for run in runs_for("chaos-1", runs)] == ["a", "a2"] and runs_for("chaos-9", runs) == []
    leak = _run(tmp_path / "leak", ["chaos-1", "chaos-3"], ["chaos-3"])
    with pytest.raises(InputError, match="trained on the subjects it holds out"):
        load_fold_runs([leak])
    other_split = _run(tmp_path / "other", ["chaos-3", "chaos-1"], ["chaos-2", "phantom-9"])
    mixed = load_fold_runs([good[0], other_split])
    assert runs_for("chaos-1", mixed) == mixed[:1] and runs_for("chaos-2", mixed) == mixed[1:]   # never a trainer
    (good[1] / "best.pt").unlink()
    with pytest.raises(InputError, match="best.pt is missing"):
        load_fold_runs([good[1]])


def test_train_seg_folds_splits_by_subject_and_keeps_the_last_epoch(tmp_path):
    chaos = write_chaos_folder(tmp_path / "chaos", (1, 2, 5, 8, 10))
    out = tmp_path / "fold1"
    code = main(["train-seg", "--chaos", str(chaos), "--folds", "5", "--fold", "1", "--split-seed", "3",
                 "--epochs", "2", "--iterations", "1", "--spacing", "8,8,12", "--normalization", "robust",
                 "--organ-augmentation", "--volume-cache", str(tmp_path / "cache"), "--out", str(out)])
    assert code == 0
    split = json.loads((out / "split.json").read_text())
    assert split["validation"] == held_out_fold(split["train"] + split["validation"], 5, 1, 3)
    assert not set(split["train"]) & set(split["validation"]) and len(split["train"]) == 4
    config = json.loads((out / "config.json").read_text())
    assert config["select_on"] == "last" and config["architecture"]["normalization"] == "robust"
    history = json.loads((out / "history.json").read_text())
    assert [record["selection_score"] for record in history] == [1.0, 2.0]   # by epoch: the last one is best.pt
    assert len(list((tmp_path / "cache").glob("chaos-*-robust.npz"))) == 5
    runs = load_fold_runs([out])
    assert runs_for(split["validation"][0], runs) == runs


def test_fold_runs_ship_as_one_ensemble_with_their_cross_validated_figures(tmp_path, monkeypatch, capsys):
    """Two tiny fold runs -> combine-seg --runs: one checked file, the folds' normalisation kept per member, the
    cross-validated figures recorded; the newest model then loads and segments on the input's grid."""
    import torch

    from CirrhosisStaging.io import Grid
    from CirrhosisStaging.models import MANIFEST_ENV, find_model
    from CirrhosisStaging.segmentation.loading import load_segmenter

    chaos = write_chaos_folder(tmp_path / "chaos", (1, 2, 5, 8))
    runs = []
    for fold in (0, 1):
        runs.append(tmp_path / f"fold{fold}")
        assert main(["train-seg", "--chaos", str(chaos), "--folds", "2", "--fold", str(fold), "--epochs", "1",
                     "--iterations", "1", "--spacing", "8,8,0", "--context-slices", "1", "--normalization", "robust",
                     "--out", str(runs[-1])]) == 0
    report = tmp_path / "cv.json"
    report.write_text(json.dumps({"summary": {"liver": {"mean": {"dice": 0.5}}}, "checks": 1, "subjects": [
        {"case": "chaos-1", "fold": "fold0", "liver": {"dice": 0.51234}, "spleen": {"dice": 0.4}}]}))
    manifest = tmp_path / "models" / "manifest.json"
    manifest.parent.mkdir()
    manifest.write_text(json.dumps({"format_version": 1, "models": []}))
    monkeypatch.setenv(MANIFEST_ENV, str(manifest))
    assert main(["combine-seg", "--runs", *map(str, runs), "--cross-validation", str(report),
                 "--slice-smoothing", "0.3", "--min-slice-spacing", "5.7", "--publish", "fold-nets:2.0.0"]) == 0
    entry = find_model("segmentation", "fold-nets")
    assert [m["normalization"] for m in entry.architecture["members"]] == ["robust", "robust"]
    assert entry.validation["cross_validation"]["per_subject"]["chaos-1"]["liver_dice"] == 0.5123
    assert sorted(s for fold in entry.validation["folds"].values() for s in fold) == [f"chaos-{s}" for s in (1, 2, 5, 8)]
    segmenter = load_segmenter("cpu")
    assert [m.normalization for m in segmenter.members] == ["robust", "robust"]
    assert [m.slice_smoothing for m in segmenter.members] == [0.3, 0.3]
    assert [m.min_slice_spacing_mm for m in segmenter.members] == [5.7, 5.7]
    alone = torch.load(runs[1] / "best.pt", weights_only=True)
    assert all(torch.equal(alone[key], value) for key, value in segmenter.members[1].network.state_dict().items())
    image = make_volume(seed=7)
    assert Grid.of(segmenter.segment(image).labels) == Grid.of(image)
    assert main(["combine-seg", "fold-nets", "--runs", str(runs[0]), "--publish", "x:1.0.0"]) == 2
    # Taken apart again (cross_validate_segmentation.py --model): each subject goes to the member that held it out.
    scorers = published_fold_segmenters("fold-nets-2.0.0")
    assert sorted(scorers) == [f"chaos-{s}" for s in (1, 2, 5, 8)]
    for run in load_fold_runs(runs):
        weights = torch.load(run.weights, weights_only=True)
        for subject in run.held_out:
            fold, single = scorers[subject]
            assert fold == run.path.name and len(single.members) == 1 and single.members[0].normalization == "robust"
            assert all(torch.equal(weights[key], value) for key, value in single.network.state_dict().items())
            assert single.members[0].slice_smoothing == 0.3 and single.members[0].min_slice_spacing_mm == 5.7
    # The runs themselves (--runs) give no smoothing unless the benchmark asks for the weight they will ship with.
    from CirrhosisStaging.segmentation.cross_validation import HeldOutScorers

    assert HeldOutScorers(runs).for_subject("chaos-1")[1].members[0].slice_smoothing == 0.0
    assert HeldOutScorers(runs, smoothing=0.3).for_subject("chaos-1")[1].members[0].slice_smoothing == 0.3
    assert HeldOutScorers(runs).for_subject("chaos-1")[1].members[0].min_slice_spacing_mm == 0.0
    asked = HeldOutScorers(runs, min_slice_spacing_mm=5.7).for_subject("chaos-1")[1].members[0]
    assert asked.min_slice_spacing_mm == 5.7 and asked.slice_smoothing == 0.0
    from CirrhosisStaging.segmentation.training.publish import publish_segmentation

    publish_segmentation(runs[0], "one-net", "1.0.0", training_data="4 synthetic volumes", manifest_path=manifest)
    with pytest.raises(InputError, match="not a cross-validation ensemble"):
        published_fold_segmenters("one-net-1.0.0")


def test_a_network_on_every_subject_ships_with_its_recipes_cross_validated_figure(tmp_path, monkeypatch):
    """train-seg --val-fraction 0 --publish: no held-out subjects, the recipe's cross-validation recorded, made the
    default for the sequences named only; a bad report is refused before any training."""
    from CirrhosisStaging.models import MANIFEST_ENV, find_model, write_manifest_entry

    chaos = write_chaos_folder(tmp_path / "chaos", (1, 2))
    manifest = tmp_path / "models" / "manifest.json"
    manifest.parent.mkdir()
    manifest.write_text(json.dumps({"format_version": 1, "models": []}))
    monkeypatch.setenv(MANIFEST_ENV, str(manifest))
    (tmp_path / "none.json").write_text("{}")
    report = tmp_path / "cv.json"
    report.write_text(json.dumps({"model": "fold-nets-1.0.0", "summary": {"liver": {"mean": {"dice": 0.9}}},
                                  "checks": 0, "subjects": [{"case": "chaos-1", "fold": "fold0",
                                                             "liver": {"dice": 0.91}, "spleen": {"dice": 0.88}}]}))
    common = ["train-seg", "--chaos", str(chaos), "--val-fraction", "0", "--select-on", "last", "--epochs", "1",
              "--iterations", "1", "--spacing", "8,8,0", "--context-slices", "1", "--publish", "all-nets:3.0.0",
              "--publish-sequences", "t2"]
    assert main([*common, "--recipe-cross-validation", str(tmp_path / "none.json"), "--out", str(tmp_path / "bad")]) == 2
    assert not (tmp_path / "bad").exists() and json.loads(manifest.read_text())["models"] == []
    assert main([*common, "--recipe-cross-validation", str(report), "--out", str(tmp_path / "all")]) == 0
    entry = find_model("segmentation", "all-nets")
    assert entry.sequences == ("t2",) and entry.validation["held_out_subjects"] == []
    recipe = entry.validation["recipe_cross_validation"]
    assert recipe["per_subject"]["chaos-1"]["liver_dice"] == 0.91 and "--model fold-nets-1.0.0" in recipe["command"]
    assert json.loads((tmp_path / "all" / "split.json").read_text())["validation"] == []
    # An older model made for both sequences stays the T1W default.
    write_manifest_entry(manifest, dict(entry.to_dict(), name="both", version="1.0.0", sequences=["t1", "t2"]))
    assert find_model("segmentation", sequence="t2").key == "all-nets-3.0.0"
    assert find_model("segmentation", sequence="t1").key == "both-1.0.0"


def test_a_final_run_trained_beside_its_folds_publishes_with_their_figure(tmp_path, monkeypatch):
    """scripts/publish_final_run.py: a run folder of train_folds_from_cache.py --final becomes a checked model whose
    entry names its training series, what it started from (not the training machine's path) and its folds' figure;
    a bad report is refused in one line and nothing is published."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    import torch

    from CirrhosisStaging.models import MANIFEST_ENV, find_model
    from CirrhosisStaging.segmentation.network import build_network

    architecture = {"class": "UNet", "spatial_dims": 2, "in_channels": 5, "out_channels": 5, "channels": [4, 8],
                    "strides": [2], "num_res_units": 0}
    run = tmp_path / "cv" / "final"
    run.mkdir(parents=True)
    torch.save(build_network(architecture).state_dict(), run / "best.pt")
    (run / "config.json").write_text(json.dumps({"architecture": architecture, "spacing_xyz": [8, 8, 0],
                                                 "init_weights": "/tmp/init/final.pt", "select_on": "last"}))
    (run / "history.json").write_text(json.dumps([{"epoch": 1, "selection_score": 1.0}]))
    (run / "split.json").write_text(json.dumps({"train": ["chaos-1", "chaos-2", "phantoms_seg-1003-t2"],
                                                "validation": [], "fold": "final"}))
    manifest = tmp_path / "models" / "manifest.json"
    manifest.parent.mkdir()
    manifest.write_text(json.dumps({"format_version": 1, "models": []}))
    script = Path(__file__).resolve().parents[2] / "scripts" / "publish_final_run.py"
    env = dict(os.environ, **{MANIFEST_ENV: str(manifest)})

    def publish(report, sequences="t2", started_from="fold-nets 1.0.0's start", run_dir=run):
        command = [sys.executable, str(script), str(run_dir), "--publish", "final-net:3.0.0", "--sequences", sequences,
                   "--recipe-cross-validation", str(report), "--slice-smoothing", "0.3", "--min-slice-spacing", "5.7"]
        return subprocess.run(command + (["--started-from", started_from] if started_from else []),
                              capture_output=True, text=True, env=env)

    (tmp_path / "bad.json").write_text("{}")
    report = tmp_path / "cv.json"
    report.write_text(json.dumps({"summary": {"liver": {"mean": {"dice": 0.9}}}, "checks": 0, "subjects": [
        {"case": "chaos-1", "fold": "fold0", "liver": {"dice": 0.91}, "spleen": {"dice": 0.88}}]}))
    fold_run = tmp_path / "cv" / "fold0"
    fold_run.mkdir()
    for file in ("best.pt", "config.json", "history.json"):
        (fold_run / file).write_bytes((run / file).read_bytes())
    (fold_run / "split.json").write_text(json.dumps({"train": ["chaos-2"], "validation": ["chaos-1"], "fold": 0}))
    for refused, words in ((publish(tmp_path / "bad.json"), "bad.json"), (publish(report, sequences="t3"), "t3"),
                           (publish(report, started_from=None), "--started-from"),
                           (publish(report, run_dir=fold_run), "not a final network")):
        assert refused.returncode == 2 and words in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
    assert json.loads(manifest.read_text())["models"] == [] and not (manifest.parent / "final-net-3.0.0.pt").exists()
    assert publish(report).returncode == 0
    monkeypatch.setenv(MANIFEST_ENV, str(manifest))
    entry = find_model("segmentation", "final-net")
    assert entry.training_data == ("CHAOS T2-SPIR subjects 1, 2 (n=2); 1 series from CirrMRI600+-layout releases "
                                   "(phantoms or real); fine-tuned from fold-nets 1.0.0's start")
    assert list(entry.sequences) == ["t2"]
    assert entry.validation["held_out_subjects"] == []
    assert entry.validation["recipe_cross_validation"]["per_subject"]["chaos-1"]["liver_dice"] == 0.91
    assert entry.architecture["slice_smoothing"] == 0.3 and entry.architecture["min_slice_spacing_mm"] == 5.7
