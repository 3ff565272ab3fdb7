"""The slices a label volume was drawn on, when it reached the image's grid by nearest-neighbour resampling.

The shared CHAOS labels were drawn on the scanner's slices (about 9 mm apart) and copied, nearest neighbour, onto
the images' 7.7 mm slices while the images were interpolated: every 7th label slice repeats its neighbour and the
others lie up to half a slice from where the annotator drew them. The repeats give away the drawn slices'
spacing and offset, so a segmentation can also be scored on the slices that were drawn (the CHAOS challenge
scores on the scanner's grid). For benchmarks only: the pipeline itself never sees labels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import SimpleITK as sitk


@dataclass
class AnnotationGrid:
    ratio: float              # drawn slice spacing / image slice spacing
    positions: np.ndarray     # where each drawn slice lies, in (fractional) image slice indices, rising
    label_slices: np.ndarray  # for each drawn slice, the first image-grid label slice that copies it

    def reference(self, image: sitk.Image) -> sitk.Image:
        """`image` resampled (linear) onto the drawn slices: same in-plane grid, one slice per drawn slice."""
        origin = image.TransformContinuousIndexToPhysicalPoint((0.0, 0.0, float(self.positions[0])))
        spacing = image.GetSpacing()
        size = image.GetSize()
        grid = sitk.Image(size[0], size[1], len(self.positions), sitk.sitkFloat32)
        grid.SetOrigin(origin)
        grid.SetDirection(image.GetDirection())
        grid.SetSpacing((spacing[0], spacing[1], spacing[2] * self.ratio))
        # Drawn slices a fraction beyond the volume's ends take the end slice's values, not zeros.
        return sitk.Resample(sitk.Cast(image, sitk.sitkFloat32), grid, sitk.Transform(), sitk.sitkLinear, 0.0,
                             sitk.sitkFloat32, True)

    def labels(self, truth: np.ndarray) -> np.ndarray:
        """The label volume (z, y, x) with each drawn slice once."""
        return truth[self.label_slices]


def find_annotation_grid(truth: np.ndarray, steps: int = 1000) -> AnnotationGrid | None:
    """The drawn slice grid of a (z, y, x) label volume whose slices were copied from coarser drawn slices, or
    None when no labelled slice repeats its neighbour (drawn on the image's own slices, or nothing to tell by).

    Every spacing ratio in (1, 2) and offset that reproduces exactly which labelled slices repeat is consistent;
    the one whose drawn-slice positions are nearest the mean over all of them is returned (they spread over a
    fraction of a slice)."""
    labelled = np.flatnonzero(truth.reshape(truth.shape[0], -1).any(axis=1))
    if len(labelled) < 3:
        return None
    slices = np.arange(labelled[0], labelled[-1] + 1)
    repeats = np.array([np.array_equal(truth[k], truth[k - 1]) for k in slices[1:]])
    if not repeats.any():
        return None
    every_slice = np.arange(truth.shape[0])
    candidates, positions = [], []
    for ratio in np.linspace(1.0, 2.0, steps + 1)[1:-1]:
        offsets = np.arange(steps // 10)[:, None] * ratio / (steps // 10)
        drawn = np.round((slices[None] - offsets) / ratio)
        for offset in offsets[np.all((drawn[:, 1:] == drawn[:, :-1]) == repeats, axis=1), 0]:
            # Where the drawn slice copied into each image slice lies (offsets a whole ratio apart agree here).
            positions.append(np.round((every_slice - offset) / ratio) * ratio + offset)
            candidates.append(ratio)
    if not candidates:
        return None
    positions = np.array(positions)
    best = int(np.argmin(((positions - positions.mean(axis=0)) ** 2).sum(axis=1)))
    copied = positions[best]
    # Drawn indices rise by at most one per image slice (ratio > 1): a new drawn slice wherever the position moves.
    first = np.concatenate([[True], np.diff(copied) > 1e-6])
    return AnnotationGrid(float(candidates[best]), copied[first], every_slice[first])
