"""`cirrhosis-staging segment` as a whole process, as a user runs it: wall time (start-up, model loading, reading,
segmentation, writing) and peak resident memory, median of --repeats runs. Target on the 2-core CPU machine: a
256 x 256 x 40 T2 scan in at most 10 s and 3 GB.

    .venv/bin/python Testing/benchmarks/benchmark_segment_process.py [--image SCAN] [--repeats 3] [--device cpu]
        [--model NAME-VERSION]

Without --image, a T2W phantom resampled to 256 x 256 x 40 (1.5 x 1.5 x 7 mm) is used.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import SimpleITK as sitk

from CirrhosisStaging.io import write_image
from CirrhosisStaging.phantom import make_case


def phantom_scan(path: Path) -> Path:
    """A T2W phantom on a 256 x 256 x 40 grid (1.5 x 1.5 x 7 mm) around its own centre."""
    image = make_case(2, 4242, "t2").image
    size, spacing = (256, 256, 40), (1.5, 1.5, 7.0)
    centre = image.TransformContinuousIndexToPhysicalPoint([(n - 1) / 2 for n in image.GetSize()])
    origin = [c - (n - 1) / 2 * s for c, n, s in zip(centre, size, spacing)]
    grid = sitk.Image(size, sitk.sitkFloat32)
    grid.SetSpacing(spacing)
    grid.SetOrigin(origin)
    grid.SetDirection(image.GetDirection())
    return write_image(sitk.Resample(image, grid, sitk.Transform(), sitk.sitkLinear, 0.0), path)


def timed_run(command: list[str]) -> tuple[float, float, str]:
    """(seconds, peak resident MB of the child, stdout)."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    stdout, stderr = process.stdout.read(), process.stderr.read()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"segment failed: {stderr.strip()}")
    return seconds, usage.ru_maxrss / 1024, stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--image")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--model")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        image = Path(args.image) if args.image else phantom_scan(folder / "scan.nii.gz")
        size = sitk.ReadImage(str(image)).GetSize()
        runs = []
        for repeat in range(args.repeats):
            command = [sys.executable, "-m", "CirrhosisStaging.cli.main", "segment", str(image), "--out",
                       str(folder / f"labels{repeat}.nii.gz"), "--device", args.device]
            if args.model:
                command += ["--model", args.model]
            runs.append(timed_run(command))
        summary = json.loads(runs[-1][2])
    seconds = [run[0] for run in runs]
    print(f"segment {image.name} {size[0]}x{size[1]}x{size[2]} with {summary['model']} on {summary['device']}, "
          f"{os.cpu_count()} CPUs")
    print(f"whole process: median {statistics.median(seconds):.2f} s (runs: "
          f"{', '.join(f'{s:.2f}' for s in seconds)}); peak resident memory {max(r[1] for r in runs):.0f} MB; "
          f"segmentation itself {summary['seconds']:.2f} s; quality {summary['quality']['status']}")


if __name__ == "__main__":
    main()
