"""A volume cache (train-seg --volume-cache) with its intensities rounded to a fixed step of the normalised scale.

With the "robust-body" normalisation the prepared volumes keep the body's dark tissue instead of clipping it to one
value, and the cache no longer fits the GPU machine's 64 MiB transfer (91 MB as float16 in .npz). Rounded to 0.05
units (the body's interquartile range is about 1.35 units, a scan's noise several times the step), it packs to about
23 MB. The rounding is part of the recipe that trained on it, so it lives here: a run on a machine with the scans
rounds the same way to train on the same volumes.

    python scripts/round_volume_cache.py vcache vcache_rounded [--step 0.05]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
STEP = 0.05


def rounded_image(image: np.ndarray, step: float = STEP) -> np.ndarray:
    """float16 intensities on multiples of `step` (at most step / 2 away, plus float16's own rounding)."""
    return (np.round(np.asarray(image, np.float32) / step) * step).astype(np.float16)


def round_cache(source: Path, out: Path, step: float = STEP) -> list[Path]:
    """Every <item>-<spacing>-<normalization>.npz of `source` into `out`, its image rounded; the rest unchanged."""
    from CirrhosisStaging.errors import InputError
    from CirrhosisStaging.io.atomic import atomic_path

    paths = sorted(Path(source).glob("*.npz"))
    if not paths:
        raise InputError(source, "holds no prepared volumes (*.npz from train-seg --volume-cache)")
    written = []
    for path in paths:
        with np.load(path, allow_pickle=False) as arrays:
            if "image" not in arrays:
                raise InputError(path, "is not a prepared volume (no 'image' array)")
            fields = {name: arrays[name] for name in arrays.files}
        fields["image"] = rounded_image(fields["image"], step)
        target = Path(out) / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(target) as temporary:
            with open(temporary, "wb") as stream:   # a file object: np.savez would append ".npz" to the name
                np.savez_compressed(stream, **fields)
        written.append(target)
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("cache", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--step", type=float, default=STEP, help="rounding step in normalised units (default 0.05)")
    args = parser.parse_args()
    from CirrhosisStaging.errors import InputError

    if not args.step > 0:
        parser.error("--step must be positive")
    if args.out.resolve() == args.cache.resolve():
        parser.error("write the rounded cache to another folder (the source stays as prepared)")
    try:
        written = round_cache(args.cache, args.out, args.step)
    except InputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"{len(written)} volumes rounded to {args.step:g} into {args.out}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
