"""The liver: lobes blended into one organ, shaped by the patient's cirrhosis stage.

Right lobe, medial (segment IV) and lateral (segments II-III) parts of the left lobe, and the
caudate lobe are deformed ellipsoids merged with a smooth union. Cirrhosis shrinks the right lobe
and segment IV, enlarges the caudate and the left lateral segment, bulges regenerative nodules
out of the surface and adds nodules and fibrous septa to the parenchyma texture.
Optionally the lateral segment reaches far to the left, around the spleen (a "beaver tail").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import shapes
from .layers import Layer
from .memo import memoised_field
from .noise import SmoothField
from .nodules import NoduleField
from .stage_effects import StageEffects
from .torso import Torso

# segment IV (medial) and segments II-III (lateral) together are the left lobe
LOBES = ("right", "medial", "lateral", "caudate")


@dataclass
class Lobe:
    kind: str
    center: np.ndarray
    base_radii: np.ndarray
    rot: np.ndarray
    scale: float  # stage effect: atrophy < 1 < hypertrophy

    @property
    def radii(self) -> np.ndarray:
        return self.base_radii * self.scale

    def _local(self, x, y, z, scaled: bool):
        """Coordinates in the lobe's frame and its (possibly position-dependent) radii there."""
        rx, ry, rz = (self.radii if scaled else self.base_radii).astype(np.float32)
        u, v, w = shapes.to_frame(x, y, z, self.center, self.rot)
        if self.kind == "right":
            # broad under the dome, narrowing towards the inferior tip
            taper = np.clip(1.0 + 0.22 * w / rz, 0.6, 1.3)
            return (u, v, w), (rx * taper, ry * taper, rz)
        if self.kind == "lateral":
            # a wedge thinning towards its tip on the patient's left
            thin = 1.0 - 0.45 * np.clip(u / rx, 0.0, 1.0)
            return (u, v, w), (rx, ry * thin, rz * thin)
        return (u, v, w), (rx, ry, rz)

    def shape(self, x, y, z, scaled: bool = True):
        (u, v, w), radii = self._local(x, y, z, scaled)
        return shapes.ellipsoid_local(u, v, w, radii)

    def relative_radius(self, x, y, z):
        """0 at the lobe's centre, 1 on its surface: how central a point is to this lobe, whatever its size."""
        (u, v, w), (rx, ry, rz) = self._local(x, y, z, True)
        return np.sqrt((u / rx) ** 2 + (v / ry) ** 2 + (w / rz) ** 2)

    def box(self):
        return shapes.box_of_ellipsoid(self.center, self.radii * 1.3, self.rot)


def lateral_tail(lateral: Lobe, rng: np.random.Generator) -> Lobe:
    """The lateral segment longer and turned backwards, its right end kept in place: a left lobe that reaches
    the left abdominal wall and wraps the spleen, an anatomical variant that cirrhotic hypertrophy of
    segments II-III can also produce. Real livers do this; segmentation networks trained on typical ones miss it."""
    stretch, thicken = rng.uniform(1.5, 2.0), rng.uniform(1.15, 1.4)
    rot = shapes.rotation(z_deg=rng.uniform(0.0, 20.0)) @ lateral.rot   # turn further towards the back
    radii = lateral.base_radii * np.array([stretch, thicken, thicken])
    right_end = lateral.center - lateral.rot[0] * lateral.radii[0]
    center = right_end + rot[0] * radii[0] * lateral.scale
    return Lobe(lateral.kind, center, radii, rot, lateral.scale)


class Liver(Layer):
    def __init__(self, rng: np.random.Generator, torso: Torso, effects: StageEffects,
                 tail_rng: np.random.Generator | None = None):
        size = rng.uniform(0.97, 1.13)  # whole-liver size of this person
        jitter = lambda: rng.normal(0.0, 4.0, 3)  # noqa: E731 - small per-patient displacement
        self.lobes = [
            Lobe("right", torso.place(-68.0, 5.0, 5.0) + jitter(), np.array([64.0, 82.0, 76.0]) * size
                 * rng.uniform(0.93, 1.07, 3), shapes.rotation(z_deg=rng.uniform(-15, 0)), effects.right_lobe_scale),
            # segment IV bridges the right lobe and the left lateral segment in front of the caudate;
            # it atrophies with the right lobe while the lateral segment enlarges
            Lobe("medial", torso.place(-20.0, -36.0, 12.0) + jitter(), np.array([30.0, 28.0, 44.0]) * size
                 * rng.uniform(0.9, 1.1, 3), shapes.rotation(z_deg=rng.uniform(-10, 10)), effects.right_lobe_scale),
            Lobe("lateral", torso.place(12.0, -48.0, 25.0) + jitter(), np.array([70.0, 28.0, 44.0]) * size
                 * rng.uniform(0.9, 1.1, 3), shapes.rotation(z_deg=rng.uniform(8, 22)), effects.left_lobe_scale),
            Lobe("caudate", torso.place(-12.0, -14.0, 15.0) + jitter() * 0.5, np.array([21.0, 18.0, 38.0]) * size
                 * rng.uniform(0.92, 1.08, 3), shapes.rotation(z_deg=rng.uniform(-10, 10)), effects.caudate_scale),
        ]
        if tail_rng is not None:
            lateral = LOBES.index("lateral")
            self.lobes[lateral] = lateral_tail(self.lobes[lateral], tail_rng)
        self.torso = torso
        self.effects = effects
        # fluid between liver and abdominal wall when there is ascites
        self.wall_gap = 0.8 * effects.ascites_mm
        lo, hi = shapes.union_box(*[lobe.box() for lobe in self.lobes])
        self.nodularity = effects.nodularity_mm
        # room for surface nodules, and for the ascites layer around the liver, which shares this box
        margin = 1.5 * self.nodularity + 6.0 + effects.ascites_mm
        self.deform_mm = float(rng.uniform(2.0, 5.0))
        self.deform = SmoothField(rng, lo, hi, scale_mm=35.0, lattice_mm=8.0)
        self.grain = SmoothField(rng, lo, hi, scale_mm=4.0, lattice_mm=2.0)
        cirrhotic = effects.nodularity_mm > 0 or effects.septa_strength > 0
        self.cells = NoduleField(rng, lo, hi, effects.nodule_size_mm,
                                 septum_mm=0.12 * effects.nodule_size_mm) if cirrhotic else None
        super().__init__(name="liver", box=(lo - margin, hi + margin), shape=self.base_shape, tissue="liver",
                         label="liver")

    @memoised_field
    def base_shape(self, x, y, z):
        """The liver surface without nodules: lobes, gentle deformation, pressed into the cavity."""
        right, medial, lateral, caudate = (lobe.shape(x, y, z) for lobe in self.lobes)
        left = shapes.smooth_min(medial, lateral, 16.0)
        d = shapes.smooth_min(shapes.smooth_min(right, left, 18.0), caudate, 10.0)
        # the gentle deformation only matters near the surface (and the ascites layer around it);
        # farther away it cannot change which side of the surface a point is on
        near = np.abs(d) < self.deform_mm * 3.5 + 12.0 + self.effects.ascites_mm
        d[near] += np.float32(self.deform_mm) * self.deform(x[near], y[near], z[near])
        d = shapes.smooth_max(d, self.torso.cavity(x, y, z) + np.float32(self.wall_gap), 8.0)
        return shapes.smooth_max(d, self.torso.below_diaphragm(x, y, z, clearance=3.0), 6.0)

    def evaluate(self, x, y, z, contrast, edge_mm: float):
        d = self.base_shape(x, y, z).copy()
        value = None
        if contrast is not None:
            value = np.full(d.shape, contrast.mean("liver"), dtype=np.float32)
        band = 1.5 * self.nodularity + 4.0
        near = d < band  # the inside and a band outside the surface that nodules may reach
        if value is None:
            # no texture wanted: bulging nodules only make the deep inside deeper, so skip it
            near &= d > -0.5 * edge_mm
        if not near.any():
            return d, value
        xs, ys, zs = x[near], y[near], z[near]
        cells = self.cells.sample(xs, ys, zs) if self.cells is not None else None
        if cells is not None and self.nodularity > 0:
            d[near] -= np.float32(self.nodularity) * cells.cell_size * cells.dome
        if value is not None:
            relative = 1.0 + np.float32(contrast.liver_grain) * self.grain(xs, ys, zs)
            if cells is not None:
                relative += (np.float32(contrast.nodule_sign * self.effects.nodule_contrast) * cells.cell_value
                             + np.float32(contrast.septa_sign * self.effects.septa_strength) * cells.septum)
            value[near] *= relative
        return d, value

    def lobe_index(self, x, y, z) -> np.ndarray:
        """Which lobe (index into LOBES) each point belongs to: the one it is most central to.

        Relative rather than absolute depth, so that the small caudate lobe owns its own region
        instead of losing it to the big right lobe it is merged with.
        """
        return np.argmin(np.stack([lobe.relative_radius(x, y, z) for lobe in self.lobes]), axis=0)

    def warp(self, point) -> np.ndarray:
        """Move a reference-liver point with its lobe's atrophy or hypertrophy (keeps vessels inside)."""
        p = np.asarray(point, dtype=float)
        depths = [float(lobe.shape(*p.astype(np.float32), scaled=False)) for lobe in self.lobes]
        lobe = self.lobes[int(np.argmin(depths))]
        return lobe.center + lobe.scale * (p - lobe.center)
