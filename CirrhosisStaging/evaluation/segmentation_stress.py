"""Realistic changes of a labelled scan, for stress-testing segmentation (the robustness benchmark).

Each change takes (image, labels (z, y, x)) and returns a changed pair on which the labels are still true: the
appearances that broke the 1.x networks on real scans (a dark, iron-laden liver; a large fluid-filled stomach),
acquisition changes (bias field, T1-like contrast, a field of view cut at the dome or below the liver, thinner or
thicker slices, a coronal acquisition) and
cirrhotic shapes (nodular surface, shrunken right lobe, ascites). Positions come from the full header (LPS), so
"the patient's left" and "the dome" are right on any orientation.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import SimpleITK as sitk
from scipy import ndimage

from ..io.geometry import Grid
from ..preprocessing.intensity import body_mask
from ..preprocessing.orientation import index_axis_along
from ..segmentation.labels import LIVER, SPLEEN
from ..segmentation.quality import lps_coordinate
from ..segmentation.slices import scan_slice_axis
from ..segmentation.training.organ_augmentation import scale_organ

Change = Callable[[sitk.Image, np.ndarray, np.random.Generator], tuple[sitk.Image, np.ndarray]]


def _with_array(image: sitk.Image, array: np.ndarray) -> sitk.Image:
    return Grid.of(image).apply_to(sitk.GetImageFromArray(array.astype(np.float32)))


def _fluid_level(array: np.ndarray, body: np.ndarray) -> float:
    """Free fluid on T2: brighter than any organ (above the body's 99th percentile)."""
    return float(np.percentile(array[body], 99.0)) * 1.1


def _paint(array: np.ndarray, region: np.ndarray, level: float, rng) -> None:
    array[region] = level * (1.0 + rng.normal(0.0, 0.04, int(region.sum())))


def dark_liver(factor: float) -> Change:
    """Liver signal multiplied by `factor` (0.3-0.6: iron overload on T2), its vessels kept bright."""
    def change(image, labels, rng):
        array = sitk.GetArrayFromImage(image).astype(np.float32)
        liver = labels == LIVER
        array[liver] = scale_organ(array[liver], factor, 0.0)   # magnitude MRI: 0 is no signal
        return _with_array(image, array), labels
    change.__name__ = f"dark_liver_x{factor:g}"
    return change


def fluid_stomach(volume_ml: float) -> Change:
    """A fluid-filled stomach (~`volume_ml`, brighter than the liver) in the left upper quadrant, against the
    liver's left edge at the height of its upper half; painted over background only."""
    def change(image, labels, rng):
        return _fluid_stomach(image, labels, rng, volume_ml)
    change.__name__ = f"fluid_stomach_{volume_ml:g}ml"
    return change


def _fluid_stomach(image, labels, rng, volume_ml: float):
    array = sitk.GetArrayFromImage(image).astype(np.float32)
    body = body_mask(image)
    x, y, z = (lps_coordinate(image, axis) for axis in range(3))
    liver = labels == LIVER
    left_edge = float(np.percentile(x[liver], 98))
    centre = np.array([left_edge + 40.0, float(np.mean(y[liver])) - 20.0,
                       float(np.percentile(z[liver], 70))])   # anterior (y smaller) and upper
    radii = np.array([45.0, 40.0, 55.0]) * (volume_ml / (4 / 3 * np.pi * 45 * 40 * 55 / 1000)) ** (1 / 3)
    inside = (((x - centre[0]) / radii[0]) ** 2 + ((y - centre[1]) / radii[1]) ** 2
              + ((z - centre[2]) / radii[2]) ** 2) <= 1.0
    _paint(array, inside & (labels == 0) & body, _fluid_level(array, body), rng)
    return _with_array(image, array), labels


def bias_field(image, labels, rng, strength: float = 0.6):
    """A smooth multiplicative field from x(1 - strength) to x(1 + strength) across the field of view."""
    array = sitk.GetArrayFromImage(image).astype(np.float32)
    grids = np.meshgrid(*[np.linspace(-1, 1, n) for n in array.shape], indexing="ij")
    field = 1.0 + strength * np.clip(0.6 * grids[2] + 0.5 * grids[1] ** 2 - 0.2 + 0.3 * grids[0], -1, 1)
    return _with_array(image, array * field), labels


def t1_like(image, labels, rng):
    """Contrast inverted inside the body (fluid dark, liver brighter than spleen), a gamma on top."""
    array = sitk.GetArrayFromImage(image).astype(np.float32)
    body = body_mask(image)
    low, high = np.percentile(array[body], [0.5, 99.5])
    inverted = np.clip(high + low - array, low, high)
    scaled = low + (high - low) * ((inverted - low) / max(high - low, 1e-6)) ** 0.8
    array[body] = scaled[body]
    return _with_array(image, array), labels


def _cut_slices(image, labels, keep: np.ndarray):
    """Keep the slices (third index axis) where `keep` is true (a contiguous run)."""
    indices = np.flatnonzero(keep)
    first, last = int(indices[0]), int(indices[-1]) + 1
    return image[:, :, first:last], labels[first:last]


def _slice_heights(image) -> np.ndarray:
    """LPS z (superior) of each slice's centre."""
    return lps_coordinate(image, 2)[:, image.GetSize()[1] // 2, image.GetSize()[0] // 2]


def cut_at_dome(image, labels, rng, share: float = 0.3):
    """Field of view ending below the dome: the upper `share` of the liver's height is not imaged."""
    heights = _slice_heights(image)
    liver_heights = heights[(labels == LIVER).any(axis=(1, 2))]
    cut = liver_heights.max() - share * (liver_heights.max() - liver_heights.min())
    return _cut_slices(image, labels, heights <= cut)


def cut_below_liver(image, labels, rng):
    """Field of view ending one slice below the liver (no pelvis, kidneys cut)."""
    heights = _slice_heights(image)
    on_liver = np.flatnonzero((labels == LIVER).any(axis=(1, 2)))
    lowest = heights[on_liver].min()
    below = heights[heights < lowest]
    floor = below.max() if below.size else lowest
    return _cut_slices(image, labels, heights >= floor)


def _signed_distance(mask: np.ndarray, spacing_zyx) -> np.ndarray:
    """mm, negative inside the mask."""
    return (ndimage.distance_transform_edt(~mask, sampling=spacing_zyx)
            - ndimage.distance_transform_edt(mask, sampling=spacing_zyx))


def nodular_surface(image, labels, rng, amplitude_mm: float = 3.0, nodule_mm: float = 6.0):
    """The liver's boundary moved in and out by smooth random bumps (regenerative nodules on the surface); gained
    voxels take the liver's median signal, lost ones the fat or fluid that was around."""
    array = sitk.GetArrayFromImage(image).astype(np.float32)
    spacing = np.array(image.GetSpacing()[::-1])
    liver = labels == LIVER
    noise = ndimage.gaussian_filter(rng.normal(size=liver.shape), nodule_mm / spacing)
    noise *= amplitude_mm / max(float(noise.std()), 1e-6)
    nodular = (_signed_distance(liver, spacing) < noise) & ((labels == 0) | liver)
    gained, lost = nodular & ~liver, liver & ~nodular
    array[gained] = float(np.median(array[liver]))
    array[lost] = float(np.percentile(array[body_mask(image)], 30))
    labels = labels.copy()
    labels[gained], labels[lost] = LIVER, 0
    return _with_array(image, array), labels


def shrunken_right_lobe(image, labels, rng, depth_mm: float = 12.0):
    """Right-lobe atrophy: the liver's right part loses its outer `depth_mm`, replaced by fluid (ascites fills
    the space, as on real cirrhotic scans)."""
    array = sitk.GetArrayFromImage(image).astype(np.float32)
    spacing = np.array(image.GetSpacing()[::-1])
    liver = labels == LIVER
    x = lps_coordinate(image, 0)
    right = x < float(np.mean(x[liver])) - 20.0
    lost = liver & right & (_signed_distance(liver, spacing) > -depth_mm)
    _paint(array, lost, _fluid_level(array, body_mask(image)), rng)
    labels = labels.copy()
    labels[lost] = 0
    return _with_array(image, array), labels


def ascites(image, labels, rng, thickness_mm: float = 10.0):
    """Free fluid in a rim up to `thickness_mm` around liver and spleen, over background voxels."""
    array = sitk.GetArrayFromImage(image).astype(np.float32)
    spacing = np.array(image.GetSpacing()[::-1])
    body = body_mask(image)
    organs = (labels == LIVER) | (labels == SPLEEN)
    rim = (ndimage.distance_transform_edt(~organs, sampling=spacing) <= thickness_mm) & (labels == 0) & body
    _paint(array, rim, _fluid_level(array, body), rng)
    return _with_array(image, array), labels


def cirrhotic(image, labels, rng):
    """All cirrhotic changes at once: shrunken right lobe, nodular surface, ascites, a darker liver."""
    return _in_order((shrunken_right_lobe, nodular_surface, ascites, dark_liver(0.6)), image, labels, rng)


def _in_order(changes, image, labels, rng):
    """Each change applied to the previous one's result, all drawing from `rng` in that order."""
    for change in changes:
        image, labels = change(image, labels, rng)
    return image, labels


def mirrored(image, labels, rng):
    """The image mirrored left-right with its header unchanged (a wrong header): the liver on the patient's left."""
    return _flipped(image, labels, "LR")


def flipped_front_back(image, labels, rng):
    """The image flipped front to back with its header unchanged (a wrong header): the spine in front."""
    return _flipped(image, labels, "AP")


def _flipped(image, labels, axis_name: str):
    axis = index_axis_along(image, axis_name)
    flip = [False, False, False]
    flip[axis] = True
    flipped = sitk.Flip(image, flip, flipAboutOrigin=False)
    flipped.CopyInformation(image)
    return flipped, np.flip(labels, axis=2 - axis).copy()


def _regrid(image, labels, direction_columns, spacing, blur_fwhm_mm=(0.0, 0.0, 0.0)):
    """The same field of view (centre and extent in mm) sampled on a new grid: `direction_columns` (3 x 3, the
    new index axes in LPS) at `spacing`; the image linearly (after a Gaussian of `blur_fwhm_mm` along the original
    index axes: a thicker slice averages what it covers), the labels by nearest neighbour."""
    direction = np.asarray(direction_columns, float)
    extent_lps = np.abs(_direction_columns(image)) @ (np.array(image.GetSize()) * np.array(image.GetSpacing()))
    size = [max(1, int(round(value))) for value in (np.abs(direction).T @ extent_lps) / np.array(spacing)]
    centre = np.array(image.TransformContinuousIndexToPhysicalPoint([(n - 1) / 2.0 for n in image.GetSize()]))
    origin = centre - direction @ ((np.array(size) - 1) / 2.0 * np.array(spacing))
    reference = sitk.Image(size, sitk.sitkFloat32)
    reference.SetSpacing([float(v) for v in spacing])
    reference.SetOrigin(origin.tolist())
    reference.SetDirection(direction.ravel().tolist())
    source = sitk.Cast(image, sitk.sitkFloat32)
    for axis, fwhm in enumerate(blur_fwhm_mm):
        if fwhm > 0:
            source = sitk.RecursiveGaussian(source, fwhm / 2.355, False, sitk.RecursiveGaussianImageFilter.ZeroOrder,
                                            axis)
    label_image = Grid.of(image).apply_to(sitk.GetImageFromArray(labels.astype(np.uint8)))
    outside = float(np.min(sitk.GetArrayViewFromImage(image)))
    changed = sitk.Resample(source, reference, sitk.Transform(), sitk.sitkLinear, outside)
    new_labels = sitk.Resample(label_image, reference, sitk.Transform(), sitk.sitkNearestNeighbor, 0)
    return changed, sitk.GetArrayFromImage(new_labels)


def _direction_columns(image) -> np.ndarray:
    """3 x 3: column i is index axis i's direction in LPS."""
    return np.array(image.GetDirection()).reshape(3, 3)


def thin_slices(image, labels, rng, slice_mm: float = 3.0):
    """The scan re-gridded at `slice_mm` slices (a thin-slice acquisition; interpolated, so no sharper than the
    original): a 2.5D network's context slices span a fraction of what they spanned in training."""
    axis = scan_slice_axis(image)
    spacing = list(image.GetSpacing())
    spacing[axis] = slice_mm
    return _regrid(image, labels, _direction_columns(image), spacing)


def thick_slices(image, labels, rng, slice_mm: float = 10.0):
    """The scan re-gridded at `slice_mm` slices, each averaging the tissue it covers (more partial volume)."""
    axis = scan_slice_axis(image)
    spacing = list(image.GetSpacing())
    blur = [0.0, 0.0, 0.0]
    blur[axis] = float(np.sqrt(max(slice_mm ** 2 - spacing[axis] ** 2, 0.0)))
    spacing[axis] = slice_mm
    return _regrid(image, labels, _direction_columns(image), spacing, blur)


def coronal(image, labels, rng, pixel_mm: float = 1.5, slice_mm: float = 6.0):
    """The scan re-gridded as a coronal acquisition: `pixel_mm` pixels left-right and head to foot, `slice_mm`
    slices front to back (each averaging what it covers)."""
    lps = np.eye(3)
    # index axes: patient's left, inferior (head to foot, as coronal DICOM rows run), anterior-to-posterior slices
    direction = np.stack([lps[:, 0], -lps[:, 2], lps[:, 1]], axis=1)
    front_to_back = index_axis_along(image, "AP")
    blur = [0.0, 0.0, 0.0]
    blur[front_to_back] = float(np.sqrt(max(slice_mm ** 2 - image.GetSpacing()[front_to_back] ** 2, 0.0)))
    return _regrid(image, labels, direction, (pixel_mm, pixel_mm, slice_mm), blur)


STRESS_CHANGES: dict[str, Change] = {
    "dark_liver_x0.6": dark_liver(0.6),
    "dark_liver_x0.3": dark_liver(0.3),
    "fluid_stomach": fluid_stomach(500.0),
    "fluid_stomach_1500ml": fluid_stomach(1500.0),
    "bias_field": bias_field,
    "t1_like": t1_like,
    "cut_at_dome": cut_at_dome,
    "cut_below_liver": cut_below_liver,
    "nodular_surface": nodular_surface,
    "shrunken_right_lobe": shrunken_right_lobe,
    "ascites": ascites,
    "cirrhotic": cirrhotic,
    "mirrored": mirrored,
    "flipped_front_back": flipped_front_back,
    "thin_slices_3mm": thin_slices,
    "thick_slices_10mm": thick_slices,
    "coronal": coronal,
}


def stress_change(name: str) -> Change:
    """A change by name; "a+b" applies a, then b to its result (e.g. "t1_like+cirrhotic": a cirrhotic liver on a
    T1-like scan), drawing from one random generator in that order."""
    parts = name.split("+")
    unknown = [part for part in parts if part not in STRESS_CHANGES]
    if unknown:
        raise ValueError(f"unknown stress change {', '.join(unknown)} (known: {', '.join(STRESS_CHANGES)}; "
                         "join them with + to combine)")

    return lambda image, labels, rng: _in_order([STRESS_CHANGES[part] for part in parts], image, labels, rng)
