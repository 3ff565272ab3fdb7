"""Publish the final network of a recipe trained by train_folds_from_cache.py --final (out/final), recorded with
its folds' cross-validated figure (it has none of its own: it trained on every subject).

    .venv/bin/python scripts/publish_final_run.py runs/cv7/final --publish liver-spleen-slices:2.3.0 \
        --sequences t2 --recipe-cross-validation cv7.json --started-from "liver-spleen-slices 2.2.0 ..."

train-seg --publish does the same for a run it trained itself; this one needs no scans, only the run folder.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]


def training_data(run: Path, started_from: str | None) -> str:
    """The run's training series in the manifest's words (train-seg's own description), and where it started."""
    from CirrhosisStaging.cli.train_seg_command import _describe
    from CirrhosisStaging.data.patient_ids import patient_sort_key
    from CirrhosisStaging.errors import InputError
    from CirrhosisStaging.segmentation.training.folds import FINAL

    split = json.loads((run / "split.json").read_text())
    if split.get("fold") != FINAL or split.get("validation"):
        raise InputError(run, f"is not a final network (split.json: fold {split.get('fold')!r}, "
                              f"{len(split.get('validation', []))} series held out): publish folds with combine-seg")
    config = json.loads((run / "config.json").read_text())
    if config.get("init_weights") and not started_from:
        raise InputError(run, "was fine-tuned: say from what with --started-from (its init_weights path, "
                              f"{config['init_weights']}, names a file on the machine that trained it)")
    # chaos-1, chaos-2, ..., chaos-10: the subjects in natural order, as train-seg lists them
    names = sorted(split["train"], key=patient_sort_key)
    text = _describe([SimpleNamespace(group=name) for name in names])
    return text + (f"; fine-tuned from {started_from}" if started_from else "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", type=Path)
    parser.add_argument("--publish", required=True, metavar="NAME:VERSION")
    parser.add_argument("--sequences", default="t2", help="what the model is the default for (t1, t2 or t1,t2)")
    parser.add_argument("--recipe-cross-validation", required=True, metavar="JSON",
                        help="cross_validate_segmentation.py --json of the same recipe's folds")
    parser.add_argument("--started-from", help="the weights it was fine-tuned from, in words (the run's own "
                                               "init_weights path names a file on the training machine)")
    parser.add_argument("--slice-smoothing", type=float, default=0.0, metavar="W",
                        help="a 2.5D network's neighbouring-slice weight at inference (0.3 for liver-spleen-slices "
                             "2.5.0; default 0: none)")
    parser.add_argument("--min-slice-spacing", type=float, default=0.0, metavar="MM",
                        help="resample scans with thinner slices to MM before a 2.5D network (5.7 for "
                             "liver-spleen-slices 2.5.0; default 0: never)")
    args = parser.parse_args()
    from CirrhosisStaging.cli.train_seg_command import _publishing
    from CirrhosisStaging.errors import InputError
    from CirrhosisStaging.segmentation.training.publish import publish_segmentation

    name, _, version = args.publish.partition(":")
    try:
        # train-seg's own checks: the sequences, and the report (refused before anything is written)
        options = _publishing(SimpleNamespace(publish_sequences=args.sequences,
                                              recipe_cross_validation=args.recipe_cross_validation))
        described = training_data(args.run, args.started_from)
        weights = publish_segmentation(args.run, name, version or "1.0.0", described, describe_start=False,
                                       slice_smoothing=args.slice_smoothing,
                                       min_slice_spacing_mm=args.min_slice_spacing, **options)
    except (InputError, OSError, ValueError, KeyError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"published {weights}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
