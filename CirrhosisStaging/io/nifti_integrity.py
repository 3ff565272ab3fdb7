"""NIfTI checks ITK's reader skips: it reads truncated files without complaint, turns NaN into 0, takes a zero
pixdim as 1 mm and trusts a header's size, so a 4 MB .nii.gz can claim, or inflate to, many gigabytes.

The raw header is checked first (nibabel reads headers lazily), then the voxel block is streamed once in
chunks, decompressing no more than the header promises: truncation, trailing bulk and NaN are found without
ever holding the volume in memory.
"""

from __future__ import annotations

import gzip
import math
import zlib
from pathlib import Path

import numpy as np

from ..errors import InputError
from .geometry import is_orthonormal
from .image_limits import check_voxel_budget

NIFTI_SUFFIXES = (".nii", ".nii.gz")
_CHUNK = 1 << 22
# Bytes tolerated after the voxel block (some writers pad); anything beyond is not part of the image.
_TRAILING_SLACK = 1 << 20
# NIfTI datatype codes that cannot be an MRI magnitude volume, and how to say so.
_REFUSED_DATATYPES = {
    32: "complex voxels (complex64)", 1792: "complex voxels (complex128)", 2048: "complex voxels (complex256)",
    128: "RGB colour voxels", 2304: "RGBA colour voxels", 1: "1-bit voxels (DT_BINARY)",
}


def is_nifti(path: Path) -> bool:
    return path.name.lower().endswith(NIFTI_SUFFIXES)


def check_nifti_integrity(path: Path) -> None:
    """Raise InputError for a bad header, an oversized or truncated voxel block, or NaN/infinite voxels."""
    header = _read_header(path)
    shape, dtype = _check_header(path, header)
    offset = max(int(header.get_data_offset()), int(getattr(header, "single_vox_offset", 0)))
    _scan_voxels(path, offset, shape, dtype)


def _read_header(path: Path):
    """The header exactly as stored: nibabel.load would 'fix' a zero or negative pixdim to 1 or its absolute value."""
    import nibabel   # here, not at the top: 0.7 s of start-up that only a NIfTI header needs

    try:
        with _open(path) as stream:
            start = stream.read(4)
            if len(start) < 4:
                raise EOFError("file ends inside its header")
            sizes = {int.from_bytes(start, "little"), int.from_bytes(start, "big")}
            header_class = nibabel.Nifti2Header if 540 in sizes else nibabel.Nifti1Header
            stream.seek(0)
            return header_class.from_fileobj(stream, check=False)
    except Exception as error:  # noqa: BLE001 - nibabel raises many types for a bad header; all mean the same
        reason = " ".join(str(error).split())[:160] or type(error).__name__
        raise InputError(path, f"cannot be read as an image (truncated or corrupt file?): {reason}") from None


def _check_header(path: Path, header) -> tuple[tuple[int, ...], np.dtype]:
    datatype = int(header["datatype"])
    if datatype in _REFUSED_DATATYPES:
        what = _REFUSED_DATATYPES[datatype]
        advice = "save the magnitude image" if "complex" in what else "a single-channel MRI volume is needed"
        raise InputError(path, f"holds {what}; an MRI magnitude volume is needed ({advice})")
    dims = [int(v) for v in header["dim"]]
    if not 1 <= dims[0] <= 7 or any(n < 0 for n in dims[1:dims[0] + 1]):
        raise InputError(path, f"has an invalid NIfTI dim field {dims}")
    shape = tuple(dims[1:dims[0] + 1])
    dtype = header.get_data_dtype()
    check_voxel_budget(path, shape, dtype.itemsize, f"{dtype.name}")
    spatial = min(dims[0], 3)
    pixdim = [float(v) for v in header["pixdim"][1:spatial + 1]]
    if not all(math.isfinite(v) and v > 0 for v in pixdim):
        raise InputError(path, f"has an invalid voxel spacing (pixdim {tuple(pixdim)}): every spacing must be a "
                               "positive number of mm (a zero would silently become 1 mm and every volume wrong)")
    if int(header["sform_code"]) > 0:
        matrix = np.asarray(header.get_sform()[:3, :3], dtype=float)
        norms = np.linalg.norm(matrix, axis=0)
        if not np.all(np.isfinite(matrix)) or np.any(norms <= 0):
            raise InputError(path, "has an invalid sform matrix (a zero or non-finite axis)")
        if not is_orthonormal((matrix / norms).ravel()):
            raise InputError(path, "has a non-orthogonal (sheared) sform direction matrix; resample it onto an "
                                   "orthogonal grid first (masks must sit on exactly the input's grid)")
    return shape, dtype


def _scan_voxels(path: Path, offset: int, shape, dtype: np.dtype) -> None:
    expected = math.prod(shape) * dtype.itemsize
    floating = np.issubdtype(dtype, np.floating)
    bad, seen, pending = 0, 0, b""
    try:
        with _open(path) as stream:
            _skip(stream, offset)
            while seen < expected:
                chunk = stream.read(min(_CHUNK, expected - seen))
                if not chunk:
                    break
                seen += len(chunk)
                if floating:
                    pending += chunk
                    usable = len(pending) - len(pending) % dtype.itemsize
                    values = np.frombuffer(pending[:usable], dtype=dtype)
                    bad += int(values.size - np.count_nonzero(np.isfinite(values)))
                    pending = pending[usable:]
            trailing = len(stream.read(_TRAILING_SLACK + 1)) if seen == expected else 0
    except (OSError, EOFError, zlib.error) as error:
        reason = " ".join(str(error).split())[:160] or type(error).__name__
        raise InputError(path, f"cannot be read as an image (truncated or corrupt file?): {reason}") from None
    if seen < expected:
        raise InputError(path, f"cannot be read as an image (truncated file): holds {seen} of the {expected} bytes "
                               "of voxel data its header describes")
    if trailing > _TRAILING_SLACK:
        raise InputError(path, f"holds more data than its header describes (over {_TRAILING_SLACK >> 20} MB after "
                               f"the {expected} bytes of voxels); refused unread (corrupt file or decompression bomb)")
    if bad:
        raise InputError(path, f"has {bad} NaN or infinite voxels")


def _open(path: Path):
    return gzip.open(path, "rb") if path.name.lower().endswith(".gz") else open(path, "rb")


def _skip(stream, count: int) -> None:
    """Read past the header and extensions (gzip streams cannot seek cheaply backwards, forwards is fine)."""
    while count > 0:
        block = stream.read(min(_CHUNK, count))
        if not block:
            raise EOFError("file ends inside its header")
        count -= len(block)
