"""Snap organ probabilities to the edges of the input image (guided filter, He et al., TPAMI 2013).

The network sees the scan at 2.5 mm in plane; clinical MRI is often finer (1.25 mm on the CHAOS T2 scans), so
probabilities interpolated back to the input grid have boundaries a model voxel wide. A guided filter fits, in
every small window, probability = a * intensity + b: where the window holds an organ edge the probability follows
the image's own edge, elsewhere it is smoothed. Linear in the probabilities, so refined classes still sum to one.

Radius and eps were chosen on the 11 CHAOS training subjects (not the held-out ones): see README, Models.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from ..masks import bounding_slices

EDGE_RADIUS_MM = 5.0   # window half-width; axes with coarser voxels (thick slices) are not mixed at all
EDGE_EPS = 1e-3        # on intensities scaled to [0, 1]: edges weaker than about sqrt(eps) = 0.03 are smoothed over


def radius_voxels(spacing_zyx, radius_mm: float = EDGE_RADIUS_MM) -> tuple[int, ...]:
    """Window half-width per axis in voxels: the whole voxels within `radius_mm` (0 where a voxel is thicker)."""
    return tuple(int(np.floor(radius_mm / float(s) + 1e-6)) for s in spacing_zyx)


def scaled_guide(image: np.ndarray, region=np.s_[...]) -> np.ndarray:
    """`image[region]` clipped to the whole image's 0.5-99.5 percentiles and scaled to [0, 1] (eps is in these
    units); only the region is converted, so a large scan is not copied whole."""
    low, high = np.percentile(image, [0.5, 99.5])
    return np.clip((image[region].astype(np.float32) - low) / max(float(high - low), 1e-6), 0.0, 1.0)


def refine_organs(guide: np.ndarray, organs: np.ndarray, radius_zyx, floor: float) -> np.ndarray:
    """Each organ channel guided-filtered within its own box: where it reaches `floor`, plus twice the window (the
    filter's second mean reads coefficients a window further out). Beyond that box the channel is below `floor`
    and cannot win the argmax either way, so it is left as is; one organ's box is a fraction of all of them."""
    refined = organs.astype(np.float32, copy=True)
    for index, channel in enumerate(organs):
        present = channel >= floor
        if not present.any():
            continue
        box = bounding_slices(present, [2 * r for r in radius_zyx])
        refined[index][box] = guided_filter(guide[box], channel[box][None], radius_zyx)[0]
    return refined


def guided_filter(guide: np.ndarray, channels: np.ndarray, radius_zyx, eps: float = EDGE_EPS) -> np.ndarray:
    """Each (z, y, x) channel of `channels` filtered with `guide` (same shape, scaled to [0, 1])."""
    size = tuple(2 * r + 1 for r in radius_zyx)

    def mean(values):
        return ndimage.uniform_filter(values, size=size, mode="nearest")

    guide = guide.astype(np.float32)
    guide_mean = mean(guide)
    guide_variance = mean(guide * guide) - guide_mean * guide_mean
    refined = np.empty(channels.shape, np.float32)
    for index, channel in enumerate(channels.astype(np.float32)):
        channel_mean = mean(channel)
        slope = (mean(guide * channel) - guide_mean * channel_mean) / (guide_variance + eps)
        offset = channel_mean - slope * guide_mean
        refined[index] = mean(slope) * guide + mean(offset)
    return refined
