"""A DICOM series' slices must be evenly spaced before they become one volume.

ITK's series reader gives the whole volume one slice spacing (first to last position over the slice count), so a
missing slice shifts every slice on one side of the gap, and two files at one position (a copied file, or two
series in one folder under one UID) become two slices: anatomy lands millimetres away from where it was scanned,
without a word. Such a series is refused, naming where the slices go wrong.
"""

from __future__ import annotations

import numpy as np
import SimpleITK as sitk

from ..errors import InputError

POSITION, ORIENTATION = "0020|0032", "0020|0037"   # Image Position / Orientation (Patient)
STEP_TOLERANCE = 0.2   # share of the usual step a slice may be off by (scanners round positions to 0.01-0.1 mm)


def slice_positions(reader: sitk.ImageSeriesReader, count: int) -> np.ndarray | None:
    """Each slice's position along the slice normal (mm), from a reader run with MetaDataDictionaryArrayUpdateOn;
    None when the tags are missing or unreadable (nothing to check against)."""
    try:
        if not all(reader.HasMetaDataKey(index, POSITION) for index in range(count)):
            return None
        if not reader.HasMetaDataKey(0, ORIENTATION):
            return None
        orientation = [float(value) for value in reader.GetMetaData(0, ORIENTATION).split("\\")]
        positions = [[float(value) for value in reader.GetMetaData(index, POSITION).split("\\")]
                     for index in range(count)]
    except (RuntimeError, ValueError):
        return None
    if len(orientation) != 6 or any(len(position) != 3 for position in positions):
        return None
    normal = np.cross(orientation[:3], orientation[3:])
    return np.asarray(positions, float) @ normal


def check_even_slices(folder, positions: np.ndarray | None) -> None:
    """Refuse a series whose slices are not one even step apart along their normal."""
    if positions is None or len(positions) < 3:
        return
    ordered = np.sort(positions)
    steps = np.diff(ordered)
    usual = float(np.median(steps))
    repeated = np.flatnonzero(steps <= STEP_TOLERANCE * max(usual, 0.0))
    if usual <= 1e-3 or len(repeated):
        where = ordered[repeated[0]] if len(repeated) else ordered[0]
        raise InputError(folder, f"DICOM series has two files at one slice position ({where:.1f} mm): a copied file, "
                                 f"or two acquisitions under one series UID; keep one file per slice")
    uneven = np.flatnonzero(np.abs(steps - usual) > STEP_TOLERANCE * usual)
    if len(uneven):
        index = int(uneven[0])
        raise InputError(folder, f"DICOM series slices are not evenly spaced: {steps[index]:.1f} mm between slices "
                                 f"{index + 1} and {index + 2} of {len(ordered)} (in position order), {usual:.1f} mm "
                                 f"elsewhere (a missing slice?); export the complete series")
