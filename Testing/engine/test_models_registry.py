"""Model manifest and weights: validated descriptions, checked files, no silent downloads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from CirrhosisStaging.errors import InputError
from CirrhosisStaging.models import (
    ModelEntry, cached_path, clear_cache, default_manifest_path, find_model, load_manifest, load_state_dict,
    models_cache_dir, resolve_weights, sha256_of, verify_sha256, write_manifest_entry,
)

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path, monkeypatch):
    """No test may read or fill the real ~/.cache, nor see a manifest override from the shell."""
    monkeypatch.setenv("CIRRHOSIS_STAGING_CACHE", str(tmp_path / "cache-root"))
    monkeypatch.delenv("CIRRHOSIS_STAGING_MODELS", raising=False)
    return tmp_path / "cache-root" / "models"


def tiny_weights(path: Path, wrap: bool = False) -> dict:
    """Save a small torch module's state dict (optionally inside a training checkpoint); return it."""
    torch.manual_seed(0)
    state = torch.nn.Linear(3, 2).state_dict()
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"state_dict": state, "epoch": 7} if wrap else state, path)
    return state


def entry_dict(weights: Path | None = None, **overrides) -> dict:
    entry = {
        "name": "liver-unet", "version": "1.0.0", "task": "segmentation",
        "architecture": {"class": "UNet", "channels": [16, 32], "strides": [2]},
        "sequences": ["t1", "t2"], "spacing_mm": [2.5, 2.5, 5.0],
        "labels": {"1": "liver", "2": "right kidney", "3": "left kidney", "4": "spleen"},
        "file": "weights/liver-unet-1.0.0.pt", "url": None,
        "sha256": sha256_of(weights) if weights else "0" * 64,
        "size_bytes": weights.stat().st_size if weights else 1,
        "training_data": "CHAOS T2-SPIR, 20 patients", "licence": "CC BY-NC-SA 4.0 (trained on CHAOS)",
        "validation": {"dice_liver": 0.93}, "expected_seconds": {"cpu": 40, "gpu": 3},
        "demonstration_only": False, "notice": "Research use only.",
    }
    entry.update(overrides)
    return entry


@pytest.fixture
def manifest(tmp_path) -> Path:
    """A manifest with one segmentation model whose weights sit next to it."""
    folder = tmp_path / "models"
    weights = folder / "weights" / "liver-unet-1.0.0.pt"
    tiny_weights(weights)
    return write_manifest_entry(folder / "manifest.json", entry_dict(weights))


def test_manifest_loads_into_typed_entries(manifest):
    loaded = load_manifest(manifest)
    assert loaded.path == manifest
    (entry,) = loaded.entries
    assert isinstance(entry, ModelEntry)
    assert entry.labels == {1: "liver", 2: "right kidney", 3: "left kidney", 4: "spleen"}
    assert entry.spacing_mm == (2.5, 2.5, 5.0) and entry.sequences == ("t1", "t2")
    assert entry.bundled_path == manifest.parent / "weights" / "liver-unet-1.0.0.pt"
    assert entry.key == "liver-unet-1.0.0"
    assert entry.to_dict() == json.loads(manifest.read_text())["models"][0]


@pytest.mark.parametrize("change, message", [
    (lambda e: e.pop("sha256"), "missing field(s): sha256"),
    (lambda e: e.update(task="grading"), "'task' must be one of"),
    (lambda e: e.update(spacing_mm=[1, 1]), "'spacing_mm'"),
    (lambda e: e.update(sha256="ABC"), "'sha256'"),
    (lambda e: e.update(license="MIT"), "unknown field(s): license"),
    (lambda e: e.update(file="../../etc/passwd"), "'file' must stay inside"),
    (lambda e: e.update(demonstration_only="no"), "'demonstration_only'"),
    (lambda e: e.update(expected_seconds={"cpu": 3}), "'expected_seconds'"),
    (lambda e: e.update(labels={"liver": 1}), "'labels'"),
    (lambda e: e.update(url="ftp://example.org/w.pt"), "'url'"),
])
def test_invalid_entries_are_refused_naming_manifest_and_field(tmp_path, change, message):
    entry = entry_dict()
    change(entry)
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps({"format_version": 1, "models": [entry]}))
    with pytest.raises(InputError) as caught:
        load_manifest(path)
    assert caught.value.path == str(path)
    assert "model entry 0 ('liver-unet')" in caught.value.problem
    assert message in caught.value.problem


def test_broken_manifests_are_refused(tmp_path):
    path = tmp_path / "manifest.json"
    with pytest.raises(InputError, match="manifest not found"):
        load_manifest(path)
    path.write_text("{not json")
    with pytest.raises(InputError, match="not valid JSON"):
        load_manifest(path)
    path.write_text(json.dumps({"format_version": 1, "models": [entry_dict(), entry_dict()]}))
    with pytest.raises(InputError, match="listed twice"):
        load_manifest(path)
    path.write_text(json.dumps({"format_version": 99, "models": []}))
    with pytest.raises(InputError, match="format_version"):
        load_manifest(path)


def test_find_model_picks_newest_version_and_filters_by_name(tmp_path):
    path = tmp_path / "manifest.json"
    for name, version, task in [("seg", "1.9", "segmentation"), ("seg", "1.10", "segmentation"),
                                ("other", "5.0", "segmentation"), ("stage", "0.1", "staging")]:
        write_manifest_entry(path, entry_dict(name=name, version=version, task=task))
    assert find_model("segmentation", "seg", manifest=path).version == "1.10"
    assert find_model("segmentation", "seg-1.9", manifest=path).version == "1.9"   # pinned by its listed key
    assert find_model("segmentation", manifest=path).key == "other-5.0"
    assert find_model("staging", manifest=load_manifest(path)).name == "stage"
    with pytest.raises(InputError, match="no segmentation model 'nope'.*seg-1.9"):
        find_model("segmentation", "nope", manifest=path)


def test_each_sequence_gets_the_newest_model_made_for_it(tmp_path):
    """A T2W-only model newer than a T1W/T2W one: T2W volumes get it, T1W volumes keep the older one."""
    path = tmp_path / "manifest.json"
    write_manifest_entry(path, entry_dict(name="both", version="1.5.0", sequences=["t1", "t2"]))
    write_manifest_entry(path, entry_dict(name="t2-only", version="2.0.0", sequences=["t2"]))
    assert find_model("segmentation", sequence="t2", manifest=path).key == "t2-only-2.0.0"
    assert find_model("segmentation", sequence="t1", manifest=path).key == "both-1.5.0"
    assert find_model("segmentation", manifest=path).key == "t2-only-2.0.0"         # no sequence: newest of all
    assert find_model("segmentation", "t2-only", sequence="t1", manifest=path).key == "t2-only-2.0.0"   # named wins
    with pytest.raises(InputError, match="no segmentation model for dwi"):
        find_model("segmentation", sequence="dwi", manifest=path)


def test_default_manifest_is_the_shipped_one_and_env_can_move_it(manifest, monkeypatch):
    assert default_manifest_path() == REPO / "Resources" / "Models" / "manifest.json"
    load_manifest()  # the shipped manifest must always be valid
    monkeypatch.setenv("CIRRHOSIS_STAGING_MODELS", str(manifest.parent))
    assert default_manifest_path() == manifest
    assert find_model("segmentation").name == "liver-unet"
    monkeypatch.setenv("CIRRHOSIS_STAGING_MODELS", str(manifest))
    assert load_manifest().path == manifest


def test_state_dict_round_trip_with_weights_only(manifest):
    entry = find_model("segmentation", manifest=manifest)
    loaded = load_state_dict(entry, device="cpu")
    torch.manual_seed(0)
    reference = torch.nn.Linear(3, 2).state_dict()  # same seed as the saved module
    assert set(loaded) == set(reference)
    for key, tensor in loaded.items():
        assert tensor.device.type == "cpu" and torch.equal(tensor, reference[key])
    torch.nn.Linear(3, 2).load_state_dict(loaded)  # loads into the architecture it came from


def test_checkpoint_dict_gives_its_inner_state_dict(tmp_path):
    weights = tmp_path / "weights" / "liver-unet-1.0.0.pt"
    state = tiny_weights(weights, wrap=True)
    path = write_manifest_entry(tmp_path / "manifest.json", entry_dict(weights))
    loaded = load_state_dict(find_model("segmentation", manifest=path))
    assert set(loaded) == set(state) == {"weight", "bias"}


class NotATensor:
    """Pickled code that weights_only loading must refuse."""


def test_pickled_objects_are_refused(tmp_path):
    weights = tmp_path / "weights" / "liver-unet-1.0.0.pt"
    weights.parent.mkdir(parents=True)
    torch.save({"state_dict": NotATensor()}, weights)
    path = write_manifest_entry(tmp_path / "manifest.json", entry_dict(weights))
    with pytest.raises(InputError, match="cannot be loaded as PyTorch weights") as caught:
        load_state_dict(find_model("segmentation", manifest=path))
    assert caught.value.path == str(weights)


def test_sha256_mismatch_is_refused_naming_the_file(manifest):
    entry = find_model("segmentation", manifest=manifest)
    data = bytearray(entry.bundled_path.read_bytes())
    data[-10] ^= 0xFF  # same size, different content
    entry.bundled_path.write_bytes(bytes(data))
    with pytest.raises(InputError) as caught:
        load_state_dict(entry)
    assert caught.value.path == str(entry.bundled_path)
    assert caught.value.problem.startswith(f"sha256 mismatch: expected {entry.sha256}, got ")
    assert "corrupt or was replaced" in caught.value.problem
    with pytest.raises(InputError, match="sha256 mismatch"):
        verify_sha256(entry.bundled_path, entry.sha256)


def test_truncated_weights_are_refused(manifest):
    entry = find_model("segmentation", manifest=manifest)
    entry.bundled_path.write_bytes(entry.bundled_path.read_bytes()[:100])
    with pytest.raises(InputError, match="truncated"):
        load_state_dict(entry)


def test_missing_weights_without_consent_say_how_to_allow_download(manifest):
    entry = find_model("segmentation", manifest=manifest)
    entry.bundled_path.unlink()
    with pytest.raises(InputError, match="no download address"):
        resolve_weights(entry)
    online = ModelEntry.from_dict(dict(entry.to_dict(), url="https://example.org/liver-unet-1.0.0.pt"),
                                  entry.manifest_dir)
    with pytest.raises(InputError) as caught:
        load_state_dict(online)
    assert caught.value.path == str(entry.bundled_path)
    assert "are missing" in caught.value.problem and "--allow-download" in caught.value.problem
    assert "https://example.org/liver-unet-1.0.0.pt" in caught.value.problem


def test_cache_location_follows_env_and_argument(manifest, isolated_cache, tmp_path, monkeypatch):
    entry = find_model("segmentation", manifest=manifest)
    assert models_cache_dir() == isolated_cache
    assert cached_path(entry) == isolated_cache / "liver-unet-1.0.0" / "liver-unet-1.0.0.pt"
    assert models_cache_dir(tmp_path / "elsewhere") == tmp_path / "elsewhere"
    monkeypatch.delenv("CIRRHOSIS_STAGING_CACHE")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    assert models_cache_dir() == tmp_path / "home" / ".cache" / "cirrhosis-staging" / "models"


def test_cached_weights_are_found_and_cleared(manifest, isolated_cache):
    entry = find_model("segmentation", manifest=manifest)
    cached = cached_path(entry)
    cached.parent.mkdir(parents=True)
    entry.bundled_path.rename(cached)
    assert resolve_weights(entry) == cached
    assert set(load_state_dict(entry)) == {"weight", "bias"}
    unrelated = isolated_cache / "notes"
    (unrelated / "sub").mkdir(parents=True)
    assert clear_cache() == 1
    assert not cached.parent.exists() and unrelated.exists()
    assert clear_cache() == 0


def test_write_manifest_entry_replaces_same_name_and_version(manifest):
    write_manifest_entry(manifest, entry_dict(notice="Replaced notice."))
    entries = load_manifest(manifest).entries
    assert len(entries) == 1 and entries[0].notice == "Replaced notice."
    write_manifest_entry(manifest, entry_dict(version="1.1.0"))
    assert [e.version for e in load_manifest(manifest).entries] == ["1.0.0", "1.1.0"]
    before = manifest.read_text()
    with pytest.raises(InputError, match="new model entry 'liver-unet'.*'task'"):
        write_manifest_entry(manifest, entry_dict(task="grading"))
    assert manifest.read_text() == before
    assert [p.name for p in manifest.parent.iterdir() if p.is_file()] == ["manifest.json"]
