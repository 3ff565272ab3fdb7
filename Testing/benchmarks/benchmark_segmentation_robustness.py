"""Segmentation robustness: liver and spleen Dice on realistic changes of the CHAOS scans, and how often the mask
quality flag catches a failure (liver Dice under 0.85) or cries wolf (liver Dice 0.90 or more flagged).

Each subject is scored only by networks that never trained on it: the cross-validation fold runs (--runs), a shipped
fold ensemble (--model liver-spleen-folds-1.0.0: each subject by the member that held it out), or another published
model (--model) on the subjects its manifest entry holds out (or --ids).

    .venv/bin/python Testing/benchmarks/benchmark_segmentation_robustness.py --chaos ../shared/data/chaos_t2spir \
        --runs runs/cv/fold0 ... runs/cv/fold4 [--changes dark_liver_x0.3,fluid_stomach] [--json out.json]
    .venv/bin/python Testing/benchmarks/benchmark_segmentation_robustness.py --chaos ../shared/data/chaos_t2spir \
        --model liver-spleen-unet-1.5.0
    # the T1W default on T1-like scans, given as T1W (its own quality flags), cirrhotic and dark livers on T1:
    .venv/bin/python Testing/benchmarks/benchmark_segmentation_robustness.py --chaos ../shared/data/chaos_t2spir \
        --model liver-spleen-unet-1.5.0 --sequence t1 --no-original \
        --changes t1_like,t1_like+dark_liver_x0.6,t1_like+cirrhotic,t1_like+fluid_stomach

Changes: CirrhosisStaging/evaluation/segmentation_stress.py (seeded per subject and change).
"""

from __future__ import annotations

import argparse
import json
import zlib

import numpy as np
import SimpleITK as sitk

from CirrhosisStaging.data import list_chaos_cases
from CirrhosisStaging.evaluation.segmentation_stress import STRESS_CHANGES, stress_change
from CirrhosisStaging.io import read_image, read_mask, validate_image
from CirrhosisStaging.segmentation.cross_validation import HeldOutScorers, is_fold_ensemble

FAILED_BELOW = 0.85     # liver Dice under this is a failure the flag should catch
GOOD_FROM = 0.90        # liver Dice from this on should not be flagged


def main() -> None:
    from cross_validate_segmentation import add_slice_options, score_labels

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chaos", required=True)
    parser.add_argument("--runs", nargs="+", help="cross-validation fold run folders")
    parser.add_argument("--model", help="a published segmentation model instead of fold runs")
    parser.add_argument("--ids", help="subjects to use (default: all the folds or the model hold out)")
    parser.add_argument("--changes", help=f"comma-separated, from {', '.join(STRESS_CHANGES)} (default: all); "
                                          "a+b applies a then b (t1_like+cirrhotic: a cirrhotic liver on T1)")
    parser.add_argument("--sequence", choices=("t1", "t2"), default="t2",
                        help="what the scans are given as to the segmenter and its quality flags (default t2, "
                             "as CHAOS T2-SPIR is; t1 with a T1W model on the t1_like rows)")
    parser.add_argument("--no-original", action="store_true", help="skip the unchanged scans")
    add_slice_options(parser)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--json")
    args = parser.parse_args()
    if bool(args.runs) == bool(args.model):
        parser.error("give --runs or --model")
    changes = {"original": None} if not args.no_original else {}
    for name in (args.changes.split(",") if args.changes else STRESS_CHANGES):
        try:
            changes[name] = stress_change(name)
        except ValueError as error:
            parser.error(str(error))
    scorer = _Scorer(args)
    rows = []
    cases = [case for case in list_chaos_cases(args.chaos) if scorer.can_score(case.subject_id)]
    if args.ids:
        cases = [case for case in cases if case.subject_id in args.ids.split(",")]
    for case in cases:
        image = validate_image(read_image(case.image), case.image)
        truth = sitk.GetArrayFromImage(read_mask(case.label))
        for name, change in changes.items():
            rng = np.random.default_rng(zlib.crc32(f"{case.subject_id}-{name}".encode()))
            changed, labels = (image, truth) if change is None else change(image, truth, rng)
            result = scorer.segmenter(case.subject_id).segment(changed, args.sequence)
            row = {"case": f"chaos-{case.subject_id}", "change": name, "quality": result.quality,
                   **score_labels(sitk.GetArrayFromImage(result.labels), labels, changed.GetSpacing()[::-1])}
            rows.append(row)
            print(f"chaos-{case.subject_id:>3} {name:>20}  liver {row['liver']['dice']:.3f}  spleen "
                  f"{row['spleen']['dice']:.3f}  {result.quality['status']} {'; '.join(result.quality['reasons'])}",
                  flush=True)
    report = summarize(rows)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"model": args.model, "runs": args.runs, "rows": rows, "summary": report}, handle, indent=2)


class _Scorer:
    """Which network may score a subject: its fold's (runs or a shipped fold ensemble), or a published model's
    held-out subjects."""

    def __init__(self, args):
        self.folds = self.model = None
        if args.runs or is_fold_ensemble(args.model):
            self.folds = HeldOutScorers(args.runs, args.model, args.device, args.slice_smoothing,
                                        args.min_slice_spacing)
        else:
            from CirrhosisStaging.models import find_model
            from CirrhosisStaging.segmentation.loading import load_segmenter

            self.model = load_segmenter(args.device, args.model)
            self.held_out = set(map(str, find_model("segmentation", args.model).validation.get("held_out_subjects", [])))
            if args.ids:
                self.held_out = set(args.ids.split(","))

    def can_score(self, subject: str) -> bool:
        if self.folds is not None:
            return self.folds.for_subject(f"chaos-{subject}")[1] is not None
        return subject in self.held_out

    def segmenter(self, subject: str):
        return self.model if self.folds is None else self.folds.for_subject(f"chaos-{subject}")[1]


def summarize(rows: list[dict]) -> dict:
    """Per change: mean and worst liver Dice, mean spleen Dice, share flagged; overall catch and false-alarm rates."""
    report = {}
    print(f"\n{'change':>20} {'n':>3} {'liver mean':>10} {'worst':>6} {'spleen mean':>11} {'flagged':>8}")
    for name in dict.fromkeys(row["change"] for row in rows):
        group = [row for row in rows if row["change"] == name]
        liver = [row["liver"]["dice"] for row in group]
        flagged = sum(row["quality"]["status"] == "check" for row in group)
        report[name] = {"n": len(group), "liver_mean": float(np.mean(liver)), "liver_worst": float(np.min(liver)),
                        "spleen_mean": float(np.mean([row["spleen"]["dice"] for row in group])), "flagged": flagged}
        print(f"{name:>20} {len(group):>3} {np.mean(liver):>10.3f} {np.min(liver):>6.3f} "
              f"{report[name]['spleen_mean']:>11.3f} {flagged:>5}/{len(group)}")
    failures = [row for row in rows if row["liver"]["dice"] < FAILED_BELOW]
    good = [row for row in rows if row["liver"]["dice"] >= GOOD_FROM]
    caught = sum(row["quality"]["status"] == "check" for row in failures)
    alarms = sum(row["quality"]["status"] == "check" for row in good)
    report["flag"] = {"failures": len(failures), "caught": caught, "good": len(good), "false_alarms": alarms}
    print(f"\nmask quality flag: caught {caught} of {len(failures)} failures (liver Dice < {FAILED_BELOW}); "
          f"flagged {alarms} of {len(good)} good masks (liver Dice >= {GOOD_FROM})")
    return report


if __name__ == "__main__":
    main()
