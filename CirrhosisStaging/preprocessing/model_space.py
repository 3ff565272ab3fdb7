"""The round trip every model makes: input grid -> model grid (canonical, fixed spacing) -> input grid."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import SimpleITK as sitk

from ..io.geometry import Grid
from .bias_field import n4_correct
from .intensity import normalize_intensity
from .orientation import to_canonical
from .resample import resample_to_reference, resample_to_spacing


@dataclass
class ModelSpace:
    """An input volume prepared for a model, remembering the grid it came from."""

    original: sitk.Image   # the input as read: outputs go back onto exactly this grid
    image: sitk.Image      # canonical orientation, model spacing, normalised intensities

    @property
    def array(self) -> np.ndarray:
        """(z, y, x) float32 array for the network."""
        return sitk.GetArrayFromImage(self.image)

    def to_model(self, volume: sitk.Image, interpolation: str = "nearest") -> sitk.Image:
        """Bring another volume on the input's grid (a mask) onto the model grid."""
        return resample_to_reference(volume, self.image, interpolation)

    def to_original(self, array_or_image, interpolation: str = "linear", pixel_type: int | None = None) -> sitk.Image:
        """Bring a model-grid result (array or image) back onto the input's exact grid."""
        image = array_or_image
        if isinstance(array_or_image, np.ndarray):
            image = Grid.of(self.image).apply_to(sitk.GetImageFromArray(array_or_image))
        return resample_to_reference(image, self.original, interpolation, pixel_type=pixel_type)


def prepare(image: sitk.Image, spacing: Sequence[float], bias_correction: bool = False,
            normalize: bool = True, normalization: str = "zscore") -> ModelSpace:
    """Canonical orientation, optional N4, resampling to `spacing` (mm), body-masked z-score (`normalization`:
    "zscore" or "robust", preprocessing.intensity.NORMALIZATIONS)."""
    volume = sitk.Cast(image, sitk.sitkFloat32)
    canonical = to_canonical(volume)
    if bias_correction:
        canonical = n4_correct(canonical)
    resampled = resample_to_spacing(canonical, spacing, "linear")
    if normalize:
        resampled = normalize_intensity(resampled, method=normalization)
    return ModelSpace(original=image, image=resampled)
