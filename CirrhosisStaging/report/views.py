"""What the report shows of one MRI sequence: the image, its label map and (optionally) an attention map."""

from __future__ import annotations

from dataclasses import dataclass

import SimpleITK as sitk

SEQUENCE_KEYS = ("t1", "t2")


@dataclass(frozen=True)
class SequenceView:
    """One sequence of a staging run.

    image: the MRI volume. labels: uint8 label map on the same grid (1 liver, 4 spleen, others ignored),
    or None. attention: float32 map in [0, 1] on the same grid (Grad-CAM), or None.
    Only voxel data and geometry are read; image metadata (DICOM tags, file names) never reaches the report.
    """

    image: sitk.Image
    labels: sitk.Image | None = None
    attention: sitk.Image | None = None


def ordered_views(views: dict[str, SequenceView] | None) -> list[tuple[str, SequenceView]]:
    """(key, view) pairs in report order (T1 then T2); unknown keys are an error, None entries skipped."""
    views = dict(views or {})
    unknown = sorted(set(views) - set(SEQUENCE_KEYS))
    if unknown:
        raise ValueError(f"views must be keyed by {SEQUENCE_KEYS}, got {unknown}")
    return [(key, views[key]) for key in SEQUENCE_KEYS if views.get(key) is not None]


def on_image_grid(image: sitk.Image, other: sitk.Image | None, nearest: bool) -> sitk.Image | None:
    """`other` on the voxel grid of `image` (a no-op when the grids already match), metadata dropped."""
    if other is None:
        return None
    if _same_grid(image, other):
        aligned = sitk.Image(other)
    else:
        interpolator = sitk.sitkNearestNeighbor if nearest else sitk.sitkLinear
        aligned = sitk.Resample(other, image, sitk.Transform(), interpolator, 0.0, other.GetPixelID())
    for key in aligned.GetMetaDataKeys():
        aligned.EraseMetaData(key)
    return aligned


def _same_grid(a: sitk.Image, b: sitk.Image, tolerance: float = 1e-4) -> bool:
    if a.GetSize() != b.GetSize():
        return False
    pairs = zip(a.GetSpacing() + a.GetOrigin() + a.GetDirection(), b.GetSpacing() + b.GetOrigin() + b.GetDirection())
    return all(abs(x - y) <= tolerance * max(1.0, abs(x)) for x, y in pairs)
