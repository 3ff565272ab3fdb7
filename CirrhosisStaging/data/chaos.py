"""Reader for the CHAOS T2-SPIR folder: `image_<id>.nii.gz` volumes with `label_<id>.nii.gz` organ labels.

Label codes are in `labels.py` (LIVER, RIGHT_KIDNEY, LEFT_KIDNEY, SPLEEN). CHAOS subjects are healthy
liver donors: they train and benchmark segmentation, never staging.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError

_CHAOS_FILE = re.compile(r"(image|label)_(\d+)\.nii(\.gz)?", re.IGNORECASE)


@dataclass(frozen=True)
class ChaosCase:
    subject_id: str  # the CHAOS subject number, without leading zeros
    image: Path
    label: Path


def list_chaos_cases(root: str | os.PathLike) -> list[ChaosCase]:
    """Every image/label pair in `root`, in subject number order. An unpaired file is an error: it means an
    incomplete copy, and training on fewer subjects than expected should not pass unnoticed."""
    root = Path(root)
    if not root.is_dir():
        raise InputError(root, "no such folder")
    files: dict[str, dict[int, Path]] = {"image": {}, "label": {}}
    for path in sorted(root.iterdir()):
        match = _CHAOS_FILE.fullmatch(path.name)
        if match is None or not path.is_file():
            continue
        table, number = files[match.group(1).lower()], int(match.group(2))
        if number in table:
            raise InputError(path, f"names the same subject ({number}) as {table[number].name}; keep only one")
        table[number] = path
    images, labels = files["image"], files["label"]
    if not images or not labels:
        raise InputError(root, "no CHAOS image_<id>.nii.gz / label_<id>.nii.gz pairs in this folder")
    for number, image in sorted(images.items()):
        if number not in labels:
            raise InputError(image, f"no label_{number}.nii.gz beside this image")
    for number, label in sorted(labels.items()):
        if number not in images:
            raise InputError(label, f"no image_{number}.nii.gz beside this label")
    return [ChaosCase(str(number), images[number], labels[number]) for number in sorted(images)]
