"""Outputs under stress: an --out that is a file, a read-only or full disk, a killed run, two racing runs."""

from __future__ import annotations

import collections
import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest
from synthetic_volumes import make_volume, write_phantom_patient

from CirrhosisStaging.cli.main import main
from CirrhosisStaging.errors import InputError
from CirrhosisStaging.io import atomic_directory, write_image
from CirrhosisStaging.io import process_identity
from CirrhosisStaging.io.atomic import remove_stale_partials
from CirrhosisStaging.io import output_checks
from CirrhosisStaging.io.output_checks import check_output_file, check_output_folder


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def _cli_in_process(capsys, *args):
    status = main([str(a) for a in args])
    captured = capsys.readouterr()
    return status, captured.err


@pytest.mark.parametrize("overwrite", [False, True])
def test_out_naming_an_existing_file_is_refused_and_the_file_kept(tmp_path, overwrite):
    target = tmp_path / "notes.txt"
    target.write_text("mine")
    with pytest.raises(InputError, match="is a file, not a folder"):
        check_output_folder(target, overwrite=overwrite)
    with pytest.raises(InputError, match="is a file, not a folder"):
        with atomic_directory(target, overwrite=overwrite) as work:
            (work / "result.json").write_text("{}")
    assert target.read_text() == "mine" and _leftovers(tmp_path) == []


def test_cli_run_refuses_a_file_as_out_before_computing(tmp_path, capsys):
    image = write_image(make_volume(), tmp_path / "t2.nii.gz")
    target = tmp_path / "out.json"
    target.write_text("mine")
    status, err = _cli_in_process(capsys, "run", "--t2", image, "--out", target, "--overwrite", "--device", "cpu")
    assert status == 2 and err.count("\n") == 1 and err.startswith(f"error: {target}")
    assert target.read_text() == "mine" and _leftovers(tmp_path) == []


def test_read_only_parent_is_refused_before_computing(tmp_path, monkeypatch):
    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(output_checks.tempfile, "mkstemp", read_only)
    with pytest.raises(InputError, match="not writable .Read-only file system"):
        check_output_folder(tmp_path / "new" / "out")
    with pytest.raises(InputError, match="not writable"):
        check_output_file(tmp_path / "mask.nii.gz")


def test_full_disk_is_refused_before_computing(tmp_path, monkeypatch):
    usage = collections.namedtuple("usage", "total used free")
    monkeypatch.setattr(output_checks.shutil, "disk_usage", lambda path: usage(10**12, 10**12, 5_000_000))
    with pytest.raises(InputError, match="only 5 MB free"):
        check_output_folder(tmp_path / "out")


def test_writable_parent_passes_and_leaves_no_probe(tmp_path):
    check_output_folder(tmp_path / "a" / "b", min_free_bytes=1)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("error", [OSError(errno.ENOSPC, "No space left on device"),
                                   OSError(errno.EROFS, "Read-only file system")])
def test_disk_full_or_read_only_at_write_time_leaves_nothing(tmp_path, monkeypatch, error):
    def failing_write(*args, **kwargs):
        raise error

    target = tmp_path / "out"
    with pytest.raises(InputError) as caught:
        with atomic_directory(target) as work:
            (work / "result.json").write_text("{}")
            monkeypatch.setattr("CirrhosisStaging.io.image_io.sitk.WriteImage", failing_write)
            write_image(make_volume(), work / "t1_liver_mask.nii.gz")
    message = str(caught.value)
    assert "\n" not in message and message.startswith(str(target)) and os.strerror(error.errno) in message
    assert ".partial" not in message   # names the user's folder, not our hidden one
    assert list(tmp_path.iterdir()) == []


def test_two_racing_runs_one_wins_the_other_is_told(tmp_path):
    target = tmp_path / "out"
    with pytest.raises(InputError, match="another run created this output folder"):
        with atomic_directory(target) as loser:
            (loser / "result.json").write_text("loser")
            with atomic_directory(target) as winner:   # started after, finished first
                (winner / "result.json").write_text("winner")
    assert (target / "result.json").read_text() == "winner"
    assert _leftovers(tmp_path) == []


def test_overwrite_keeps_the_previous_output_when_the_new_one_fails(tmp_path):
    target = tmp_path / "out"
    with atomic_directory(target) as work:
        (work / "result.json").write_text("old")
    with pytest.raises(InputError):
        with atomic_directory(target, overwrite=True) as work:
            raise OSError(errno.ENOSPC, "No space left on device")
    assert (target / "result.json").read_text() == "old" and _leftovers(tmp_path) == []
    with atomic_directory(target, overwrite=True) as work:
        (work / "result.json").write_text("new")
    assert (target / "result.json").read_text() == "new" and _leftovers(tmp_path) == []


def test_partials_of_killed_runs_are_removed_live_ones_kept(tmp_path):
    target = tmp_path / "out"
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(finished.stdout)   # that process has exited
    tag, me = process_identity.host_tag(), os.getpid()
    started = process_identity.start_ticks(me)
    assert started is not None   # Linux: the start time goes into the name
    dead = tmp_path / f".out.partial-{tag}-{dead_pid}-abc123"                      # named without a start time
    live = tmp_path / f".out.partial-{tag}-{me}-def456"
    live_named = tmp_path / f".out.partial-{tag}-{me}s{started}-jkl012"
    pid_reused = tmp_path / f".out.partial-{tag}-{me}s{started + 1}-mno345"        # an earlier process's PID
    other_host = tmp_path / f".out.partial-00000000-{dead_pid}-ghi789"
    unrelated = tmp_path / ".other.partial-zz"
    for folder in (dead, live, live_named, pid_reused, other_host, unrelated):
        folder.mkdir()
        (folder / "t1_liver_mask.nii.gz").write_bytes(b"half")
    check_output_folder(target)
    assert not dead.exists() and not pid_reused.exists()
    assert live.exists() and live_named.exists() and other_host.exists() and unrelated.exists()


def test_a_run_names_its_partial_folder_by_process_and_start_time(tmp_path):
    """So that a later run can tell this process from another that gets its PID."""
    with atomic_directory(tmp_path / "out") as work:
        me, tag = os.getpid(), process_identity.host_tag()
        assert work.name.startswith(f".out.partial-{tag}-{me}s{process_identity.start_ticks(me)}-")
        assert remove_stale_partials(tmp_path / "out") == [] and work.exists()   # a live run's own folder stays


def test_cli_run_with_disk_full_at_write_time_exits_2_and_leaves_nothing(tmp_path, monkeypatch, capsys):
    """The whole run computes, then the disk fills while the report is written."""
    import CirrhosisStaging.report as report

    case = write_phantom_patient(tmp_path)

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(report, "write_report", disk_full)
    out = tmp_path / "results" / "out"
    status, err = _cli_in_process(capsys, "run", "--t2", case["t2"], "--t2-mask", case["t2_mask"], "--out", out,
                                  "--device", "cpu")
    assert status == 2 and err.count("\n") == 1
    assert err.startswith(f"error: {out}: cannot be written (No space left on device)")
    assert not out.exists() and _leftovers(out.parent) == []
