"""How often the staging model's out_of_distribution check fires, per kind of input, with the shipped weights
(or --model): real abdominal MRI as given (should not fire), the same scans turned CT-like (air -1000, soft
tissue in Hounsfield-like values), the same scans given as the other sequence, a non-abdominal (head-like)
volume, and T1W/T2W phantoms. Prints one row per kind: cases flagged, feature distances and the threshold.

    .venv/bin/python Testing/benchmarks/benchmark_out_of_distribution.py --chaos ../shared/data/chaos_t2spir \
        [--subjects 19,37,39] [--model NAME]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import SimpleITK as sitk

from CirrhosisStaging.data.chaos import list_chaos_cases
from CirrhosisStaging.io import read_image, read_mask
from CirrhosisStaging.phantom import make_case
from CirrhosisStaging.staging.feature_reference import feature_distance
from CirrhosisStaging.staging.inference import load_stager
from CirrhosisStaging.staging.inputs import prepare_staging_input
from CirrhosisStaging.staging.out_of_distribution import feature_reason, intensity_reasons

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # Testing/: the synthetic volumes of the tests
from synthetic_volumes import head_like_volume  # noqa: E402


def ct_like(image: sitk.Image, labels: sitk.Image) -> sitk.Image:
    """Air -1000, body soft tissue about -100..100, liver about 60 (portal-venous CT-like values)."""
    array = sitk.GetArrayFromImage(image).astype(np.float32)
    body = array > np.percentile(array, 30)
    liver = sitk.GetArrayViewFromImage(labels) == 1
    scaled = (array - np.percentile(array[body], 5)) / max(np.percentile(array[body], 95), 1e-3)
    result = np.where(body, -100 + 200 * np.clip(scaled, 0, 1), -1000.0).astype(np.float32)
    result[liver] = 60 + 10 * np.random.default_rng(0).standard_normal(int(liver.sum()))
    out = sitk.GetImageFromArray(result)
    out.CopyInformation(image)
    return out


def check(stager, image, labels, sequence) -> tuple[bool, float | None, float | None, list]:
    staging_input = prepare_staging_input(image, labels)
    distance = feature_distance(stager.network, staging_input.array, sequence, stager.device)
    reasons = intensity_reasons(image) + ([feature_reason(distance)] if feature_reason(distance) else [])
    return bool(reasons), *(distance or (None, None)), reasons


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chaos", required=True)
    parser.add_argument("--subjects", help="comma-separated CHAOS subject numbers (default: all)")
    parser.add_argument("--model")
    parser.add_argument("--phantoms", type=int, default=4)
    args = parser.parse_args()
    stager = load_stager("cpu", args.model)
    wanted = set(args.subjects.split(",")) if args.subjects else None
    rows: dict[str, list] = {}
    for case in list_chaos_cases(args.chaos):
        if wanted and case.subject_id not in wanted:
            continue
        image, labels = read_image(case.image), read_mask(case.label)
        rows.setdefault("real T2W as T2W", []).append(check(stager, image, labels, "t2"))
        rows.setdefault("real T2W given as T1W", []).append(check(stager, image, labels, "t1"))
        rows.setdefault("CT-like from the same scan, as T2W", []).append(
            check(stager, ct_like(image, labels), labels, "t2"))
    for seed in range(args.phantoms):
        for sequence in ("t1", "t2"):
            phantom = make_case(1 + seed % 3, 9100 + seed, sequence)
            rows.setdefault(f"phantom {sequence.upper()}W", []).append(
                check(stager, phantom.image, phantom.organ_labels, sequence))
    image, labels = head_like_volume()
    rows["head-like volume, as T2W"] = [check(stager, image, labels, "t2")]
    print(f"model: {stager.entry.key}")
    print(f"{'input':40} {'flagged':>9} {'distance min / median / max':>30} {'threshold':>10}")
    for kind, results in rows.items():
        distances = [r[1] for r in results if r[1] is not None]
        spread = (f"{min(distances):.1f} / {np.median(distances):.1f} / {max(distances):.1f}" if distances else "-")
        threshold = next((f"{r[2]:.1f}" for r in results if r[2] is not None), "-")
        print(f"{kind:40} {sum(r[0] for r in results):>4} of {len(results):<3} {spread:>30} {threshold:>10}")
    print(json.dumps({kind: [r[3] for r in results][:1] for kind, results in rows.items()}, indent=1)[:2000])


if __name__ == "__main__":
    main()
