"""`segment` with the shipped weights on a phantom; refusal of tampered weights; device choice."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import SimpleITK as sitk

from CirrhosisStaging.errors import InputError
from CirrhosisStaging.export import read_seg_nrrd
from CirrhosisStaging.io import Grid, read_image, write_image
from CirrhosisStaging.models import MANIFEST_ENV, default_manifest_path, find_model
from CirrhosisStaging.phantom import make_case
from CirrhosisStaging.segmentation.edge_refinement import EDGE_RADIUS_MM
from CirrhosisStaging.segmentation.loading import load_segmenter


def _cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "CirrhosisStaging.cli.main", *map(str, args)],
                          capture_output=True, text=True, encoding="utf-8", env=env)


@pytest.mark.parametrize("sequence", ["t2", "t1"])
def test_segment_phantom_with_shipped_weights(tmp_path, sequence):
    phantom = make_case(1, 77, sequence, size_scale=0.7)
    image_path = write_image(phantom.image, tmp_path / "image.nii.gz")
    result = _cli("segment", image_path, "--out", tmp_path / "labels.nii.gz", "--seg-nrrd",
                  tmp_path / "labels.seg.nrrd", "--device", "cpu", "--sequence", sequence)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["sha256"] == find_model("segmentation", sequence=sequence).sha256 and summary["device"] == "cpu"
    assert summary["sequence"] == sequence
    assert summary["edge_radius_mm"] == EDGE_RADIUS_MM
    labels = read_image(tmp_path / "labels.nii.gz")
    assert Grid.of(labels).matches(Grid.of(phantom.image), 1e-6) and labels.GetPixelID() == sitk.sitkUInt8
    predicted = sitk.GetArrayFromImage(labels) == 1
    truth = sitk.GetArrayFromImage(phantom.liver_mask) == 1
    dice = 2 * (predicted & truth).sum() / (predicted.sum() + truth.sum())
    assert dice > 0.7, f"liver Dice {dice:.3f} on a {sequence} phantom"
    seg_labels, segments = read_seg_nrrd(tmp_path / "labels.seg.nrrd")
    np.testing.assert_array_equal(sitk.GetArrayFromImage(seg_labels) == 1, predicted)
    assert any("10200004" in s["tags"].get("TerminologyEntry", "") for s in segments)


def test_segment_refuses_to_overwrite(tmp_path):
    phantom = make_case(1, 78, "t2", size_scale=0.4)
    image_path = write_image(phantom.image, tmp_path / "image.nii.gz")
    (tmp_path / "labels.nii.gz").write_text("an edited mask")
    result = _cli("segment", image_path, "--out", tmp_path / "labels.nii.gz")
    assert result.returncode == 2 and "already exists" in result.stderr
    assert (tmp_path / "labels.nii.gz").read_text() == "an edited mask"


@pytest.mark.parametrize("command", ["segment", "preprocess"])
def test_outputs_never_replace_the_input_or_take_a_non_volume_name(tmp_path, command):
    """Even with --overwrite an output may not be the input volume (or sit in its DICOM folder), and a name ITK would
    write as a 2D picture (.png) is refused before any work."""
    image_path = write_image(make_case(1, 79, "t2", size_scale=0.4).image, tmp_path / "image.nii.gz")
    before = image_path.read_bytes()
    for out, message in ((image_path, "is the input"), (tmp_path / "labels.png", "must end in .nii"),
                         (tmp_path / "labels.mhd", "must end in .nii")):   # voxels in a second file
        result = _cli(command, image_path, "--out", out, "--overwrite")
        assert result.returncode == 2 and message in result.stderr and result.stderr.count("\n") == 1
    assert image_path.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["image.nii.gz"]


def test_preprocess_keeps_an_existing_file_without_overwrite(tmp_path):
    image_path = write_image(make_case(1, 79, "t2", size_scale=0.4).image, tmp_path / "image.nii.gz")
    (tmp_path / "model.nii.gz").write_text("kept")
    result = _cli("preprocess", image_path, "--out", tmp_path / "model.nii.gz")
    assert result.returncode == 2 and "already exists" in result.stderr
    assert (tmp_path / "model.nii.gz").read_text() == "kept"


def test_tampered_weights_are_refused(tmp_path, monkeypatch):
    entry = find_model("segmentation")
    models = tmp_path / "models"
    models.mkdir()
    manifest = json.loads(default_manifest_path().read_text())
    shutil.copy(default_manifest_path(), models / "manifest.json")
    weights = bytearray((default_manifest_path().parent / entry.file).read_bytes())
    weights[len(weights) // 2] ^= 0xFF  # one flipped byte
    (models / entry.file).write_bytes(bytes(weights))
    for other in manifest["models"]:
        if other["file"] != entry.file:
            shutil.copy(default_manifest_path().parent / other["file"], models / other["file"])
    monkeypatch.setenv(MANIFEST_ENV, str(models / "manifest.json"))
    with pytest.raises(InputError, match="sha256 mismatch"):
        load_segmenter("cpu")
    phantom = make_case(1, 79, "t2", size_scale=0.4)
    image_path = write_image(phantom.image, tmp_path / "image.nii.gz")
    env = {**os.environ, MANIFEST_ENV: str(models / "manifest.json")}
    result = _cli("segment", image_path, "--out", tmp_path / "labels.nii.gz", env=env)
    assert result.returncode == 2 and "sha256 mismatch" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "labels.nii.gz").exists()


def test_device_choice_without_cuda(tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this test is about machines without CUDA")
    assert str(load_segmenter("auto").device) == "cpu"
    phantom = make_case(1, 80, "t2", size_scale=0.4)
    image_path = write_image(phantom.image, tmp_path / "image.nii.gz")
    result = _cli("segment", image_path, "--out", tmp_path / "labels.nii.gz", "--device", "cuda")
    assert result.returncode == 2 and "no CUDA GPU" in result.stderr
