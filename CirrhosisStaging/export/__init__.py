"""Exports for other tools: 3D Slicer segmentation files (.seg.nrrd) and the codes they carry."""

from .seg_nrrd import label_extents, read_seg_nrrd, write_seg_nrrd
from .terminology import STANDARD_SEGMENTS, Code, SegmentDefinition, standard_segments, terminology_context

__all__ = [
    "STANDARD_SEGMENTS", "Code", "SegmentDefinition", "label_extents", "read_seg_nrrd", "standard_segments",
    "terminology_context", "write_seg_nrrd",
]
