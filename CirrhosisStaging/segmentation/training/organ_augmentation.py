"""Organ-aware intensity augmentation: the appearances that broke the 1.x networks on real scans.

- RandOrganContrastd: the liver (and spleen) darkened or brightened on their own, with the brightest voxels inside
  (vessels) kept: iron overload makes a cirrhotic liver dark on T2 with bright vessels, and a network that only saw
  medium-grey livers labels half of such a liver.
- RandFluidStructured: a bright (or, on T1, dark) fluid-filled structure drawn in the background beside the liver: a
  full stomach or bowel loop. A network that learnt "the big homogeneous organ on this side is the liver" labels a
  600 mL stomach as liver; here the structure is painted over background voxels only, so every label stays true.
- RandFluidRimd: ascites, a rim of fluid against the liver's or the spleen's surface (over background voxels only).
  On T2 a spleen is nearly as bright as fluid, and networks that never saw fluid touching it took the rim into the
  spleen (the robustness suite's ascites: spleen Dice 0.88 -> 0.76); cirrhotic livers often lie in ascites.

All run on the cropped patch before the shape and global intensity transforms (augmentation.build_augmentation),
and need the organ labels of every channel: key "organs" ((C, ...) like "image"; a 2.5D sample's neighbouring
slices have their own labels), or "label" when there is one channel.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from monai.transforms import MapTransform, RandomizableTransform
from scipy import ndimage

from ..labels import LIVER, SPLEEN

VESSEL_PERCENTILE = 90.0   # inside an organ, voxels above this stay as they are (vessels)


@dataclass(frozen=True)
class OrganAugmentation:
    """How often and how far organ augmentation changes a patch. The defaults are the 2.x recipe's; a darker
    `darkest` and a higher `contrast_prob` show the network more iron-laden (dark) livers and spleens."""

    contrast_prob: float = 0.4   # patches whose liver and spleen get RandOrganContrastd
    darkest: float = 0.3         # lowest intensity factor (about the body's dark end); the brightest stays 1.4
    fluid_prob: float = 0.3      # patches that get fluid-filled structures (RandFluidStructured)
    rim_prob: float = 0.0        # patches that get a fluid rim around liver or spleen (RandFluidRimd; 0: the 2.x recipe)

    def __post_init__(self):
        if not all(0.0 <= p <= 1.0 for p in (self.contrast_prob, self.fluid_prob, self.rim_prob)):
            raise ValueError(f"organ augmentation probabilities must lie in [0, 1]: {self}")
        if not 0.0 < self.darkest <= 1.0:
            raise ValueError(f"organ augmentation's darkest factor must lie in (0, 1]: {self.darkest}")

    def transforms(self, voxel_mm) -> list:
        return [RandOrganContrastd("image", prob=self.contrast_prob, factors=(self.darkest, 1.4)),
                RandFluidStructured("image", prob=self.fluid_prob, voxel_mm=voxel_mm),
                *([RandFluidRimd("image", prob=self.rim_prob, voxel_mm=voxel_mm)] if self.rim_prob else [])]


def organ_channels(data: dict) -> np.ndarray:
    """(C, ...) organ labels aligned with data["image"]."""
    organs = data.get("organs", data["label"])
    return np.asarray(organs)


class RandBodyAwareTransformd(RandomizableTransform, MapTransform):
    """With probability `prob`, change each keyed image given its organ labels and body mask (`_change`)."""

    def __init__(self, keys, prob: float):
        MapTransform.__init__(self, keys)
        RandomizableTransform.__init__(self, prob)

    def __call__(self, data):
        self.randomize(None)
        if not self._do_transform:
            return data
        data = dict(data)
        organs, body = organ_channels(data) if "label" in data else None, np.asarray(data["body"]) > 0
        for key in self.key_iterator(data):
            data[key] = self._change(np.asarray(data[key], dtype=np.float32).copy(), organs, body)
        return data

    def _change(self, image: np.ndarray, organs: np.ndarray, body: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _paint_fluid(self, image: np.ndarray, region: np.ndarray, body_values: np.ndarray, dark_share: float) -> None:
        """Fill `region` with fluid: bright on T2 (the body's 99th percentile x0.9-1.3) or, `dark_share` of the time,
        dark as on T1 (its 2nd percentile), with a 4 % texture."""
        dark = self.R.random() < dark_share
        level = (float(np.percentile(body_values, 2.0)) if dark
                 else float(np.percentile(body_values, 99.0)) * float(self.R.uniform(0.9, 1.3)))
        image[region] = level + self.R.normal(0.0, 0.04 * (abs(level) + 1e-3), size=int(region.sum()))


class RandOrganContrastd(RandBodyAwareTransformd):
    """Scale one organ's intensities about the body's dark end by a random factor (log-uniform in `factors`),
    blending back to the original for the voxels above the organ's VESSEL_PERCENTILE."""

    def __init__(self, keys, prob: float, factors=(0.3, 1.4), organs=(LIVER, SPLEEN)):
        super().__init__(keys, prob)
        self.factors, self.organs = factors, organs

    def _change(self, image, organs, body):
        floor = float(np.percentile(image[body], 1.0)) if body.any() else float(image.min())
        for organ in self.organs:
            inside = organs == organ
            # Each organ on its own coin: the liver darkens while the spleen stays, or both change.
            if inside.sum() < 20 or self.R.random() < 0.35:
                continue
            factor = float(np.exp(self.R.uniform(*np.log(self.factors))))
            image[inside] = scale_organ(image[inside], factor, floor)
        return image


class RandFluidStructured(RandBodyAwareTransformd):
    """Paint 1-2 fluid-filled ellipsoids (in-plane semi-axes `radius_mm`) into the background near the liver."""

    def __init__(self, keys, prob: float, voxel_mm, radius_mm=(15.0, 55.0), dark_share: float = 0.3):
        super().__init__(keys, prob)
        self.voxel_mm = tuple(float(v) for v in voxel_mm)   # spatial axes of the patch, first to last
        self.radius_mm, self.dark_share = radius_mm, dark_share

    def _change(self, image, organs, body):
        free = body & (organs == 0)
        if free.sum() < 50:
            return image
        values = image[body]
        for _ in range(int(self.R.randint(1, 3))):
            shape = self._ellipsoid(free, organs == LIVER)
            if shape is not None:
                self._paint_fluid(image, shape, values, self.dark_share)
        return image

    def _ellipsoid(self, free: np.ndarray, liver: np.ndarray) -> np.ndarray | None:
        """Boolean mask (over the channels too) of one ellipsoid centred on a free voxel, near the liver when the
        patch shows it, limited to free voxels."""
        spatial = free.shape[1:]
        candidates = np.argwhere(free[free.shape[0] // 2])
        liver_points = np.argwhere(liver[liver.shape[0] // 2])
        if len(liver_points):
            # Prefer free voxels within ~60 mm of the liver: where stomach and bowel lie against it.
            nearest = np.array([np.min(np.sum(((liver_points[:: max(1, len(liver_points) // 200)] - point)
                                                * self.voxel_mm[-len(spatial):]) ** 2, axis=1))
                                for point in candidates[:: max(1, len(candidates) // 400)]])
            close = candidates[:: max(1, len(candidates) // 400)][nearest < 60.0 ** 2]
            candidates = close if len(close) else candidates
        if not len(candidates):
            return None
        centre = candidates[int(self.R.randint(len(candidates)))]
        radii = np.array([self.R.uniform(*self.radius_mm) / mm for mm in self.voxel_mm[-len(spatial):]])
        grids = np.ogrid[tuple(slice(0, n) for n in spatial)]
        channels = []
        for channel in range(free.shape[0]):
            # 2.5D neighbours are other slices: the same structure, a little smaller or larger there.
            scale = 1.0 if channel == free.shape[0] // 2 else float(self.R.uniform(0.75, 1.05))
            distance = sum(((grid - c) / (r * scale)) ** 2 for grid, c, r in zip(grids, centre, radii))
            channels.append(distance <= 1.0)
        return np.stack(channels) & free


class RandFluidRimd(RandBodyAwareTransformd):
    """Ascites: fluid filling the background within a random 3-20 mm of the liver, the spleen or both, all the way
    round or on one side (a random half-plane through the organ), each channel from its own labels (a 2.5D sample's
    neighbouring slices), in-plane distances in mm. Bright on T2 (about the body's 99th percentile), or dark
    (`dark_share`: T1)."""

    def __init__(self, keys, prob: float, voxel_mm, thickness_mm=(3.0, 20.0), dark_share: float = 0.3):
        super().__init__(keys, prob)
        self.voxel_mm = tuple(float(v) for v in voxel_mm)   # spatial axes of the patch, first to last
        self.thickness_mm, self.dark_share = thickness_mm, dark_share

    def _change(self, image, organs, body):
        choice = int(self.R.randint(3))
        targets = np.isin(organs, [(LIVER,), (SPLEEN,), (LIVER, SPLEEN)][choice])
        if targets.sum() < 20:
            return image
        thickness = float(self.R.uniform(*self.thickness_mm))
        in_plane_mm = self.voxel_mm[-2:]
        direction = self.R.normal(size=2)
        one_side = self.R.random() < 0.5
        points_mm = np.indices(targets.shape[-2:]).reshape(2, -1).T * in_plane_mm   # the half-plane's coordinates
        rim = np.zeros(targets.shape, bool)
        for index in np.ndindex(targets.shape[:-2]):   # every channel (and slice, for a 3D patch) in plane
            organ = targets[index]
            if not organ.any():
                continue
            near = ndimage.distance_transform_edt(~organ, sampling=in_plane_mm) <= thickness
            if one_side:
                centre = points_mm[organ.ravel()].mean(axis=0)
                near &= ((points_mm - centre) @ direction >= 0).reshape(organ.shape)
            rim[index] = near
        rim &= body & (organs == 0)
        if rim.sum() >= 20:
            self._paint_fluid(image, rim, image[body], self.dark_share)
        return image


def scale_organ(values: np.ndarray, factor: float, floor: float) -> np.ndarray:
    """An organ's voxel values scaled about `floor` by `factor`, blending back to the original above the organ's
    VESSEL_PERCENTILE (its vessels stay bright; the blend is soft so no edge appears at the threshold)."""
    vessels = float(np.percentile(values, VESSEL_PERCENTILE))
    spread = max(float(values.std()), 1e-3)
    keep = 1.0 / (1.0 + np.exp(-(values - vessels) / (0.25 * spread)))
    return keep * values + (1.0 - keep) * (floor + (values - floor) * factor)
