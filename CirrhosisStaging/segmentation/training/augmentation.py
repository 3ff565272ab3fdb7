"""Random patches and augmentation for segmentation training (MONAI transforms, (C, z, y, x) arrays).

Intensity augmentation is deliberately strong so one network serves T1W and T2W: random gamma, contrast
inversion inside the body, histogram remapping, bias field and noise, on top of T1W-like phantoms in the mix.
Every patch ends with the same body z-score inference uses (preprocessing.intensity.zscore_in_region), so
the network never sees a distribution at training time that inference cannot produce.
No left-right flips: they put the liver on the wrong side and swap the kidneys.

Shape augmentation "affine" (default, the recipe of the shipped 1.x weights): in-plane rotation and scaling.
"deform" adds in-plane shear, wider scaling and a smooth grid distortion, so the few real livers are seen in more
shapes (a left lobe reaching the spleen, a tall dome): anatomy varies more between patients than 11 subjects show.
2.5D networks get the same recipe in plane (spatial_dims=2, neighbouring slices as channels): nothing mixes slices.

Organ augmentation (`organ=True`, train-seg --organ-augmentation): a darkened or brightened liver and spleen with
their vessels kept, and fluid-filled structures beside the liver (organ_augmentation.py), the two appearances that
broke the 1.x networks on real scans.
"""

from __future__ import annotations

import numpy as np
from monai import transforms as T
from monai.transforms import MapTransform

from ...preprocessing.intensity import normalizer
from . import SHAPE_AUGMENTATIONS
from .organ_augmentation import OrganAugmentation, RandBodyAwareTransformd

KEYS = ("image", "label", "body")


_MODES = ("bilinear", "nearest", "nearest")   # image, label, body


def build_augmentation(seed: int, patch_zyx, shape: str = "affine", organ: "bool | OrganAugmentation" = False,
                       voxel_mm=None, normalization: str = "zscore"):
    """Patch (z, y, x) for a 3D network, (y, x) for a 2.5D one; `organ`: no organ augmentation (False), the
    2.x recipe's (True) or these settings; `voxel_mm` is the patch's spacing along the same axes (organ
    augmentation sizes its fluid structures with it); `normalization` the one inference will use."""
    organ = OrganAugmentation() if organ is True else organ or None
    planar = len(patch_zyx) == 2
    crop_keys = KEYS + ("organs",)   # "organs": a 2.5D sample's labels of every channel (batches._slice_sample)
    pipeline = T.Compose([
        T.SpatialPadd(crop_keys, spatial_size=patch_zyx, mode="constant", allow_missing_keys=True),
        T.RandCropByPosNegLabeld(crop_keys, label_key="label", spatial_size=patch_zyx, pos=2, neg=1, num_samples=1,
                                 allow_missing_keys=True),
        *(organ.transforms(voxel_mm or (1.0,) * len(patch_zyx)) if organ else []),
        T.DeleteItemsd("organs"),
        *_shape_transforms(shape, planar),
        PercentileRangeScaled("image", 0.5, 99.5),
        T.RandBiasFieldd("image", prob=0.4, coeff_range=(0.2, 0.5)),
        T.RandHistogramShiftd("image", prob=0.3, num_control_points=(5, 10)),
        RandInvertInBodyd("image", prob=0.25),
        T.RandAdjustContrastd("image", prob=0.4, gamma=(0.5, 2.0)),
        T.RandGaussianNoised("image", prob=0.3, std=0.03),
        # sigma_x is the first array axis: z (lighter: thick slices) in 3D, y in 2D
        T.RandGaussianSmoothd("image", prob=0.2, sigma_x=(0.5, 1.0) if planar else (0.0, 0.5), sigma_y=(0.5, 1.0),
                              sigma_z=(0.5, 1.0)),
        BodyZScored("image", normalization),
    ])
    pipeline.set_random_state(seed=seed)
    return pipeline


def _shape_transforms(shape: str, planar: bool = False) -> list:
    """In-plane rotation and scaling ("affine"), plus shear and a grid distortion ("deform"). 3D: z is scaled by at
    most 10 % and never rotated or sheared into the plane; planar (2.5D slice stacks): in plane only."""
    if shape not in SHAPE_AUGMENTATIONS:
        raise ValueError(f"shape augmentation {shape!r}: expected one of {', '.join(SHAPE_AUGMENTATIONS)}")
    deform = shape == "deform"
    rotate, scale = (0.3, 0.25) if deform else (0.25, 0.15)
    if planar:
        rotate_range, scale_range, shear_range, cells = (rotate,), (scale, scale), (0.15, 0.15), (5, 5)
    else:
        # Shear only within the axial plane (coefficients y<-x and x<-y): slices stay slices, as on a real
        # 2D-acquired scan.
        rotate_range, scale_range = (rotate, 0.0, 0.0), (0.1, scale, scale)
        shear_range, cells = (0.0, 0.0, 0.0, 0.15, 0.0, 0.15), (2, 5, 5)
    transforms = [T.RandAffined(KEYS, prob=0.7 if deform else 0.5, rotate_range=rotate_range, scale_range=scale_range,
                                shear_range=shear_range if deform else None, mode=_MODES, padding_mode="border")]
    if deform:
        transforms.append(T.RandGridDistortiond(KEYS, num_cells=cells, prob=0.5, distort_limit=(-0.12, 0.12),
                                                mode=_MODES, padding_mode="border"))
    return transforms


class RandInvertInBodyd(RandBodyAwareTransformd):
    """Flip intensities inside the body (x -> 1 - x on [0, 1] images): liver/spleen/fluid contrast swaps between
    T1W-like and T2W-like, while air outside the body stays dark as on every real scan."""

    def _change(self, image, organs, body):
        image[body] = 1.0 - image[body]
        return image


class PercentileRangeScaled(MapTransform):
    """Intensities mapped from [lower, upper] percentile to [0, 1] and clipped, as MONAI's
    ScaleIntensityRangePercentilesd(lower, upper, 0, 1, clip=True) does, in numpy: MONAI's torch quantile took
    20 of the 52 ms one augmented 2.5D sample costs, numpy's partition takes 2 (same values to 1e-7)."""

    def __init__(self, keys, lower: float, upper: float):
        super().__init__(keys)
        self.lower, self.upper = lower, upper

    def __call__(self, data):
        data = dict(data)
        for key in self.key_iterator(data):
            image = np.asarray(data[key], dtype=np.float32)
            low, high = np.percentile(image, [self.lower, self.upper])
            scale = 1.0 / (high - low) if high > low else 0.0   # a flat patch maps to 0, as MONAI's does
            data[key] = np.clip((image - low) * scale, 0.0, 1.0).astype(np.float32)
        return data


class BodyZScored(MapTransform):
    """The inference normalisation (percentile clip + z-score over body voxels), applied to the patch."""

    def __init__(self, keys, normalization: str = "zscore"):
        super().__init__(keys)
        self.normalize = normalizer(normalization)

    def __call__(self, data):
        data = dict(data)
        body = np.asarray(data["body"]) > 0
        for key in self.key_iterator(data):
            data[key] = self.normalize(np.asarray(data[key], dtype=np.float32), body)
        return data
