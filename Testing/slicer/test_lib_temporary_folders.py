"""Temporary folders the Lib makes for itself (engine run folders, the scene's cache) are removed with their owner;
a work folder the caller names is the caller's and is kept."""

from __future__ import annotations

import gc
from pathlib import Path


def test_own_work_folder_goes_with_the_logic_a_named_one_stays(context, tmp_path):
    from LiverCirrhosisLib import CirrhosisStagingLogic

    logic = CirrhosisStagingLogic(context, device="cpu")
    own = logic._new_run_folder("stage").parent
    (own / "stage-x").mkdir()
    (own / "stage-x" / "result.json").write_text("{}")
    named = CirrhosisStagingLogic(context, tmp_path / "work", device="cpu")
    named_run = named._new_run_folder("segment")
    del logic, named
    gc.collect()
    assert not own.exists()
    assert named_run.is_dir()


def test_scene_cache_folder_goes_with_the_scene_context():
    from LiverCirrhosisLib import create_scene

    context = create_scene()
    cache = Path(context.scene.GetCacheManager().GetRemoteCacheDirectory())
    assert cache.is_dir()
    del context
    gc.collect()
    assert not cache.exists()
