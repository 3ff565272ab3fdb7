"""The model manifest: which trained weights exist, what they expect and under which licence.

The manifest is `Resources/Models/manifest.json` in the repository (and in the installed Slicer extension);
the environment variable CIRRHOSIS_STAGING_MODELS points at another manifest file or at a folder holding
`manifest.json`, e.g. for a site that keeps its own weights.

    {"format_version": 1, "models": [{"name": ..., "version": ..., ...}, ...]}
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from ..versions import version_key
from .schema import EntryProblem, validate_entry

FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
MANIFEST_ENV = "CIRRHOSIS_STAGING_MODELS"


@dataclass(frozen=True)
class ModelEntry:
    name: str
    version: str
    task: str                      # "segmentation" | "staging"
    architecture: dict             # {"class": ..., constructor kwargs...}
    sequences: tuple[str, ...]     # e.g. ("t1", "t2")
    spacing_mm: tuple[float, float, float]  # x, y, z
    labels: dict[int, str]         # label value -> name
    file: str                      # relative to manifest_dir
    sha256: str
    size_bytes: int
    training_data: str
    licence: str
    validation: dict
    expected_seconds: dict         # {"cpu": s, "gpu": s}
    demonstration_only: bool       # True for staging weights trained on simulated data
    notice: str                    # shown to users next to every result
    url: str | None = None
    manifest_dir: Path = field(default=Path("."), compare=False)  # where `file` is looked up first

    @classmethod
    def from_dict(cls, data: dict, manifest_dir: Path) -> "ModelEntry":
        """Build from an already validated manifest entry."""
        return cls(
            name=data["name"], version=data["version"], task=data["task"],
            architecture=dict(data["architecture"]), sequences=tuple(data["sequences"]),
            spacing_mm=tuple(float(v) for v in data["spacing_mm"]),
            labels={int(k): v for k, v in data["labels"].items()}, file=data["file"],
            sha256=data["sha256"], size_bytes=int(data["size_bytes"]), training_data=data["training_data"],
            licence=data["licence"], validation=dict(data["validation"]),
            expected_seconds=dict(data["expected_seconds"]), demonstration_only=data["demonstration_only"],
            notice=data["notice"], url=data.get("url"), manifest_dir=Path(manifest_dir),
        )

    def to_dict(self) -> dict:
        """The manifest JSON form (what write_manifest_entry stores)."""
        return {
            "name": self.name, "version": self.version, "task": self.task, "architecture": dict(self.architecture),
            "sequences": list(self.sequences), "spacing_mm": list(self.spacing_mm),
            "labels": {str(k): v for k, v in sorted(self.labels.items())}, "file": self.file, "url": self.url,
            "sha256": self.sha256, "size_bytes": self.size_bytes, "training_data": self.training_data,
            "licence": self.licence, "validation": dict(self.validation),
            "expected_seconds": dict(self.expected_seconds), "demonstration_only": self.demonstration_only,
            "notice": self.notice,
        }

    @property
    def key(self) -> str:
        """`<name>-<version>`: the cache folder name and how messages refer to the weights."""
        return f"{self.name}-{self.version}"

    @property
    def bundled_path(self) -> Path:
        """Where the weights sit when shipped (or copied) next to the manifest."""
        return self.manifest_dir / Path(self.file.replace("\\", "/"))


@dataclass(frozen=True)
class Manifest:
    path: Path
    entries: tuple[ModelEntry, ...]

    def find(self, task: str, name: str | None = None, sequence: str | None = None) -> ModelEntry:
        """The entry for `task`: newest version of `name` (or of any name when None), or exactly the `<name>-<version>`
        key that messages list (to pin an older version). Without a name, `sequence` ("t1", "t2") limits the choice
        to models whose entry lists that sequence: each sequence gets the newest model made for it."""
        candidates = [e for e in self.entries if e.task == task and (name is None or name in (e.name, e.key))]
        if name is None and sequence is not None:
            candidates = [e for e in candidates if sequence in e.sequences]
        if not candidates:
            wanted = f"{task} model {name!r}" if name else f"{task} model" + (f" for {sequence}" if sequence else "")
            available = ", ".join(e.key for e in self.entries if e.task == task) or "none"
            raise InputError(self.path, f"no {wanted} in the model manifest (available {task} models: {available})")
        return max(candidates, key=lambda e: version_key(e.version))


def default_manifest_path() -> Path:
    """CIRRHOSIS_STAGING_MODELS (file or folder) if set, else Resources/Models/manifest.json beside the engine
    (the checkout's, or the installed extension's)."""
    override = os.environ.get(MANIFEST_ENV)
    if override:
        path = Path(override).expanduser()
        return path / MANIFEST_NAME if path.is_dir() else path
    from ..resources import resource_path

    return resource_path("Models", MANIFEST_NAME)


def load_manifest(path: str | os.PathLike | None = None) -> Manifest:
    """Read and validate a manifest; any problem is an InputError naming the manifest file."""
    path = Path(path) if path is not None else default_manifest_path()
    if not path.is_file():
        raise InputError(path, f"model manifest not found (set {MANIFEST_ENV} to a manifest file or its folder)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(path, f"model manifest is not valid JSON: {error}") from None
    raw_entries = check_manifest_data(data, path)
    return Manifest(path, tuple(ModelEntry.from_dict(e, path.parent) for e in raw_entries))


def check_manifest_data(data, path: Path) -> list[dict]:
    """Validate the manifest's top level and every entry; returns the list of entry dicts."""
    if not isinstance(data, dict) or not isinstance(data.get("models"), list):
        raise InputError(path, "model manifest must be a JSON object with a \"models\" list")
    if data.get("format_version", FORMAT_VERSION) != FORMAT_VERSION:
        raise InputError(path, f"model manifest format_version {data.get('format_version')!r} is not supported "
                               f"(this engine reads version {FORMAT_VERSION})")
    seen = set()
    for index, entry in enumerate(data["models"]):
        label = f"model entry {index}" + (f" ({entry.get('name')!r})" if isinstance(entry, dict) and "name" in entry else "")
        try:
            validate_entry(entry)
        except EntryProblem as problem:
            raise InputError(path, f"{label}: {problem}") from None
        identity = (entry["name"], entry["version"])
        if identity in seen:
            raise InputError(path, f"{label}: {entry['name']} version {entry['version']} is listed twice")
        seen.add(identity)
    return data["models"]


def find_model(task: str, name: str | None = None, manifest: Manifest | str | os.PathLike | None = None,
               sequence: str | None = None) -> ModelEntry:
    """The newest version of the `task` model (of `name` if given; else the newest listing `sequence`, when given)
    in `manifest` (default manifest if None)."""
    if not isinstance(manifest, Manifest):
        manifest = load_manifest(manifest)
    return manifest.find(task, name, sequence)
