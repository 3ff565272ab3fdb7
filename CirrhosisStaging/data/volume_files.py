"""Listing NIfTI volumes in a folder, keyed by patient id."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..errors import InputError
from .patient_ids import normalise_patient_id

VOLUME_SUFFIXES = (".nii.gz", ".nii")


def volume_stem(name: str) -> str | None:
    """'0012.nii.gz' -> '0012'; None for a file that is not a NIfTI volume."""
    lowered = name.lower()
    for suffix in VOLUME_SUFFIXES:
        if lowered.endswith(suffix):
            return name[: -len(suffix)]
    return None


def list_volumes(folder: Path, id_from_stem: Callable[[str], str] = normalise_patient_id) -> dict[str, Path]:
    """Patient id -> volume file for every NIfTI file directly in `folder`.

    Two files naming the same patient ('12.nii' beside '12.nii.gz', or '0012' beside '12') would make the
    choice arbitrary, so that is an error naming both.
    """
    found: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        # Hidden files include the '._12.nii.gz' resource forks that macOS copies leave behind.
        if path.name.startswith(".") or not path.is_file():
            continue
        stem = volume_stem(path.name)
        if stem is None:
            continue
        patient_id = id_from_stem(stem)
        if not patient_id:
            continue
        if patient_id in found:
            raise InputError(path, f"names the same patient ({patient_id}) as {found[patient_id].name} "
                                   "in the same folder; keep only one of the two files")
        found[patient_id] = path
    return found
