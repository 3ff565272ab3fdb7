"""The phantom case offered in Slicer's Sample Data module: files shipped in Resources/SampleData, listed with
their sha256 in sample_data.json, so the tutorial and the self-test are one click and need no network."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from CirrhosisStaging.errors import InputError
from CirrhosisStaging.resources import resource_path

SAMPLE_FOLDER = resource_path("SampleData")
PHANTOM_STAGE, PHANTOM_SEED, PHANTOM_SIZE_SCALE = 2, 4242, 0.6


@dataclass(frozen=True)
class Sample:
    name: str
    path: Path
    node_name: str
    sequence: str
    sha256: str

    @property
    def uri(self) -> str:
        return self.path.as_uri()

    @property
    def checksum(self) -> str:
        """As the Sample Data module expects it."""
        return f"SHA256:{self.sha256}"


def samples(folder: Path = SAMPLE_FOLDER) -> list[Sample]:
    listing = json.loads((folder / "sample_data.json").read_text())
    return [Sample(s["name"], folder / s["file"], s["node_name"], s["sequence"], s["sha256"])
            for s in listing["samples"]]


def category(folder: Path = SAMPLE_FOLDER) -> str:
    return json.loads((folder / "sample_data.json").read_text())["category"]


def verified_path(sample: Sample) -> Path:
    """The sample's file, refused if it is missing or differs from its listed sha256."""
    if not sample.path.is_file():
        raise InputError(sample.path, "sample data file is missing")
    digest = hashlib.sha256(sample.path.read_bytes()).hexdigest()
    if digest != sample.sha256:
        raise InputError(sample.path, f"sha256 {digest[:12]}... differs from the listed {sample.sha256[:12]}...")
    return sample.path


def regenerate(folder: Path = SAMPLE_FOLDER) -> None:
    """Rewrite the phantom files and their listed sha256 (deterministic: same engine, same bytes)."""
    from CirrhosisStaging.io import write_image
    from CirrhosisStaging.phantom import make_case

    listing = json.loads((folder / "sample_data.json").read_text())
    for entry in listing["samples"]:
        case = make_case(PHANTOM_STAGE, PHANTOM_SEED, entry["sequence"], size_scale=PHANTOM_SIZE_SCALE)
        path = write_image(case.image, folder / entry["file"])
        entry["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    (folder / "sample_data.json").write_text(json.dumps(listing, indent=2) + "\n")


if __name__ == "__main__":
    regenerate()
