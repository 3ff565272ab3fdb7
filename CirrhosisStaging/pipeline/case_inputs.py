"""Reading and checking every input of a case before any work starts: a bad file fails fast and alone."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import SimpleITK as sitk

from ..data.labels import LIVER
from ..errors import InputError
from ..io import read_image, read_mask, validate_image, validate_mask


@dataclass
class SequenceInput:
    sequence: str                 # "t1" | "t2"
    path: Path
    image: sitk.Image             # float32, validated
    mask: sitk.Image | None       # uint8 labels on the image grid (user-given), None -> segment
    mask_path: Path | None
    sha256: str                   # provenance without file names (names can carry patient names)


def read_case_inputs(t1=None, t2=None, t1_mask=None, t2_mask=None) -> dict[str, SequenceInput]:
    for sequence, path, mask_path in (("t1", t1, t1_mask), ("t2", t2, t2_mask)):
        if path is None and mask_path is not None:
            raise InputError(mask_path, f"a {sequence.upper()} mask was given without a {sequence.upper()} image")
    if t1 is None and t2 is None:
        raise InputError(None, "give --t1 and/or --t2")
    inputs = {}
    for sequence, path, mask_path in (("t1", t1, t1_mask), ("t2", t2, t2_mask)):
        if path is None:
            continue
        image = validate_image(read_image(path), path)
        mask = None
        if mask_path is not None:
            mask = validate_mask(read_mask(mask_path), image, mask_path, path)
            if not (sitk.GetArrayViewFromImage(mask) == LIVER).any():
                raise InputError(mask_path, f"mask has no liver voxels (label {LIVER})")
        inputs[sequence] = SequenceInput(sequence, Path(path), image, mask, Path(mask_path) if mask_path else None,
                                         _sha256(Path(path)))
    if len(inputs) == 2 and inputs["t1"].sha256 == inputs["t2"].sha256:
        # One scan read as both contrasts would be segmented and staged twice as if two sequences agreed.
        raise InputError(t2, f"is the same volume as --t1 {t1}; give each sequence its own scan, or only one")
    return inputs


def check_outputs_do_not_touch_inputs(out_dir, inputs: dict[str, SequenceInput]) -> None:
    """Replacing the output folder must never delete an input, such as a mask the user edited in it."""
    out = Path(out_dir).resolve()
    for item in inputs.values():
        for path in (item.path, item.mask_path):
            if path is not None and (path.resolve() == out or out in path.resolve().parents):
                raise InputError(path, f"input lies inside the output folder {out_dir}, which a run replaces; "
                                       "copy it elsewhere or choose another --out")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        with open(file, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def liver_only(labels: sitk.Image) -> sitk.Image:
    """uint8 0/1 liver mask on the labels' grid."""
    mask = sitk.Cast(labels == LIVER, sitk.sitkUInt8)
    mask.CopyInformation(labels)
    return mask



