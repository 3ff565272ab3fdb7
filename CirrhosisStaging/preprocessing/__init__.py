"""Orientation, resampling, intensity normalisation and bias-field correction."""

from .bias_field import n4_correct
from .intensity import body_mask, normalize_intensity
from .model_space import ModelSpace, prepare
from .orientation import from_canonical, orientation_code, to_canonical
from .resample import resample_to_reference, resample_to_spacing

__all__ = [
    "ModelSpace", "body_mask", "from_canonical", "n4_correct", "normalize_intensity", "orientation_code",
    "prepare", "resample_to_reference", "resample_to_spacing", "to_canonical",
]
