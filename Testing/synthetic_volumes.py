"""Tiny synthetic volumes made on the fly (the suite never needs ../shared). Imported by tests as
`synthetic_volumes` (Testing/ is on the path through its conftest.py); not named conftest, because the slicer and
browser suites have conftest files of their own."""

from __future__ import annotations

import numpy as np
import SimpleITK as sitk

OBLIQUE = (0.9659258, -0.2588190, 0.0, 0.2588190, 0.9659258, 0.0, 0.0, 0.0, 1.0)  # 15 degrees about z
RAS_FLIP = (-1.0, 0.0, 0.0, 0.0, -1.0, 0.0, 0.0, 0.0, 1.0)  # how NIfTI (RAS) files look in ITK's LPS


def make_volume(size=(40, 36, 20), spacing=(4.0, 4.5, 6.0), origin=(-80.0, -70.0, 12.5),
                direction=(1, 0, 0, 0, 1, 0, 0, 0, 1), seed=0) -> sitk.Image:
    """A body-like ellipse with a bright blob (liver stand-in) and noise, float32, on the given grid."""
    rng = np.random.default_rng(seed)
    z, y, x = np.meshgrid(*(np.linspace(-1, 1, n) for n in size[::-1]), indexing="ij")
    body = (x / 0.9) ** 2 + (y / 0.7) ** 2 < 1
    organ = ((x + 0.3) / 0.35) ** 2 + (y / 0.3) ** 2 + (z / 0.6) ** 2 < 1
    array = 100.0 * body + 150.0 * organ + rng.normal(0, 5, body.shape)
    image = sitk.GetImageFromArray(array.astype(np.float32))
    image.SetSpacing(spacing)
    image.SetOrigin(origin)
    image.SetDirection(direction)
    return image


def organ_mask(image: sitk.Image) -> sitk.Image:
    """The bright blob of `make_volume` as a uint8 mask on the same grid."""
    mask = sitk.Cast(image > 200, sitk.sitkUInt8)
    mask.CopyInformation(image)
    return mask


def write_chaos_folder(folder, subjects) -> "Path":
    """A CHAOS-layout folder (image_<id>.nii.gz, label_<id>.nii.gz) of small synthetic scans, one seed per subject
    in the order given."""
    from pathlib import Path

    from CirrhosisStaging.io import write_image

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for index, subject in enumerate(subjects):
        image = make_volume(seed=index)
        write_image(image, folder / f"image_{subject}.nii.gz")
        write_image(organ_mask(image), folder / f"label_{subject}.nii.gz")
    return folder


def write_phantom_patient(folder, stage: int = 2, seed: int = 31, size_scale: float = 0.6) -> dict:
    """One phantom patient as files: t1, t2 (own grids) and t1_mask, t2_mask (organ labels: 1 liver, 4 spleen)."""
    from CirrhosisStaging.io import write_image
    from CirrhosisStaging.phantom import make_case

    paths = {}
    for sequence in ("t1", "t2"):
        phantom = make_case(stage, seed, sequence, size_scale=size_scale)
        paths[sequence] = write_image(phantom.image, folder / f"{sequence}.nii.gz")
        paths[f"{sequence}_mask"] = write_image(phantom.organ_labels, folder / f"{sequence}_labels.nii.gz")
    return paths


def write_training_items(folder, count: int = 2, source: str = "toy") -> list:
    """`count` synthetic volumes with their organ masks as files, as segmentation TrainingItems (all classes)."""
    from CirrhosisStaging.io import write_image
    from CirrhosisStaging.segmentation.training.sources import ALL_CLASSES, TrainingItem

    items = []
    for seed in range(count):
        image = make_volume(seed=seed)
        write_image(image, folder / f"image{seed}.nii.gz")
        write_image(organ_mask(image), folder / f"label{seed}.nii.gz")
        items.append(TrainingItem(f"{source}-{seed}", folder / f"image{seed}.nii.gz", folder / f"label{seed}.nii.gz",
                                  ALL_CLASSES, f"{source}-{seed}", source))
    return items


def head_like_volume(seed: int = 0) -> tuple[sitk.Image, sitk.Image]:
    """A non-abdominal volume (a skull-bright shell round an even, noisy inside) and a 'liver' mask: a block of it
    (about 500 mL), for out-of-distribution checks."""
    rng = np.random.default_rng(seed)
    shape = (40, 96, 96)
    z, y, x = np.meshgrid(*(np.linspace(-1, 1, n) for n in shape), indexing="ij")
    radius = np.sqrt(x ** 2 + y ** 2 + (z * 1.2) ** 2)
    array = np.where(radius < 0.8, 300.0, 0.0) + np.where((radius > 0.8) & (radius < 0.9), 900.0, 0.0)
    image = sitk.GetImageFromArray((array + rng.normal(0, 20, shape)).astype(np.float32))
    image.SetSpacing((2.5, 2.5, 5.0))
    labels = np.zeros(shape, np.uint8)
    labels[14:26, 30:66, 30:66] = 1
    label_image = sitk.GetImageFromArray(labels)
    label_image.CopyInformation(image)
    return image, label_image
