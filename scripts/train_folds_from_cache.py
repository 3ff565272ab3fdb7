"""Train the K cross-validation folds of a segmentation recipe from a prepared-volume cache, folds in parallel.

For a GPU machine that has neither the raw scans nor SimpleITK: `train-seg --volume-cache DIR` (run once anywhere
with the scans) leaves one .npz per training series; this script rebuilds the training items from those names and
runs the same trainer as `train-seg --folds K --fold I` (same items, same fold split, last epoch kept), one process
per fold. On a machine with the scans, `train-seg --folds K --fold I` K times gives the same CHAOS folds; note that
this script trains on every series in the cache (a phantom release's validation series too, if the cache holds them).

    python scripts/train_folds_from_cache.py --cache runs/vcache --out runs/cv --folds 5 --parallel 5 \
        --minutes 6 --workers 3 --organ-augmentation --normalization robust --weight chaos=4

A further cosine cycle of an existing cross-validation (each fold from its own network, a schedule in steps):

    python scripts/train_folds_from_cache.py ... --minutes 0 --epochs 25 --learning-rate 1e-3 \
        --init-weights 'runs/cv3/fold{fold}/best.pt'

--final trains the recipe's final network on every series at the same time (out/final; in --init-weights, {run}
is the run's folder name: fold0 ... or final), so the network that gets published follows exactly the recipe its
folds cross-validate (publish it with scripts/publish_final_run.py).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FINAL = "final"   # --fold value of the recipe's final network (segmentation.training.folds.FINAL)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--fold", type=_fold, help="train this fold only, or 'final' (the parallel driver sets it)")
    parser.add_argument("--final", action="store_true",
                        help="also train the recipe's final network on every series (out/final), beside the folds")
    parser.add_argument("--parallel", type=int, default=1, help="folds trained at the same time")
    parser.add_argument("--deadline-minutes", type=float, help="end every fold process after this long")
    parser.add_argument("--split-seed", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--spacing", default="1.5,1.5,0")
    parser.add_argument("--context-slices", type=int, default=1)
    parser.add_argument("--minutes", type=float, default=6.0,
                        help="wall-clock budget per fold (the cosine decays over it); 0: none, the steps alone")
    parser.add_argument("--init-weights", help="start each fold from these weights; {fold} is replaced by the fold "
                                               "number, {run} by the run's folder (fold0 ... final): continuing the "
                                               "folds of a published cross-validation")
    parser.add_argument("--epochs", type=int, default=10000)
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--learning-rate", type=float, default=2e-3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--weight", action="append", default=[])
    parser.add_argument("--shape-augmentation", default="deform")
    parser.add_argument("--organ-augmentation", action="store_true")
    parser.add_argument("--organ-contrast-prob", type=float, default=0.4)
    parser.add_argument("--organ-darkest", type=float, default=0.3)
    parser.add_argument("--organ-fluid-rim-prob", type=float, default=0.0)
    parser.add_argument("--normalization", default="zscore")
    parser.add_argument("--device", default="auto")
    args, _ = parser.parse_known_args()
    if args.final and args.init_weights and "{fold}" in args.init_weights:
        parser.error("--final with --init-weights: use {run} (fold0 ... final), not {fold}, so the final network "
                     "starts from its own weights")
    if args.fold is not None:
        return train_fold(args)
    return run_folds(args)


def run_folds(args) -> int:
    """Start the folds, at most --parallel at once; end them all at the deadline (their last epoch is saved)."""
    pending, running, failed = [*range(args.folds), *([FINAL] if args.final else [])], [], []
    deadline = time.monotonic() + 60 * args.deadline_minutes if args.deadline_minutes else None
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1")
    Path(args.out).mkdir(parents=True, exist_ok=True)
    while pending or running:
        while pending and len(running) < args.parallel:
            fold = pending.pop(0)
            log = open(Path(args.out) / f"{_run_name(fold)}.log", "w")
            command = [sys.executable, __file__, *sys.argv[1:], "--fold", str(fold)]
            running.append((fold, subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env), log))
        time.sleep(2)
        for entry in list(running):
            if entry[1].poll() is not None:
                print(f"fold {entry[0]} ended with {entry[1].returncode}", flush=True)
                if entry[1].returncode:
                    failed.append(entry[0])
                entry[2].close()
                running.remove(entry)
        if deadline is not None and time.monotonic() > deadline:
            for fold, process, log in running:
                print(f"fold {fold} stopped at the deadline", flush=True)
                process.kill()
                log.close()
            return 1
    if failed:
        print(f"failed: {', '.join(map(str, failed))} (see their logs in {args.out})", file=sys.stderr)
    return 1 if failed else 0


def _run_name(fold) -> str:
    """The folder (and log) name of a fold's run: fold0, fold1, ... or final."""
    return FINAL if fold == FINAL else f"fold{fold}"


def _fold(text: str):
    """--fold: a fold number, or FINAL."""
    if text == FINAL:
        return text
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is neither a fold number nor {FINAL!r}") from None


def train_fold(args) -> int:
    _allow_missing_simpleitk()
    from CirrhosisStaging.segmentation.labels import NUM_CLASSES
    from CirrhosisStaging.segmentation.training.folds import fold_split
    from CirrhosisStaging.segmentation.training.sources import ALL_CLASSES, TrainingItem
    from CirrhosisStaging.segmentation.training.trainer import LAST_EPOCH, TrainingConfig, train_segmentation

    spacing = tuple(float(v) for v in args.spacing.split(","))
    suffix = f"-{'x'.join(f'{v:g}' for v in spacing)}-{args.normalization}.npz"
    items = []
    for path in sorted(Path(args.cache).glob(f"*{suffix}")):
        name = path.name.removesuffix(suffix)
        # chaos-<id> (one series per subject) or <release>-<patient>-<sequence>
        group = name if name.startswith("chaos-") else name.rsplit("-", 1)[0]
        source = "chaos" if name.startswith("chaos-") else group.rsplit("-", 1)[0]
        items.append(TrainingItem(name, path, path, ALL_CLASSES, group, source))
    train, validation = fold_split(items, args.folds, args.fold, args.split_seed, args.cache)
    out = Path(args.out) / _run_name(args.fold)
    out.mkdir(parents=True, exist_ok=True)
    import json

    (out / "split.json").write_text(json.dumps({"train": [i.name for i in train],
                                                "validation": [i.name for i in validation],
                                                "folds": args.folds, "fold": args.fold,
                                                "split_seed": args.split_seed}, indent=2))
    from CirrhosisStaging.cli.train_seg_command import _weights

    weights = _weights(args.weight)   # PREFIX=W pairs, parsed as train-seg parses them
    config = TrainingConfig(out_dir=out, spacing_xyz=spacing, epochs=args.epochs, iterations_per_epoch=args.iterations,
                            batch_size=args.batch_size, learning_rate=args.learning_rate, seed=args.seed,
                            device=args.device, max_minutes=args.minutes or None, source_weights=weights,
                            init_weights=Path(args.init_weights.format(fold=args.fold, run=out.name))
                            if args.init_weights else None,
                            workers=args.workers, select_on=LAST_EPOCH, shape_augmentation=args.shape_augmentation,
                            context_slices=args.context_slices, organ_augmentation=args.organ_augmentation,
                            organ_contrast_prob=args.organ_contrast_prob, organ_darkest=args.organ_darkest,
                            organ_rim_prob=args.organ_fluid_rim_prob,
                            normalization=args.normalization, volume_cache=Path(args.cache))
    train_segmentation(config, train, validation, progress=True)
    return 0


def _allow_missing_simpleitk() -> None:
    """Training from cached arrays never calls SimpleITK, but the engine's modules import it at the top: on a
    machine without it, give them an empty stand-in that fails loudly if anything is really called."""
    try:
        import SimpleITK  # noqa: F401
        if not os.environ.get("CIRRHOSIS_FAKE_MISSING_SITK"):
            return
    except ImportError:
        pass

    class _Missing(types.ModuleType):
        def __getattr__(self, name):
            if name.startswith("__"):
                raise AttributeError(name)
            return _Unavailable(name)

    class _Unavailable:
        def __init__(self, name):
            self.name = name

        def __call__(self, *args, **kwargs):
            raise RuntimeError(f"SimpleITK.{self.name} called, but SimpleITK is not installed here")

    sys.modules["SimpleITK"] = _Missing("SimpleITK")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
