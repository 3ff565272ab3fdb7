"""Every path that loads PyTorch files (fine-tuning start, resume, evaluate --run, shipped models) refuses a
pickle payload or junk in one line, runs nothing in it, and leaves nothing behind."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys

import pytest
from synthetic_volumes import make_volume, organ_mask

from CirrhosisStaging.errors import InputError
from CirrhosisStaging.io import write_image
from CirrhosisStaging.models.torch_files import load_state_into, load_torch_file
from CirrhosisStaging.training.run_folder import check_start_weights, run_folder


class _Payload:
    """Unpickling this would create the marker file: proof that nothing in the file ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.fixture
def payload(tmp_path):
    marker = tmp_path / "PAYLOAD_RAN"
    path = tmp_path / "evil.pt"
    path.write_bytes(pickle.dumps(_Payload(marker)))
    return path, marker


def _cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "CirrhosisStaging.cli.main", *map(str, args)],
                          capture_output=True, text=True, encoding="utf-8")


def _one_error_line(result, path):
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith(f"error: {path}")
    assert "Traceback" not in result.stderr and "weights_only=False" not in result.stderr


@pytest.mark.parametrize("content", [None, "torch.save", b"PK\x03\x04 not really a zip", b""])
def test_loader_refuses_payloads_and_junk_in_one_line(payload, tmp_path, content):
    path, marker = payload
    if content == "torch.save":   # the payload inside a regular PyTorch zip file
        import torch

        path = tmp_path / "zipped.pt"
        torch.save({"weight": _Payload(marker)}, path)
    elif content is not None:
        path = tmp_path / "junk.pt"
        path.write_bytes(content)
    with pytest.raises(InputError, match="cannot be loaded as PyTorch weights") as caught:
        load_torch_file(path)
    assert "\n" not in str(caught.value) and not marker.exists()


def test_weights_of_another_network_are_refused(tmp_path):
    import torch

    path = tmp_path / "other.pt"
    torch.save(torch.nn.Linear(3, 2).state_dict(), path)
    with pytest.raises(InputError, match="do not fit this network"):
        load_state_into(torch.nn.Linear(4, 2), load_torch_file(path), path)


def test_train_seg_init_weights_payload_leaves_no_run_folder(payload, tmp_path):
    path, marker = payload
    chaos = tmp_path / "chaos"
    chaos.mkdir()
    for number in (1, 2, 3):
        image = make_volume(seed=number)
        write_image(image, chaos / f"image_{number}.nii.gz")
        write_image(organ_mask(image), chaos / f"label_{number}.nii.gz")
    out = tmp_path / "run"
    result = _cli("train-seg", "--chaos", chaos, "--out", out, "--init-weights", path, "--epochs", 1, "--device", "cpu")
    _one_error_line(result, path)
    assert not out.exists() and not marker.exists()   # no split.json, no folder


def test_resume_from_a_payload_checkpoint_is_refused_and_the_run_left_as_it_was(payload, tmp_path):
    path, marker = payload
    out = tmp_path / "run"
    out.mkdir()
    (out / "last.pt").write_bytes(path.read_bytes())
    with pytest.raises(InputError, match="cannot be loaded as training checkpoint"):
        check_start_weights(out, None, resume=True)
    check_start_weights(out, None, resume=False)   # --no-resume does not read it
    assert sorted(p.name for p in out.iterdir()) == ["last.pt"] and not marker.exists()


def test_evaluate_run_with_payload_weights_gives_one_line(payload, tmp_path):
    path, marker = payload
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text('{"architecture": {}}')
    (run / "best.pt").write_bytes(path.read_bytes())
    result = _cli("evaluate", "--data", tmp_path / "nowhere", "--run", run, "--device", "cpu")
    _one_error_line(result, run / "best.pt")
    assert not marker.exists()
    (run / "config.json").unlink()
    _one_error_line(_cli("evaluate", "--data", tmp_path, "--run", run, "--device", "cpu"), run)


def test_run_folder_made_here_is_removed_when_training_fails_before_a_checkpoint(tmp_path):
    out = tmp_path / "run"
    with pytest.raises(InputError):
        with run_folder(out):
            (out / "split.json").write_text("{}")
            raise InputError(None, "no usable data")
    assert not out.exists()
    out.mkdir()
    (out / "mine.txt").write_text("keep")
    with pytest.raises(InputError):
        with run_folder(out):
            raise InputError(None, "no usable data")
    assert (out / "mine.txt").exists()   # a folder that was already there is never removed
