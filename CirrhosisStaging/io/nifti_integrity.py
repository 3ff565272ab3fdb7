"""Checks ITK's NIfTI reader skips: it reads truncated files without complaint and turns NaN into 0.

nibabel reads the raw voxel block, so a short file raises and non-finite values are seen as they are.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import nibabel
import numpy as np

from ..errors import InputError

NIFTI_SUFFIXES = (".nii", ".nii.gz")


def is_nifti(path: Path) -> bool:
    return path.name.lower().endswith(NIFTI_SUFFIXES)


def check_nifti_integrity(path: Path) -> None:
    """Raise InputError if the NIfTI file is truncated/corrupt or holds NaN or infinite voxels."""
    try:
        image = nibabel.load(str(path))
        raw = np.asanyarray(image.dataobj)
    except (OSError, EOFError, ValueError, zlib.error, nibabel.filebasedimages.ImageFileError) as error:
        reason = " ".join(str(error).split())[:160] or type(error).__name__
        raise InputError(path, f"cannot be read as an image (truncated or corrupt file?): {reason}") from None
    if np.issubdtype(raw.dtype, np.floating) or np.issubdtype(raw.dtype, np.complexfloating):
        bad = int(raw.size - np.count_nonzero(np.isfinite(raw)))
        if bad:
            raise InputError(path, f"has {bad} NaN or infinite voxels")
