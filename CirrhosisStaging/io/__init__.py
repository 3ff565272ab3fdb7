"""Image I/O, grids and input validation."""

from .atomic import atomic_directory, atomic_path
from .geometry import Grid, array_to_image
from .image_io import list_dicom_series, read_image, read_mask, write_image
from .validation import validate_image, validate_mask

__all__ = [
    "Grid", "array_to_image", "atomic_directory", "atomic_path", "list_dicom_series",
    "read_image", "read_mask", "validate_image", "validate_mask", "write_image",
]
