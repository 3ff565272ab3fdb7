"""Publish the final network of a recipe trained by train_folds_from_cache.py --final (out/final), recorded with
its folds' cross-validated figure (it has none of its own: it trained on every subject).

    .venv/bin/python scripts/publish_final_run.py runs/cv7/final --publish liver-spleen-slices:2.3.0 \
        --sequences t2 --recipe-cross-validation cv7.json [--started-from "liver-spleen-slices 2.2.0 ..."]

train-seg --publish does the same for a run it trained itself; this one needs no scans, only the run folder.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def training_data(run: Path, started_from: str | None) -> str:
    """The run's training series in the manifest's words (as train-seg describes them), and where it started."""
    names = json.loads((run / "split.json").read_text())["train"]
    chaos = sorted((name.removeprefix("chaos-") for name in names if name.startswith("chaos-")),
                   key=lambda subject: (len(subject), subject))   # 1, 2, 5, 10 ...
    text = f"CHAOS T2-SPIR subjects {', '.join(chaos)} (n={len(chaos)})"
    if len(names) > len(chaos):
        text += f"; {len(names) - len(chaos)} series from CirrMRI600+-layout releases (phantoms or real)"
    return text + (f"; fine-tuned from {started_from}" if started_from else "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", type=Path)
    parser.add_argument("--publish", required=True, metavar="NAME:VERSION")
    parser.add_argument("--sequences", default="t2", help="what the model is the default for (t1, t2 or t1,t2)")
    parser.add_argument("--recipe-cross-validation", required=True, metavar="JSON",
                        help="cross_validate_segmentation.py --json of the same recipe's folds")
    parser.add_argument("--started-from", help="the weights it was fine-tuned from, in words (replaces the run's "
                                               "own init_weights path, which names a file on the training machine)")
    args = parser.parse_args()
    from CirrhosisStaging.errors import InputError
    from CirrhosisStaging.segmentation.cross_validation import cross_validation_record
    from CirrhosisStaging.segmentation.training.publish import publish_segmentation

    name, _, version = args.publish.partition(":")
    sequences = tuple(s.strip() for s in args.sequences.split(",") if s.strip())
    try:
        figures = cross_validation_record(args.recipe_cross_validation)   # a bad report is refused before anything
        described = training_data(args.run, args.started_from)
        weights = publish_segmentation(args.run, name, version or "1.0.0", described, sequences=sequences,
                                       recipe_cross_validation=figures, describe_start=args.started_from is None)
    except (InputError, OSError, ValueError, KeyError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"published {weights}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
