"""The real dataset reader on phantom output, through the command line as a user runs it."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import pytest

from CirrhosisStaging.data import CirrMRIDataset


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "CirrhosisStaging.cli.main", *map(str, args)],
                          capture_output=True, text=True, encoding="utf-8")


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "release"
    result = _cli("phantom", "--out", out, "--cases", 6, "--healthy", 2, "--seed", 3, "--size-scale", 0.3,
                  "--preview", out.parent / "preview.png")
    assert result.returncode == 0, result.stderr
    return out


def test_reader_sees_what_the_generator_wrote(release):
    truth = {row["patient_id"]: row
             for row in csv.DictReader(open(release / "Phantom_truth.csv", encoding="utf-8-sig"))}
    dataset = CirrMRIDataset(release)
    patients = dataset.patients()
    healthy = dataset.patients(split="healthy")
    assert len(patients) == 6 and len(healthy) == 2
    for patient in patients:
        row = truth[patient.patient_id]
        assert str(patient.stage) == row["stage"] and patient.split == row["split"]
        for sequence in patient.sequences:
            series = patient.series(sequence)
            assert series.image.exists() and series.mask is not None and series.mask.exists()
            assert series.split == patient.split
    assert all(patient.stage == 0 and patient.is_healthy for patient in healthy)
    assert {p.split for p in patients} <= {"train", "valid", "test"}


def test_dataset_command_prints_counts(release):
    result = _cli("dataset", release, "--list")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert sum(summary["patients"].values()) == 6
    assert summary["healthy"]["subjects"] == 2
    assert summary["paired"] + summary["t1_only"] + summary["t2_only"] == 6
    assert len(summary["cases"]) == 8


def test_preview_png_written(release):
    preview = release.parent / "preview.png"
    assert preview.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_phantom_refuses_to_overwrite_and_bad_arguments(release):
    result = _cli("phantom", "--out", release, "--cases", 1)
    assert result.returncode == 2 and result.stderr.startswith("error: ") and "already exists" in result.stderr
    result = _cli("phantom", "--out", release.parent / "none", "--cases", 0, "--healthy", 0)
    assert result.returncode == 2 and "must be non-negative" in result.stderr
    result = _cli("phantom", "--out", release.parent / "none", "--cases", 1, "--liver-tail-fraction", 1.5)
    assert result.returncode == 2 and "--liver-tail-fraction must be between 0 and 1" in result.stderr
    assert not (release.parent / "none").exists()


def test_dataset_command_on_a_folder_that_is_not_a_release(tmp_path):
    result = _cli("dataset", tmp_path)
    assert result.returncode == 2 and "not a CirrMRI600+ release folder" in result.stderr
    assert "Traceback" not in result.stderr


def test_every_command_has_help():
    from CirrhosisStaging.cli.main import build_parser

    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices
    for name in commands:
        result = _cli(name, "--help")
        assert result.returncode == 0 and "usage: cirrhosis-staging" in result.stdout, name
