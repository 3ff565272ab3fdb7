"""Headers that lie, refused before a voxel is read: one line naming the file, no memory spent on the claim."""

from __future__ import annotations

import subprocess
import sys
import tracemalloc

import numpy as np
import pytest
import SimpleITK as sitk
from nifti_crafting import write_nifti
from synthetic_volumes import make_volume

from CirrhosisStaging.errors import InputError
from CirrhosisStaging.io import read_image, validate_image, write_image
from CirrhosisStaging.io.image_limits import MAX_IMAGE_GB_ENV

SIZE = (30, 30, 24)   # x, y, z: 120 x 120 x 96 mm at 4 mm, large enough to pass every other check


def _volume_array(dtype=np.float32):
    return (np.random.default_rng(0).random(SIZE) * 100 + 10).astype(dtype)


def _problem(path) -> str:
    with pytest.raises(InputError) as caught:
        validate_image(read_image(path), path)
    message = str(caught.value)
    assert "\n" not in message and str(path) in message
    return message


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "CirrhosisStaging.cli.main", *map(str, args)],
                          capture_output=True, text=True, encoding="utf-8")


def test_crafted_volume_is_accepted(tmp_path):
    """The crafting helper makes valid files: every refusal below is about the one field changed."""
    for name in ("ok.nii", "ok.nii.gz"):
        image = validate_image(read_image(write_nifti(tmp_path / name, _volume_array())), name)
        assert image.GetSize() == SIZE and image.GetSpacing() == (4.0, 4.0, 4.0)


@pytest.mark.parametrize("name", ["claims.nii", "claims.nii.gz"])
def test_header_claiming_30000_cubed_voxels_is_refused_unread(tmp_path, name):
    path = write_nifti(tmp_path / name, None, shape=(30000, 30000, 30000), dtype=np.float32)
    assert path.stat().st_size < 1000
    tracemalloc.start()
    message = _problem(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert "30000x30000x30000" in message and "limit" in message
    assert peak < 50e6   # nothing near the 108 TB claimed


def test_gzip_inflating_far_beyond_its_header_is_refused_while_streaming(tmp_path):
    path = write_nifti(tmp_path / "bomb.nii.gz", _volume_array(), trailing_zero_bytes=256 << 20)
    assert path.stat().st_size < 2e6   # 256 MB of inflation in a small file
    tracemalloc.start()
    message = _problem(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert "more data than its header describes" in message
    assert peak < 32e6   # streamed in chunks, stopped at the cap: never the 256 MB


def test_size_limit_is_configurable(tmp_path, monkeypatch):
    path = write_nifti(tmp_path / "ok.nii.gz", _volume_array())
    monkeypatch.setenv(MAX_IMAGE_GB_ENV, "0.00001")   # 10 kB
    assert "limit" in _problem(path)
    result = _cli("--max-image-gb", "0.00001", "check", path)
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "limit" in result.stderr
    monkeypatch.delenv(MAX_IMAGE_GB_ENV)
    assert _cli("check", path).returncode == 0


def test_truncated_voxel_block_is_named(tmp_path):
    path = write_nifti(tmp_path / "short.nii", _volume_array())
    path.write_bytes(path.read_bytes()[:-1000])
    assert "truncated" in _problem(path)


@pytest.mark.parametrize("pixdim", [(0.0, 4.0, 4.0), (4.0, -4.0, 4.0), (4.0, 4.0, float("nan"))])
def test_zero_negative_or_nan_spacing_is_refused_not_taken_as_1mm(tmp_path, pixdim):
    path = write_nifti(tmp_path / "spacing.nii.gz", _volume_array(), pixdim=pixdim)
    assert "invalid voxel spacing" in _problem(path)


def test_sheared_sform_is_refused(tmp_path):
    sheared = [[4, 1.5, 0, 0], [0, 4, 0, 0], [0, 0, 4, 0], [0, 0, 0, 1]]
    path = write_nifti(tmp_path / "shear.nii.gz", _volume_array(), qform=np.diag([4, 4, 4, 1]), sform=sheared)
    assert "non-orthogonal" in _problem(path)
    result = _cli("check", path)   # no ITK WARNING lines before the error either
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "non-orthogonal" in result.stderr


def test_sheared_nrrd_is_refused(tmp_path):
    path = write_image(make_volume(), tmp_path / "grid.nrrd", compress=False)
    text = path.read_bytes()
    start = text.index(b"space directions:")
    end = text.index(b"\n", start)
    path.write_bytes(text[:start] + b"space directions: (4,0,0) (2,4.5,0) (0,0,6)" + text[end:])
    assert "non-orthogonal" in _problem(path)


@pytest.mark.parametrize("dtype, words", [(np.complex64, "complex"), (np.complex128, "complex")])
def test_complex_voxels_are_refused(tmp_path, dtype, words):
    path = write_nifti(tmp_path / "complex.nii.gz", _volume_array().astype(dtype) * (1 + 1j))
    assert words in _problem(path)


def test_complex_nrrd_is_refused(tmp_path):
    array = (np.random.default_rng(0).random((24, 30, 30)) * (1 + 1j)).astype(np.complex64)
    image = sitk.GetImageFromArray(array)
    image.SetSpacing((4.0, 4.0, 4.0))
    path = tmp_path / "complex.nrrd"
    sitk.WriteImage(image, str(path))
    assert "complex" in _problem(path)


def test_rgb_voxels_are_refused(tmp_path):
    rgb = np.zeros(SIZE, dtype=[("R", "u1"), ("G", "u1"), ("B", "u1")])
    path = write_nifti(tmp_path / "rgb.nii.gz", rgb)
    assert "RGB" in _problem(path)


def test_uint64_values_beyond_float_precision_are_refused_not_called_constant(tmp_path):
    array = (np.uint64(2**63) + np.arange(np.prod(SIZE), dtype=np.uint64).reshape(SIZE))
    message = _problem(write_nifti(tmp_path / "u64.nii.gz", array))
    assert "beyond any MRI magnitude" in message and "constant" not in message


def test_float64_values_beyond_float32_are_refused(tmp_path):
    array = _volume_array(np.float64)
    array[3, 4, 5] = 1e300
    assert "beyond any MRI magnitude" in _problem(write_nifti(tmp_path / "f64.nii.gz", array))
