"""How many bytes of voxels the engine agrees to read: a header can claim any size, memory cannot hold it."""

from __future__ import annotations

import math
import os

from ..errors import InputError

MAX_IMAGE_GB_ENV = "CIRRHOSIS_STAGING_MAX_IMAGE_GB"
# A 512 x 512 x 400 float32 MRI is 0.4 GB; 2 GB leaves room for large real scans but not for a header's bluff.
DEFAULT_MAX_IMAGE_GB = 2.0


def max_image_bytes() -> int:
    """The limit in bytes: $CIRRHOSIS_STAGING_MAX_IMAGE_GB (the CLI's --max-image-gb sets it), else 2 GB."""
    text = os.environ.get(MAX_IMAGE_GB_ENV, "").strip()
    if not text:
        return int(DEFAULT_MAX_IMAGE_GB * 1e9)
    try:
        gigabytes = float(text)
    except ValueError:
        gigabytes = float("nan")
    if not (math.isfinite(gigabytes) and gigabytes > 0):
        raise InputError(None, f"{MAX_IMAGE_GB_ENV}={text!r} must be a positive number of gigabytes")
    return int(gigabytes * 1e9)


def check_voxel_budget(path, size, bytes_per_voxel: int, kind: str) -> int:
    """Raise InputError if `size` voxels of `bytes_per_voxel` exceed the limit; returns the byte count.

    Python integers: a header claiming 30000^3 voxels must give a refusal, not an overflow.
    """
    total = math.prod(int(n) for n in size) * int(bytes_per_voxel)
    limit = max_image_bytes()
    if total > limit:
        shape = "x".join(str(int(n)) for n in size)
        raise InputError(path, f"header claims {shape} voxels of {kind} ({total / 1e9:.3g} GB), more than the "
                               f"{limit / 1e9:.3g} GB limit; nothing was read (raise it with --max-image-gb or "
                               f"{MAX_IMAGE_GB_ENV} if this really is one MRI volume)")
    return total
