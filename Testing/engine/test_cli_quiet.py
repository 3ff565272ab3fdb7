"""The command line's stderr holds the one `error:` line and nothing else: no library warnings, no noise on a
closed pipe, no arithmetic errors from absurd clinical numbers; and one extreme voxel moves no result."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk
from synthetic_volumes import make_volume

from CirrhosisStaging.biomarkers import ClinicalInputs
from CirrhosisStaging.errors import InputError
from CirrhosisStaging.io import write_image
from CirrhosisStaging.preprocessing import body_mask, normalize_intensity

COMMAND = [sys.executable, "-m", "CirrhosisStaging.cli.main"]


def _cli(*args):
    return subprocess.run([*COMMAND, *map(str, args)], capture_output=True, text=True, encoding="utf-8")


def test_folder_without_dicom_gives_one_line_without_itk_warnings(tmp_path):
    (tmp_path / "readme.txt").write_text("no images here")
    result = _cli("check", tmp_path)
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("error: ") and "WARNING" not in result.stderr


def test_debug_keeps_itk_warnings(tmp_path):
    (tmp_path / "readme.txt").write_text("no images here")
    result = _cli("--debug", "check", tmp_path)
    assert result.returncode == 2 and "WARNING" in result.stderr   # the silencing is a choice, not a loss


def test_closed_pipe_exits_quietly(tmp_path):
    path = write_image(make_volume(), tmp_path / "ok.nii.gz")
    process = subprocess.Popen([*COMMAND, "check", str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()   # like `| head` that has gone away before the answer is printed
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=120) == 141
    assert stderr == ""


@pytest.mark.parametrize("field, value", [("age_years", 1e308), ("platelets_10e9_l", 1e-300), ("ast_u_l", 5e6),
                                          ("alt_u_l", 0.001), ("age_years", 250)])
def test_clinical_values_outside_physiology_are_refused(field, value):
    values = dict(age_years=55, ast_u_l=60, alt_u_l=45, platelets_10e9_l=120)
    values[field] = value
    with pytest.raises(InputError, match=f"{field}.*outside the physiological range") as caught:
        ClinicalInputs(**values)
    assert "\n" not in str(caught.value)


def test_cli_extreme_clinical_values_give_one_line(tmp_path):
    path = write_image(make_volume(), tmp_path / "t2.nii.gz")
    result = _cli("run", "--t2", path, "--out", tmp_path / "out", "--age", "1e308", "--ast", "40", "--alt", "30",
                  "--platelets", "1e-300")
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "--age" in result.stderr and "physiological range" in result.stderr
    assert not (tmp_path / "out").exists()


def test_one_extreme_voxel_moves_neither_body_mask_nor_normalisation():
    image = make_volume()
    array = sitk.GetArrayFromImage(image)
    array[2, 3, 4] = 3e38
    spiked = sitk.GetImageFromArray(array)
    spiked.CopyInformation(image)
    assert np.array_equal(body_mask(image), body_mask(spiked))
    before = sitk.GetArrayFromImage(normalize_intensity(image))
    after = sitk.GetArrayFromImage(normalize_intensity(spiked))
    elsewhere = np.ones(before.shape, bool)
    elsewhere[2, 3, 4] = False
    assert np.abs(before - after)[elsewhere].max() < 0.05


def test_console_script_exits_with_main_status_after_freezing_the_collector():
    # entry() skips the interpreter's last collections over everything PyTorch and MONAI made (about 1 s of a
    # `segment` run); it must still hand back main's status, and atexit handlers must still run.
    code = ("import atexit, gc; from CirrhosisStaging.cli import main as cli; cli.main = lambda: 3; "
            "atexit.register(lambda: print('frozen', gc.get_freeze_count() > 0)); cli.entry()")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 3 and result.stdout.strip() == "frozen True", result


def test_installed_command_and_module_use_the_same_entry():
    pyproject = (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text()
    assert 'cirrhosis-staging = "CirrhosisStaging.cli.main:entry"' in pyproject
