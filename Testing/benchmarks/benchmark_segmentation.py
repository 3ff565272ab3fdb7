"""Segmentation benchmark: Dice, HD95, ASSD per case against CHAOS labels, seconds per volume, peak memory;
liver Dice on T1W-like and T2W-like phantoms. As a diagnostic, Dice on the slices the CHAOS labels were drawn on
(segmentation/annotation_grid.py).

    .venv/bin/python Testing/benchmarks/benchmark_segmentation.py --chaos ../shared/data/chaos_t2spir \
        [--ids 19,37,39] [--device cpu|cuda] [--phantoms 6] [--edge-radius-mm 5] [--json out.json]

Without --ids the subjects held out from training are read from the model's manifest entry.
"""

from __future__ import annotations

import argparse
import json
import resource
import time

import numpy as np
import SimpleITK as sitk

from CirrhosisStaging.data import LIVER, SPLEEN, list_chaos_cases
from CirrhosisStaging.io import read_image, read_mask, validate_image
from CirrhosisStaging.models import find_model
from CirrhosisStaging.segmentation.annotation_grid import find_annotation_grid
from CirrhosisStaging.segmentation.edge_refinement import EDGE_RADIUS_MM
from CirrhosisStaging.segmentation.inference import outputs_to_labels
from CirrhosisStaging.segmentation.loading import load_segmenter
from CirrhosisStaging.segmentation.metrics import dice, surface_distances

ORGANS = {"liver": LIVER, "spleen": SPLEEN}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chaos", help="CHAOS folder (image_<id>/label_<id>)")
    parser.add_argument("--ids", help="comma-separated subject ids (default: the model's held-out subjects)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--model", help="model name (newest version) or name-version, e.g. liver-spleen-unet-1.3.0")
    parser.add_argument("--phantoms", type=int, default=6, help="phantom patients per sequence (0 to skip)")
    parser.add_argument("--edge-radius-mm", type=float, default=EDGE_RADIUS_MM,
                        help="guided-filter window of the edge refinement (0: off, to measure what it adds)")
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args()

    segmenter = load_segmenter(args.device, args.model)
    segmenter.edge_radius_mm = args.edge_radius_mm or None
    entry = find_model("segmentation", args.model)
    print(f"model {segmenter.model_name} sha256 {segmenter.sha256[:12]} on {segmenter.device}")
    report = {"model": segmenter.model_name, "device": str(segmenter.device), "edge_radius_mm": segmenter.edge_radius_mm,
              "chaos": [], "phantoms": []}
    _warm_up(segmenter)
    if args.chaos:
        held_out = args.ids.split(",") if args.ids else entry.validation.get("held_out_subjects", [])
        cases = [case for case in list_chaos_cases(args.chaos) if case.subject_id in set(map(str, held_out))]
        print(f"\nCHAOS T2-SPIR held-out subjects: {', '.join(c.subject_id for c in cases)}")
        print(f"{'case':>10} {'liver Dice':>10} {'HD95 mm':>8} {'ASSD mm':>8} {'spleen Dice':>11} {'HD95 mm':>8} "
              f"{'ASSD mm':>8} {'seconds':>8}")
        for case in cases:
            image = validate_image(read_image(case.image), case.image)
            truth = sitk.GetArrayFromImage(read_mask(case.label))
            row = _score(segmenter, image, truth, f"chaos-{case.subject_id}")
            row["drawn_slices"] = _score_on_drawn_slices(segmenter, image, truth)
            report["chaos"].append(row)
        _print_mean(report["chaos"])
        _print_drawn_slices(report["chaos"])
    if args.phantoms:
        from CirrhosisStaging.phantom import make_case

        print("\nPhantoms (seeds 9000+, never used in training)")
        for sequence in ("t1", "t2"):
            for index in range(args.phantoms):
                case = make_case(stage=1 + index % 3, seed=9000 + index, sequence=sequence, with_truth=False)
                row = _score(segmenter, case.image, sitk.GetArrayFromImage(case.organ_labels), f"{sequence}-{index}")
                row["sequence"] = sequence
                report["phantoms"].append(row)
        for sequence in ("t1", "t2"):
            rows = [r for r in report["phantoms"] if r["sequence"] == sequence]
            print(f"phantom {sequence.upper()}W mean liver Dice {np.mean([r['liver']['dice'] for r in rows]):.3f} "
                  f"spleen Dice {np.mean([r['spleen']['dice'] for r in rows]):.3f} over {len(rows)} cases")
    report["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    report["peak_gpu_mb"] = _peak_gpu_mb()
    print(f"\npeak resident memory {report['peak_rss_mb']:.0f} MB (whole process, incl. Python and torch)"
          + (f"; peak GPU memory {report['peak_gpu_mb']:.0f} MB" if report["peak_gpu_mb"] else ""))
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(report, handle, indent=2)


def _score(segmenter, image, truth: np.ndarray, name: str) -> dict:
    start = time.perf_counter()
    result = segmenter.segment(image)
    _synchronize(segmenter.device)
    seconds = time.perf_counter() - start
    predicted = sitk.GetArrayFromImage(result.labels)
    spacing = image.GetSpacing()[::-1]
    row = {"case": name, "seconds": seconds, "size": list(image.GetSize()), "stage_seconds": result.stage_seconds}
    for organ, label in ORGANS.items():
        hd95, assd = surface_distances(predicted == label, truth == label, spacing)
        row[organ] = {"dice": dice(predicted == label, truth == label), "hd95_mm": hd95, "assd_mm": assd}
    print(f"{name:>10} {row['liver']['dice']:>10.3f} {row['liver']['hd95_mm']:>8.1f} {row['liver']['assd_mm']:>8.2f} "
          f"{row['spleen']['dice']:>11.3f} {row['spleen']['hd95_mm']:>8.1f} {row['spleen']['assd_mm']:>8.2f} "
          f"{seconds:>8.2f}")
    return row


def _print_mean(rows) -> None:
    if not rows:
        return
    mean = {organ: {key: float(np.mean([r[organ][key] for r in rows])) for key in ("dice", "hd95_mm", "assd_mm")}
            for organ in ORGANS}
    seconds = float(np.mean([r["seconds"] for r in rows]))
    stages = {stage: float(np.mean([r["stage_seconds"][stage] for r in rows])) for stage in rows[0]["stage_seconds"]}
    print(f"{'mean':>10} {mean['liver']['dice']:>10.3f} {mean['liver']['hd95_mm']:>8.1f} "
          f"{mean['liver']['assd_mm']:>8.2f} {mean['spleen']['dice']:>11.3f} {mean['spleen']['hd95_mm']:>8.1f} "
          f"{mean['spleen']['assd_mm']:>8.2f} {seconds:>8.2f}")
    print("mean seconds per stage: " + ", ".join(f"{stage} {value:.3f}" for stage, value in stages.items()))


def _score_on_drawn_slices(segmenter, image: sitk.Image, truth: np.ndarray) -> dict | None:
    """Dice on the slices the labels were drawn on (annotation_grid): the same probabilities, taken to those
    slices instead of the image's. None when the labels show no resampling (no repeated slice)."""
    grid = find_annotation_grid(truth)
    if grid is None:
        return None
    predicted = sitk.GetArrayFromImage(outputs_to_labels(segmenter.model_outputs(image), grid.reference(image),
                                                         segmenter.edge_radius_mm))
    drawn = grid.labels(truth)
    return {"drawn_spacing_mm": grid.ratio * image.GetSpacing()[2], "slices": len(grid.positions),
            **{organ: dice(predicted == label, drawn == label) for organ, label in ORGANS.items()}}


def _print_drawn_slices(rows) -> None:
    """A diagnostic beside the benchmark figure: how much of the error is the labels' nearest-neighbour copy onto
    the image's slices (up to half a slice from where they were drawn)."""
    print("\nOn the slices the labels were drawn on (spacing found from the repeated label slices; diagnostic):")
    for row in rows:
        drawn = row["drawn_slices"]
        if drawn is None:
            print(f"{row['case']:>10} no repeated label slice: drawn on the image's slices, "
                  f"liver Dice {row['liver']['dice']:.3f}")
        else:
            print(f"{row['case']:>10} {drawn['slices']} slices {drawn['drawn_spacing_mm']:.2f} mm apart: liver Dice "
                  f"{drawn['liver']:.3f} (image slices {row['liver']['dice']:.3f}), spleen {drawn['spleen']:.3f}")
    if rows:
        liver = [row["drawn_slices"]["liver"] if row["drawn_slices"] else row["liver"]["dice"] for row in rows]
        print(f"{'mean':>10} liver Dice on the drawn slices {np.mean(liver):.3f}")


def _warm_up(segmenter) -> None:
    """One pass on a blank volume so the first timed case does not pay for kernel selection."""
    blank = sitk.GetImageFromArray(np.random.default_rng(0).normal(size=(40, 256, 256)).astype(np.float32))
    blank.SetSpacing((1.25, 1.25, 7.7))
    segmenter.segment(blank)


def _synchronize(device) -> None:
    import torch

    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def _peak_gpu_mb() -> float:
    import torch

    return torch.cuda.max_memory_allocated() / 2**20 if torch.cuda.is_available() else 0.0


if __name__ == "__main__":
    main()
