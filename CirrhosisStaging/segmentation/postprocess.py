"""Clean-up of a predicted label map: no air-dark liver or spleen, one liver, no holes, no specks, one spleen (a split
one kept whole)."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from ..masks import bounding_slices
from .labels import LEFT_KIDNEY, LIVER, RIGHT_KIDNEY, SPLEEN

# Spleen pieces separated from the largest by a gap wider than this are dropped: stray "spleen" in bowel or the other
# flank was the spleen's main error in cross-validation (HD95 85 mm; README), while the parts of a spleen split by a
# cleft or by one missed thick slice lie next to each other.
SPLEEN_PIECE_GAP_MM = 10.0

# Liver and spleen voxels darker than this share of the way from the scan's air to the organ's own median are air-like
# (lung above the dome, bowel gas) and dropped where they reach the organ's surface. Networks taught that a liver can
# be dark (organ-contrast augmentation) labelled a black right lung "liver" (CHAOS 10: 116 mL above the dome); on the
# 14 CHAOS scans the true livers keep 99.9 % or more of their voxels at this level, the spleens 99.4 %.
AIR_LIKE_SHARE = 0.2


def postprocess_labels(labels: np.ndarray, spacing_zyx=(1.0, 1.0, 1.0)) -> np.ndarray:
    """Largest connected liver component with holes filled; the spleen keeps its largest piece and the pieces
    within SPLEEN_PIECE_GAP_MM of it; every organ but the liver loses specks under 1 mL."""
    result = labels.copy()
    # Work on the box around the organs plus one voxel: same components and holes (everything outside the box is
    # background joined to the volume's border), a fraction of the voxels.
    if result.any():
        box = bounding_slices(result != 0, 1)
        result[box] = _clean(result[box], spacing_zyx)
    return result


def _clean(labels: np.ndarray, spacing_zyx) -> np.ndarray:
    result = labels.copy()
    voxel_ml = float(np.prod(spacing_zyx)) / 1000.0
    liver = _largest_component(result == LIVER)
    liver = _fill_holes(liver)
    result[(result == LIVER) & ~liver] = 0
    result[liver] = LIVER
    for label in (SPLEEN, RIGHT_KIDNEY, LEFT_KIDNEY):
        # Not "largest component only": a spleen can be split by a cleft or a thick slice.
        result[(result == label) & ~_drop_small(result == label, max(1, int(1.0 / voxel_ml)))] = 0
    spleen = result == SPLEEN
    result[spleen & ~_near_largest(spleen, spacing_zyx, SPLEEN_PIECE_GAP_MM)] = 0
    return result


def air_level(image_zyx: np.ndarray) -> float:
    """The scan's air: its 1st percentile (what the organ-relative intensity rules measure from)."""
    return float(np.percentile(image_zyx, 1.0))


def drop_air_like(labels: np.ndarray, image_zyx: np.ndarray, share: float = AIR_LIKE_SHARE) -> np.ndarray:
    """Liver and spleen without their air-like voxels (AIR_LIKE_SHARE) that reach the organ's surface; dark voxels
    the organ encloses (vessels, cysts) stay. Relative to the organ and to the scan's darkest percentile, so the
    rule reads the same after any intensity scale or offset and on a dark, iron-laden liver."""
    result = labels.copy()
    image = np.asarray(image_zyx, np.float32)
    air = air_level(image)
    for label in (LIVER, SPLEEN):
        organ = result == label
        if not organ.any():
            continue
        box = bounding_slices(organ, 1)
        organ, intensities = organ[box], image[box]
        level = air + share * (float(np.median(intensities[organ])) - air)
        surface_dark = organ & ~ndimage.binary_fill_holes(organ & (intensities >= level))
        result[box][surface_dark] = 0
    return result


def component_volumes_ml(mask: np.ndarray, spacing_xyz) -> list[float]:
    """Volumes (mL) of the mask's connected components, largest first (the five largest)."""
    components, count = ndimage.label(mask)
    if count == 0:
        return []
    sizes = np.sort(np.bincount(components.ravel())[1:])[::-1][:5]
    return [round(float(size) * float(np.prod(spacing_xyz)) / 1000.0, 1) for size in sizes]


def _largest_component(mask: np.ndarray) -> np.ndarray:
    components, count = ndimage.label(mask)
    if count <= 1:
        return mask.copy()
    sizes = np.bincount(components.ravel())
    sizes[0] = 0
    return components == int(np.argmax(sizes))


def _near_largest(mask: np.ndarray, spacing_zyx, gap_mm: float) -> np.ndarray:
    """The largest component and every component separated from it by an empty gap of at most gap_mm (voxel
    centres at most gap_mm plus one voxel apart: one missed 8 mm slice must not cut a spleen in two)."""
    components, count = ndimage.label(mask)
    if count <= 1:
        return mask.copy()
    sizes = np.bincount(components.ravel())
    sizes[0] = 0
    largest = int(np.argmax(sizes))
    box = bounding_slices(mask, 0)   # the pieces' own box: distances further out do not matter
    distance = ndimage.distance_transform_edt(components[box] != largest, sampling=spacing_zyx)
    closest = ndimage.minimum(distance, components[box], index=np.arange(1, count + 1))
    keep = np.concatenate([[False], np.asarray(closest) <= gap_mm + max(spacing_zyx)])
    return keep[components]


def _fill_holes(mask: np.ndarray) -> np.ndarray:
    # 3D only: a slice-wise fill would swallow the vena cava where the caudate lobe wraps around it.
    return ndimage.binary_fill_holes(mask)


def _drop_small(mask: np.ndarray, min_voxels: int) -> np.ndarray:
    components, count = ndimage.label(mask)
    if count == 0:
        return mask
    sizes = np.bincount(components.ravel())
    keep = sizes >= min_voxels
    keep[0] = False
    return keep[components]
