"""Registering newly trained weights in a manifest (used by the training commands)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from ..errors import InputError
from ..io.atomic import atomic_path
from .manifest import FORMAT_VERSION, check_manifest_data
from .schema import EntryProblem, validate_entry


def write_manifest_entry(manifest_path: str | os.PathLike, entry: dict) -> Path:
    """Add `entry` to the manifest (created if absent), replacing an entry with the same name and version.

    The entry is validated first and the file is replaced atomically, so a failed registration leaves the
    previous manifest intact.
    """
    path = Path(manifest_path)
    try:
        validate_entry(entry)
    except EntryProblem as problem:
        raise InputError(path, f"new model entry {entry.get('name')!r}: {problem}") from None
    data = _read_or_new(path)
    models = [m for m in data["models"] if (m["name"], m["version"]) != (entry["name"], entry["version"])]
    models.append(entry)
    data["models"] = models
    check_manifest_data(data, path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as temporary:
        temporary.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def _read_or_new(path: Path) -> dict:
    if not path.exists():
        return {"format_version": FORMAT_VERSION, "models": []}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(path, f"model manifest is not valid JSON: {error}") from None
    check_manifest_data(data, path)
    return data
