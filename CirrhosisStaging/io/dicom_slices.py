"""A DICOM series' slices must share one orientation and be evenly spaced before they become one volume.

ITK's series reader takes the first slice's orientation for all, and gives the whole volume one slice spacing
(first to last position over the slice count): a slice of another orientation (a localiser under the same series
UID) is stacked as if it were parallel, a missing slice shifts every slice on one side of the gap, and two files at
one position (a copied file, or two acquisitions under one UID) become two slices. Anatomy then lands millimetres
away from where it was scanned, without a word; such a series is refused, naming where the slices go wrong.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import SimpleITK as sitk

from ..errors import InputError

POSITION, ORIENTATION = "0020|0032", "0020|0037"   # Image Position / Orientation (Patient)
STEP_TOLERANCE = 0.2          # share of the usual step a slice may be off by (scanners round positions)
ORIENTATION_TOLERANCE = 1e-3  # direction cosines written to 6 decimals


def check_slice_geometry(folder, reader: sitk.ImageSeriesReader, files: list[str]) -> None:
    """Refuse a series read from `files` with MetaDataDictionaryArrayUpdateOn whose slices are not parallel or not
    one even step apart. Series without the tags (or of under 3 slices) have nothing to check against."""
    count = len(files)
    geometry = _tags(reader, count)
    if geometry is None or count < 3:
        return
    orientations, positions = geometry
    turned = np.flatnonzero(np.abs(orientations - orientations[0]).max(axis=1) > ORIENTATION_TOLERANCE)
    if len(turned):
        raise InputError(folder, f"DICOM series mixes slice orientations ({Path(files[turned[0]]).name} is not "
                                 f"parallel to {Path(files[0]).name}): a localiser or another acquisition under one "
                                 f"series UID; keep only the volume's slices")
    normal = np.cross(orientations[0][:3], orientations[0][3:])
    _check_even_steps(folder, np.sort(positions @ normal))


def _tags(reader, count):
    """(orientations (count, 6), positions (count, 3)), or None when a tag is missing or unreadable."""
    try:
        if not all(reader.HasMetaDataKey(index, key) for index in range(count) for key in (POSITION, ORIENTATION)):
            return None
        orientations, positions = ([[float(v) for v in reader.GetMetaData(index, key).split("\\")]
                                    for index in range(count)] for key in (ORIENTATION, POSITION))
    except (RuntimeError, ValueError):
        return None
    if any(len(o) != 6 for o in orientations) or any(len(p) != 3 for p in positions):
        return None
    return np.asarray(orientations, float), np.asarray(positions, float)


def _check_even_steps(folder, ordered: np.ndarray) -> None:
    steps = np.diff(ordered)
    # Three slices give two steps, whose median is their mean: the smaller is then the usual one.
    usual = float(np.median(steps)) if len(steps) > 2 else float(steps.min())
    repeated = np.flatnonzero(steps <= STEP_TOLERANCE * max(usual, 0.0))
    if usual <= 1e-3 or len(repeated):
        where = ordered[repeated[0]] if len(repeated) else ordered[0]
        raise InputError(folder, f"DICOM series has two files at one slice position ({where:.1f} mm): a copied file, "
                                 f"or two acquisitions (echoes, phases) under one series UID; keep one file per slice")
    uneven = np.flatnonzero(np.abs(steps - usual) > STEP_TOLERANCE * usual)
    if len(uneven):
        index = int(uneven[0])
        raise InputError(folder, f"DICOM series slices are not evenly spaced: {steps[index]:.1f} mm between slices "
                                 f"{index + 1} and {index + 2} of {len(ordered)} (in position order), {usual:.1f} mm "
                                 f"elsewhere (a missing slice?); export the complete series")
