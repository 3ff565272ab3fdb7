"""Physical coordinates of a volume's voxels, smooth random fields and displacement sampling, in mm.

Displacements are sampling offsets: the output at point p takes the input at p + u(p). A region shrinks towards
a centre c by s < 1 when u = w(p) (p - c)(1/s - 1), with w a smooth weight; |grad u| < 1 keeps the map folding-free.
"""

from __future__ import annotations

import numpy as np
import SimpleITK as sitk
from scipy import ndimage


def physical_points(image: sitk.Image) -> np.ndarray:
    """(3, z, y, x) LPS coordinates in mm of every voxel centre."""
    size = image.GetSize()[::-1]
    index = np.indices(size, dtype=np.float32)[::-1]                     # x, y, z index grids
    direction = np.array(image.GetDirection(), dtype=np.float32).reshape(3, 3)
    scaled = index * np.array(image.GetSpacing(), dtype=np.float32)[:, None, None, None]
    points = np.tensordot(direction, scaled, axes=1)
    return points + np.array(image.GetOrigin(), dtype=np.float32)[:, None, None, None]


def smooth_noise(shape, spacing_zyx, scale_mm: float, rng: np.random.Generator) -> np.ndarray:
    """Gaussian-smoothed white noise with features about `scale_mm` across, scaled to unit standard deviation."""
    sigma = [max(scale_mm / 2.5 / s, 0.3) for s in spacing_zyx]
    field = ndimage.gaussian_filter(rng.standard_normal(shape).astype(np.float32), sigma, mode="wrap")
    return field / max(float(field.std()), 1e-6)


def scaling_offset(points: np.ndarray, centre: np.ndarray, scale: float, sigma_mm: float) -> np.ndarray:
    """Sampling offset (3, z, y, x) that scales the region around `centre` by `scale` (Gaussian weight)."""
    relative = points - centre.astype(np.float32)[:, None, None, None]
    weight = np.exp(-(relative ** 2).sum(axis=0) / (2 * sigma_mm ** 2))
    return relative * weight * np.float32(1.0 / scale - 1.0)


def sample(image: sitk.Image, offset_mm: np.ndarray, order: int) -> sitk.Image:
    """`image` resampled at p + offset (LPS mm), on its own grid; order 0 for labels, 1 for intensities."""
    direction = np.array(image.GetDirection()).reshape(3, 3)
    spacing = np.array(image.GetSpacing())
    # mm offset in LPS -> index offset (x, y, z), then to (z, y, x) for scipy
    index_offset = np.tensordot(direction.T, offset_mm, axes=1) / spacing[:, None, None, None]
    grid = np.indices(offset_mm.shape[1:], dtype=np.float32)
    coordinates = grid + index_offset[::-1].astype(np.float32)
    array = sitk.GetArrayViewFromImage(image)
    warped = ndimage.map_coordinates(array.astype(np.float32), coordinates, order=order, mode="nearest")
    result = sitk.GetImageFromArray(warped.astype(array.dtype) if order == 0 else warped)
    result.CopyInformation(image)
    return result
