"""NIfTI files written byte by byte, so tests can make headers that lie (30000^3 voxels, pixdim 0, shears)
without any library fixing them, and without ever allocating what they claim. Imported by tests as
`nifti_crafting` (Testing/ is on the path through its conftest.py)."""

from __future__ import annotations

import gzip
import zlib

import nibabel
import numpy as np

VOX_OFFSET = 352


def nifti_header(shape, dtype, pixdim=(4.0, 4.0, 4.0), sform=None, qform=None) -> bytes:
    """348 header bytes + the 4-byte empty extension flag; nothing is checked or fixed."""
    header = nibabel.Nifti1Header()
    header.set_data_dtype(dtype)
    header["dim"][0] = len(shape)
    header["dim"][1:len(shape) + 1] = shape
    header["pixdim"][1:len(pixdim) + 1] = pixdim
    if qform is not None:
        header.set_qform(np.asarray(qform, float), code=1)
    if sform is not None:
        header.set_sform(np.asarray(sform, float), code=1)
    header["vox_offset"] = VOX_OFFSET
    return header.binaryblock + b"\0" * 4


def write_nifti(path, data: np.ndarray | None, shape=None, dtype=None, trailing_zero_bytes: int = 0, **header):
    """Header (for `shape`/`dtype`, or the data's own) + the data's bytes + optional zero bytes after them.

    The trailing zeros are compressed chunk by chunk: a file that inflates to gigabytes costs kilobytes here.
    """
    shape = tuple(shape or data.shape)
    dtype = np.dtype(dtype or data.dtype)
    head = nifti_header(shape, dtype, **header)
    body = b"" if data is None else np.asarray(data, dtype).tobytes(order="F")
    if not str(path).endswith(".gz"):
        with open(path, "wb") as handle:
            handle.write(head + body + b"\0" * trailing_zero_bytes)
        return path
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)   # 31: gzip container
    zeros = b"\0" * (1 << 20)
    with open(path, "wb") as handle:
        handle.write(compressor.compress(head + body))
        remaining = trailing_zero_bytes
        while remaining > 0:
            handle.write(compressor.compress(zeros[:min(remaining, len(zeros))]))
            remaining -= len(zeros)
        handle.write(compressor.flush())
    assert gzip.open(path).read(4)   # a valid gzip stream
    return path
