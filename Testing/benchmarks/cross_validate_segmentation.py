"""Cross-validated segmentation figure: every CHAOS subject scored by the fold network that never trained on it.

Liver and spleen Dice, HD95 and ASSD per subject on the input grid (the full inference path: model space,
network, back to the input grid, edge refinement, clean-up), then mean and worst case; and the mask quality flag
of every prediction (its false-alarm rate: these are real scans that segment well or not, see --json).

    .venv/bin/python Testing/benchmarks/cross_validate_segmentation.py --chaos ../shared/data/chaos_t2spir \
        --runs runs/cv/fold0 runs/cv/fold1 runs/cv/fold2 runs/cv/fold3 runs/cv/fold4 [--json cv.json]
    .venv/bin/python Testing/benchmarks/cross_validate_segmentation.py --chaos ../shared/data/chaos_t2spir \
        --model liver-spleen-folds-1.0.0      # the same, from a shipped fold ensemble's members

The folds come from `train-seg --folds 5 --fold I` (or scripts/train_folds_from_cache.py); nothing in them was
chosen on the subjects they hold out (the last epoch is kept).
"""

from __future__ import annotations

import argparse
import json

import numpy as np
import SimpleITK as sitk

from CirrhosisStaging.data import LIVER, SPLEEN, list_chaos_cases
from CirrhosisStaging.io import read_image, read_mask, validate_image
from CirrhosisStaging.segmentation.cross_validation import HeldOutScorers
from CirrhosisStaging.segmentation.metrics import dice, surface_distances

ORGANS = {"liver": LIVER, "spleen": SPLEEN}


def score_labels(predicted: np.ndarray, truth: np.ndarray, spacing_zyx) -> dict:
    """Dice, HD95 and ASSD of liver and spleen."""
    row = {}
    for organ, label in ORGANS.items():
        hd95, assd = surface_distances(predicted == label, truth == label, spacing_zyx)
        row[organ] = {"dice": dice(predicted == label, truth == label), "hd95_mm": hd95, "assd_mm": assd}
    return row


def summary(rows: list[dict]) -> dict:
    """Mean and worst (lowest Dice, highest distance) over subjects, per organ."""
    result = {}
    for organ in ORGANS:
        values = {key: [row[organ][key] for row in rows] for key in ("dice", "hd95_mm", "assd_mm")}
        result[organ] = {"mean": {key: float(np.mean(v)) for key, v in values.items()},
                         "worst": {"dice": float(np.min(values["dice"])), "hd95_mm": float(np.max(values["hd95_mm"])),
                                   "assd_mm": float(np.max(values["assd_mm"]))}}
    return result


def add_slice_options(parser) -> None:
    """--slice-smoothing and --min-slice-spacing: how fold runs' 2.5D networks are scored, as they will ship (both
    benchmarks)."""
    parser.add_argument("--slice-smoothing", type=float, metavar="W",
                        help="with --runs: average the 2.5D networks' probabilities across neighbouring slices at "
                             "weight W each, as combine-seg --slice-smoothing W will ship them (default: as the runs "
                             "say, none)")
    parser.add_argument("--min-slice-spacing", type=float, metavar="MM",
                        help="with --runs: resample scans with thinner slices to MM before the 2.5D networks, as "
                             "combine-seg --min-slice-spacing MM will ship them (default: as the runs say, never)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chaos", required=True)
    parser.add_argument("--runs", nargs="+",
                        help="fold run folders; runs holding out the same subjects are averaged for them")
    parser.add_argument("--model", help="a shipped fold ensemble (combine-seg --runs), taken apart into its folds")
    add_slice_options(parser)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--json")
    args = parser.parse_args()
    if bool(args.runs) == bool(args.model):
        parser.error("give --runs or --model")
    scorers = HeldOutScorers(args.runs, args.model, args.device, args.slice_smoothing, args.min_slice_spacing)
    rows = []
    print(f"{'case':>10} {'fold':>6} {'liver Dice':>10} {'HD95 mm':>8} {'ASSD mm':>8} {'spleen Dice':>11} "
          f"{'HD95 mm':>8} {'ASSD mm':>8}  quality")
    for case in list_chaos_cases(args.chaos):
        group = f"chaos-{case.subject_id}"
        name, segmenter = scorers.for_subject(group)
        if segmenter is None:
            print(f"{group:>10} held out by no fold: not scored")
            continue
        image = validate_image(read_image(case.image), case.image)
        truth = sitk.GetArrayFromImage(read_mask(case.label))
        result = segmenter.segment(image, "t2")   # CHAOS T2-SPIR
        row = {"case": group, "fold": name, **score_labels(sitk.GetArrayFromImage(result.labels), truth,
                                                                     image.GetSpacing()[::-1]),
               "quality": result.quality}
        rows.append(row)
        print(f"{group:>10} {name:>6} {row['liver']['dice']:>10.3f} {row['liver']['hd95_mm']:>8.1f} "
              f"{row['liver']['assd_mm']:>8.2f} {row['spleen']['dice']:>11.3f} {row['spleen']['hd95_mm']:>8.1f} "
              f"{row['spleen']['assd_mm']:>8.2f}  {result.quality['status']} {'; '.join(result.quality['reasons'])}")
    figures = summary(rows)
    for organ in ORGANS:
        mean, worst = figures[organ]["mean"], figures[organ]["worst"]
        print(f"{organ}: mean Dice {mean['dice']:.3f} (worst {worst['dice']:.3f}), HD95 {mean['hd95_mm']:.1f} mm "
              f"(worst {worst['hd95_mm']:.1f}), ASSD {mean['assd_mm']:.2f} mm (worst {worst['assd_mm']:.2f})")
    checks = [row for row in rows if row["quality"]["status"] == "check"]
    print(f"mask quality 'check' on {len(checks)} of {len(rows)} real scans "
          f"({', '.join(row['case'] for row in checks) or 'none'})")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"runs": args.runs, "model": args.model, "subjects": rows, "summary": figures,
                       "checks": len(checks)}, handle, indent=2)


if __name__ == "__main__":
    main()
