"""Timing of the whole `run` on phantom cases at default size: full T1W + T2W (segmentation, staging,
attention, biomarkers, report) and re-staging with given masks; per-step seconds and peak memory.

    .venv/bin/python Testing/benchmarks/benchmark_run.py [--cases 3] [--device cpu|cuda]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
from pathlib import Path

import numpy as np

from CirrhosisStaging.io import write_image
from CirrhosisStaging.phantom import make_case
from CirrhosisStaging.pipeline.run_case import CasePipeline


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=3)
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    pipeline = CasePipeline(args.device)
    full, restage = [], []
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        for index in range(args.cases + 1):  # the first case warms up (model loading, kernel selection)
            paths = {}
            for sequence in ("t1", "t2"):
                case = make_case(1 + index % 3, 8000 + index, sequence)
                paths[sequence] = write_image(case.image, folder / f"{index}_{sequence}.nii.gz")
                paths[f"{sequence}_mask"] = write_image(case.organ_labels, folder / f"{index}_{sequence}_labels.nii.gz")
            result = pipeline.run(folder / f"out{index}", paths["t1"], paths["t2"])
            again = pipeline.run(folder / f"re{index}", paths["t1"], paths["t2"], paths["t1_mask"], paths["t2_mask"])
            if index:
                full.append(result["timing_seconds"])
                restage.append(again["timing_seconds"])
    print(f"device: {pipeline.stager.device}; {args.cases} phantom cases (T1W ~165x145x60, T2W ~190x190x30)")
    for label, rows in (("full run T1W+T2W", full), ("re-stage with masks", restage)):
        steps = sorted({key for row in rows for key in row})
        print(f"{label}: total {np.mean([r['total'] for r in rows]):.2f} s mean, "
              f"{max(r['total'] for r in rows):.2f} s max; steps: "
              + ", ".join(f"{k} {np.mean([r.get(k, 0) for r in rows]):.2f}" for k in steps if k != "total"))
    print(f"peak resident memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
