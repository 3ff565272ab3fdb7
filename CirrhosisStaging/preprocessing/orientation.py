"""Canonical orientation by axis permutation and flips only (lossless, no interpolation)."""

from __future__ import annotations

import SimpleITK as sitk

# SimpleITK's DICOMOrient codes: "LPS" is ITK's identity direction (x towards the patient's left,
# y posterior, z superior). Any fixed choice works; it only has to be the same in training and inference.
CANONICAL = "LPS"


def orientation_code(image: sitk.Image) -> str:
    """Three-letter code of the nearest axis-aligned orientation of `image`."""
    return sitk.DICOMOrientImageFilter.GetOrientationFromDirectionCosines(image.GetDirection())


def index_axis_along(image: sitk.Image, letters: str) -> int:
    """The index axis (x 0, y 1, z 2) of `image` nearest the patient axis whose orientation letters are `letters`
    ("LR", "AP" or "SI"), from the orientation code (so the three axes are always distinct)."""
    return next(index for index, letter in enumerate(orientation_code(image)) if letter in letters)


def to_canonical(image: sitk.Image, code: str = CANONICAL) -> sitk.Image:
    """Permute/flip voxel axes so the array axes follow `code`; oblique images keep their small tilt."""
    if orientation_code(image) == code:
        return image
    return sitk.DICOMOrient(image, code)


def from_canonical(image: sitk.Image, original: sitk.Image) -> sitk.Image:
    """Undo `to_canonical`: back to the voxel order and exact grid of `original`."""
    restored = sitk.DICOMOrient(image, orientation_code(original))
    restored.CopyInformation(original)  # permutation is exact; this removes float noise in the header
    return restored
