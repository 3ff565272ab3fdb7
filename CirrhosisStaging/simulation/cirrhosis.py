"""One real scan with organ labels (1 liver, 2/3 kidneys, 4 spleen) given the cirrhotic change of a stage.

The amounts come from the phantom's stage effects (phantom/stage_effects.py: one draw per person, the same person
with more disease at a higher stage). Shape changes are one smooth displacement applied to image and labels alike,
so the labels stay true:
- right-lobe atrophy, caudate and left-lateral hypertrophy: Gaussian-weighted scalings about each part's centre;
- splenomegaly: the spleen scaled towards its target volume, the weight reaching past it so neighbours move aside;
- surface nodularity: a small random displacement along the liver's normal, only near its outline.
Then signal changes inside the (moved) liver and around it, of the sign each sequence shows:
- fibrotic septa: a reticular network (the zero set of a smooth random field), bright on T2W (oedema), dark on
  portal-venous T1W;
- regenerative nodules: cell-sized signal changes, brighter on T1W, darker on T2W; siderotic (iron) nodules darker
  on both, most on T2W;
- ascites: a fluid layer around liver and spleen, inside the body and outside other organs (bright on T2W, dark on
  T1W).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import SimpleITK as sitk
from scipy import ndimage

from ..data.labels import LEFT_KIDNEY, LIVER, RIGHT_KIDNEY, SPLEEN
from ..phantom.stage_effects import StageEffects
from .geometry import physical_points, sample, scaling_offset, smooth_noise

NODULARITY_BAND_MM = 6.0
ABDOMINAL_WALL_MM = 15.0


@dataclass
class SimulatedCase:
    image: sitk.Image
    labels: sitk.Image
    truth: dict


def simulate_case(image: sitk.Image, labels: sitk.Image, effects: StageEffects, sequence: str,
                  seed: int) -> SimulatedCase:
    """The scan with `effects` applied; stage 0 effects return it unchanged (apart from the measured truth)."""
    rng = np.random.default_rng(seed)
    image = sitk.Cast(image, sitk.sitkFloat32)
    label_array = sitk.GetArrayViewFromImage(labels)
    before = _volumes(label_array, labels)
    if effects.stage == 0:
        return SimulatedCase(image, labels, {**effects.as_dict(), **_prefixed(before, "before"),
                                             **_prefixed(before, "after"), "ascites_volume_ml": 0.0})
    points = physical_points(image)
    offset = _shape_offset(points, label_array, labels, effects, rng)
    moved_image = sample(image, offset, order=1)
    moved_labels = sample(labels, offset, order=0)
    del points, offset
    array = sitk.GetArrayFromImage(moved_image)
    moved = sitk.GetArrayViewFromImage(moved_labels)
    spacing = moved_image.GetSpacing()[::-1]
    body = _body(sitk.GetArrayViewFromImage(image), label_array == LIVER)   # organs moved inside it
    array = _parenchyma(array, moved == LIVER, spacing, effects, sequence, rng)
    array, ascites = _ascites(array, moved, body, spacing, effects, sequence, rng)
    result = sitk.GetImageFromArray(array.astype(np.float32))
    result.CopyInformation(image)
    after = _volumes(moved, moved_labels)
    voxel_ml = float(np.prod(spacing)) / 1000.0
    return SimulatedCase(result, moved_labels, {**effects.as_dict(), **_prefixed(before, "before"),
                                                 **_prefixed(after, "after"),
                                                 "ascites_volume_ml": round(float(ascites.sum()) * voxel_ml, 1)})


def _shape_offset(points, label_array, labels, effects: StageEffects, rng) -> np.ndarray:
    liver = label_array == LIVER
    parts = _liver_parts(points, liver)
    offset = np.zeros_like(points)
    for name, scale in (("right", effects.right_lobe_scale), ("caudate", effects.caudate_scale),
                        ("left_lateral", effects.left_lobe_scale)):
        centre, radius = parts[name]
        offset += scaling_offset(points, centre, scale, radius)
    spleen = label_array == SPLEEN
    if spleen.any():
        voxel_ml = float(np.prod(labels.GetSpacing())) / 1000.0
        current = float(spleen.sum()) * voxel_ml
        scale = float(np.clip((effects.spleen_volume_ml / current) ** (1 / 3), 1.0, 1.6))
        centre, radius = _centre_radius(points, spleen)
        offset += scaling_offset(points, centre, scale, 1.4 * radius)
    if effects.nodularity_mm > 0:
        offset += _nodular_offset(liver, labels.GetSpacing()[::-1], labels.GetDirection(), effects, rng)
    return offset


def _liver_parts(points, liver) -> dict:
    """Centres and radii (mm) of the right lobe, caudate and left lateral segment, from the liver's extent in
    patient coordinates (LPS: +x is the patient's left, +y posterior, +z superior)."""
    x, y = points[0][liver], points[1][liver]
    low, high = np.percentile(x, [2, 98])
    width = high - low
    right = liver & (points[0] < low + 0.5 * width)
    left_lateral = liver & (points[0] > low + 0.78 * width)
    caudate = liver & (points[0] > low + 0.5 * width) & (points[0] < low + 0.68 * width) & \
        (points[1] > np.percentile(y, 70))
    parts = {}
    for name, region in (("right", right), ("caudate", caudate), ("left_lateral", left_lateral)):
        parts[name] = _centre_radius(points, region if region.sum() > 20 else liver)
    return parts


def _centre_radius(points, region) -> tuple[np.ndarray, float]:
    centre = np.array([float(points[axis][region].mean()) for axis in range(3)])
    spread = np.sqrt(sum(float(points[axis][region].var()) for axis in range(3)))
    return centre, max(spread, 10.0)


def _nodular_offset(liver, spacing_zyx, direction, effects: StageEffects, rng) -> np.ndarray:
    """Along the inward normal, a smooth random amount (nodules about nodule_size_mm across) near the outline."""
    inside = ndimage.distance_transform_edt(liver, sampling=spacing_zyx)
    outside = ndimage.distance_transform_edt(~liver, sampling=spacing_zyx)
    signed = ndimage.gaussian_filter((inside - outside).astype(np.float32), 1.0)
    gradient = np.array(np.gradient(signed, *spacing_zyx))                  # (z, y, x) components, mm/mm
    gradient /= np.maximum(np.sqrt((gradient ** 2).sum(axis=0)), 1e-3)
    bumps = smooth_noise(liver.shape, spacing_zyx, effects.nodule_size_mm, rng)
    bumps = np.clip((bumps + 0.3) / 2.0, 0.0, 1.2)   # mostly outward nodules, a few dents between them
    # a bulge higher than ~0.4 of its width would fold the displacement: capped there
    height = min(effects.nodularity_mm, 0.4 * effects.nodule_size_mm)
    amount = height * bumps * np.exp(-(signed / NODULARITY_BAND_MM) ** 2)
    # index-axis (z, y, x) mm offsets -> LPS mm through the grid's direction
    axes_mm = gradient[::-1] * amount                                        # (x, y, z) along index axes
    return np.tensordot(np.array(direction, dtype=np.float32).reshape(3, 3), axes_mm.astype(np.float32), axes=1)


def _parenchyma(array, liver, spacing_zyx, effects: StageEffects, sequence: str, rng) -> np.ndarray:
    if not liver.any() or (effects.septa_strength == 0 and effects.nodule_contrast == 0):
        return array
    level = float(np.median(array[liver]))
    floor = float(np.percentile(array, 0.5))
    signal = level - floor
    network_field = smooth_noise(liver.shape, spacing_zyx, effects.nodule_size_mm, rng)
    septa = np.exp(-(network_field / 0.18) ** 2)                            # thin bands where the field crosses 0
    cells = smooth_noise(liver.shape, spacing_zyx, effects.nodule_size_mm, rng)
    # siderotic nodules: some of them only, with soft edges (a hard threshold looks like a stamp, not a nodule)
    iron = 1.0 / (1.0 + np.exp(-(smooth_noise(liver.shape, spacing_zyx, effects.nodule_size_mm, rng) - 1.1) / 0.15))
    t2 = sequence == "t2"
    relative = (effects.septa_strength * (1.0 if t2 else -1.0) * septa
                + effects.nodule_contrast * (-1.0 if t2 else 1.0) * np.maximum(cells, 0.0)
                - effects.t2_iron_darkening * (1.0 if t2 else 0.5) * iron)
    weight = ndimage.gaussian_filter(liver.astype(np.float32), 0.7)         # soft edge: no step at the outline
    return array + signal * relative.astype(np.float32) * weight


def _ascites(array, moved, body, spacing_zyx, effects: StageEffects, sequence: str, rng):
    if effects.ascites_mm <= 0:
        return array, np.zeros(array.shape, bool)
    organs = (moved == LIVER) | (moved == SPLEEN)
    distance = ndimage.distance_transform_edt(~organs, sampling=spacing_zyx)
    kidneys = (moved == RIGHT_KIDNEY) | (moved == LEFT_KIDNEY)
    thickness = effects.ascites_mm * (0.5 + 0.5 * (smooth_noise(array.shape, spacing_zyx, 40.0, rng) > 0))
    # inside the peritoneal cavity: not in the abdominal wall (the outer ABDOMINAL_WALL_MM of the body)
    cavity = ndimage.distance_transform_edt(body, sampling=spacing_zyx) > ABDOMINAL_WALL_MM
    shell = (distance > 0) & (distance <= thickness) & cavity & ~kidneys
    # Free fluid: as bright as the brightest fluid already in the scan on T2W (stomach, bile, CSF; at least twice the
    # liver above the dark floor), near the darkest tissue on T1W; with the scan's own noise.
    floor = float(np.percentile(array, 0.5))
    liver = moved == LIVER
    liver_signal = float(np.median(array[liver])) - floor
    if sequence == "t2":
        fluid = max(float(np.percentile(array[body], 99.0)), floor + 2.0 * liver_signal)
    else:
        fluid = min(float(np.percentile(array[body], 3.0)), floor + 0.3 * liver_signal)
    neighbours = np.diff(array, axis=2)[liver[:, :, 1:] & liver[:, :, :-1]]
    noise = 1.4826 * float(np.median(np.abs(neighbours - np.median(neighbours)))) / np.sqrt(2.0)
    weight = ndimage.gaussian_filter(shell.astype(np.float32), 0.7)
    filled = fluid + rng.normal(0.0, noise, array.shape).astype(np.float32)
    return array * (1 - weight) + filled * weight, shell


def _body(array, liver) -> np.ndarray:
    """Inside the body: above a fifth of the liver's signal over the dark floor, largest piece, holes filled.
    (Otsu's split, preprocessing.body_mask, can fall between fat-suppressed tissue and bright organs.)"""
    floor = float(np.percentile(array, 0.5))
    level = float(np.median(array[liver]))
    foreground = ndimage.uniform_filter(np.asarray(array, dtype=np.float32), 3) > floor + 0.2 * (level - floor)
    pieces, count = ndimage.label(foreground)
    if count == 0:
        return np.ones(array.shape, bool)
    body = pieces == 1 + int(np.argmax(ndimage.sum_labels(foreground, pieces, range(1, count + 1))))
    for index in range(body.shape[0]):
        body[index] = ndimage.binary_fill_holes(body[index])
    return body


def _volumes(label_array, labels) -> dict:
    voxel_ml = float(np.prod(labels.GetSpacing())) / 1000.0
    return {"liver_volume_ml": round(float((label_array == LIVER).sum()) * voxel_ml, 1),
            "spleen_volume_ml": round(float((label_array == SPLEEN).sum()) * voxel_ml, 1)}


def _prefixed(values: dict, prefix: str) -> dict:
    return {f"{prefix}_{key}": value for key, value in values.items()}
