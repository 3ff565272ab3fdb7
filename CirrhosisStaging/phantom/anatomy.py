"""One patient's abdomen as an ordered list of layers in patient (LPS mm) coordinates.

Built from (stage, seed) alone, and nothing here knows about image grids: every sequence samples
the same implicit shapes on its own grid, so T1 and T2 of a patient show the same anatomy.
Each organ draws from its own random stream, keyed by the seed, so the same seed gives the same
person at every stage and only the stage effects differ.
"""

from __future__ import annotations

import numpy as np

from . import organs, shapes
from .layers import Layer
from .liver import Liver
from .noise import SmoothField
from .stage_effects import StageEffects, sample_stage_effects
from .torso import Torso
from .vessels import vessel_tree

# stream keys: one random stream per part of the body
_TORSO, _EFFECTS, _LIVER, _VESSELS, _SPLEEN, _KIDNEYS, _STOMACH, _GALLBLADDER, _SPINE, _GREAT, _BOWEL = range(11)
_LIVER_TAIL = 11


def patient_rng(seed: int, *keys: int) -> np.random.Generator:
    return np.random.default_rng([int(seed), *keys])


class Anatomy:
    """`tail_fraction`: the chance that this patient's left lateral segment wraps the spleen (liver.lateral_tail);
    drawn from its own stream, so every other patient is the same whatever the fraction."""

    def __init__(self, stage: int, seed: int, tail_fraction: float = 0.0):
        self.stage, self.seed = int(stage), int(seed)
        self.effects: StageEffects = sample_stage_effects(stage, patient_rng(seed, _EFFECTS))
        self.torso = torso = Torso(patient_rng(seed, _TORSO))
        tail_rng = patient_rng(seed, _LIVER_TAIL)
        self.has_tail = bool(tail_rng.random() < tail_fraction)
        self.liver = Liver(patient_rng(seed, _LIVER), torso, self.effects, tail_rng if self.has_tail else None)
        self.layers: list[Layer] = self._assemble()

    def forget_fields(self) -> None:
        """Drop field values remembered for the last sample points (they hold large arrays)."""
        for part in (self.torso, self.liver):
            part.__dict__.pop("_field_memo", None)

    def _assemble(self) -> list[Layer]:
        torso, effects = self.torso, self.effects
        lo, hi = torso.box()
        bowel = _bowel_shade(patient_rng(self.seed, _BOWEL), torso)
        dome_z = float(torso.dome_right[2])
        layers = [
            Layer("body", (lo, hi), torso.skin, tissue="fat"),
            Layer("abdominal_wall", (lo, hi), torso.muscle_outer, tissue="muscle"),
            Layer("cavity", (lo, hi), torso.cavity, shade=bowel),
            *organs.spine_layers(patient_rng(self.seed, _SPINE), torso),
            Layer("lungs", (np.array([lo[0], lo[1], dome_z - 90.0]), hi),
                  lambda x, y, z: shapes.smooth_max(torso.cavity(x, y, z), -torso.below_diaphragm(x, y, z), 4.0),
                  tissue="lung"),
            _heart_layer(torso),
        ]
        if effects.ascites_mm > 0:
            layers += _ascites_layers(torso, self.liver, effects.ascites_mm)
        kidneys_rng = patient_rng(self.seed, _KIDNEYS)
        (right_fat, right_kidney), (left_fat, left_kidney) = (organs.kidney_layers(kidneys_rng, torso, side)
                                                              for side in ("right", "left"))
        layers += [right_fat, left_fat]
        layers += organs.stomach_layers(patient_rng(self.seed, _STOMACH), torso)
        layers += left_kidney  # before the spleen, which may overlap its upper pole
        layers.append(self.liver)
        # after the liver: an enlarged spleen pushes the left lobe aside, and keeps its target volume
        layers += organs.spleen_layers(patient_rng(self.seed, _SPLEEN), torso, effects.spleen_volume_ml,
                                       kidney=left_kidney[0])
        layers.append(organs.gallbladder_layer(patient_rng(self.seed, _GALLBLADDER), torso))
        layers += organs.great_vessel_layers(patient_rng(self.seed, _GREAT), torso, dome_z)
        for segment in vessel_tree(patient_rng(self.seed, _VESSELS), lambda *p: self.liver.warp(torso.place(*p))):
            layers.append(Layer(segment.kind, segment.box(), segment.shape, tissue=segment.kind,
                                covers_labels=False, within="liver"))
        layers += right_kidney  # after the liver: the kidney leaves its impression on the right lobe
        return layers


def _bowel_shade(rng: np.random.Generator, torso: Torso):
    """Intraperitoneal fat with bowel loops: walls, fluid-filled and gas-filled lumens."""
    lo, hi = torso.box(-220.0, 200.0)
    loops = SmoothField(rng, lo, hi, scale_mm=6.0, lattice_mm=3.0)
    content = SmoothField(rng, lo, hi, scale_mm=12.0, lattice_mm=4.0)

    def shade(x, y, z, contrast):
        loop = _sigmoid((loops(x, y, z) - 0.1) * 5.0)
        c = content(x, y, z)
        fluid = _sigmoid((c - 0.9) * 5.0)
        gas = _sigmoid((-c - 1.1) * 5.0)
        lumen = (contrast.mean("bowel_wall") * (1.0 - fluid - gas) + contrast.mean("fluid") * 0.7 * fluid
                 + contrast.mean("gas") * gas)
        return (contrast.mean("visceral_fat") * (1.0 - loop) + lumen * loop).astype(np.float32)

    return shade


def _sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


def _heart_layer(torso: Torso) -> Layer:
    center = np.array([22.0 * torso.sx, -32.0 * torso.sy, torso.dome_left[2] + 38.0])
    radii = np.array([56.0, 42.0, 48.0])
    return Layer("heart", shapes.box_of_ellipsoid(center, radii),
                 lambda x, y, z: shapes.smooth_max(shapes.ellipsoid(x, y, z, center, radii),
                                                   -torso.below_diaphragm(x, y, z, clearance=-4.0), 4.0),
                 tissue="heart")


def _ascites_layers(torso: Torso, liver: Liver, thickness: float) -> list[Layer]:
    """Free fluid along the peritoneal wall (more in the dependent back) and around the liver."""
    lo, hi = torso.box()
    t = np.float32(thickness)

    def along_wall(x, y, z):
        cavity = torso.cavity(x, y, z)
        dependent = 0.5 + 0.6 * np.clip((y + np.float32(torso.half_depth)) / np.float32(2 * torso.half_depth), 0, 1)
        d = np.maximum(cavity, -(cavity + t * dependent))
        return np.maximum(d, torso.below_diaphragm(x, y, z, clearance=3.0))

    def around_liver(x, y, z):
        d = np.maximum(liver.base_shape(x, y, z) - t, torso.cavity(x, y, z))
        return np.maximum(d, torso.below_diaphragm(x, y, z, clearance=3.0))

    return [Layer("ascites", (lo, hi), along_wall, tissue="fluid", label="ascites"),
            # the liver's own box (which has room for it), so the liver surface is computed once
            Layer("ascites_perihepatic", liver.box, around_liver, tissue="fluid", label="ascites")]
