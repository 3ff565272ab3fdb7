"""The trunk: skin outline, fat and muscle wall, peritoneal cavity, diaphragm and spine position.

Patient coordinates are LPS millimetres (ITK convention): +x towards the patient's left,
+y towards the back, +z towards the head. The origin is near the centre of the liver.
"""

from __future__ import annotations

import numpy as np

from . import shapes
from .memo import memoised_field


class Torso:
    def __init__(self, rng: np.random.Generator):
        self.half_width = float(rng.uniform(135.0, 165.0))   # left-right semi-axis of the skin outline
        self.half_depth = float(rng.uniform(98.0, 122.0))    # front-back semi-axis
        self.back_flatness = float(rng.uniform(0.1, 0.2))    # how much flatter the back is than an ellipse
        self.fat_mm = float(rng.uniform(8.0, 32.0))          # subcutaneous fat
        self.muscle_mm = float(rng.uniform(6.0, 12.0))       # abdominal wall muscle
        # the right hemidiaphragm sits higher than the left (the liver pushes it up)
        self.dome_right = np.array([-60.0 * self.sx, 15.0, rng.uniform(72.0, 92.0)])
        self.dome_left = np.array([60.0 * self.sx, 25.0, self.dome_right[2] - rng.uniform(8.0, 18.0)])
        self.dome_radius = float(rng.uniform(120.0, 170.0))
        self.spine_y = 0.32 * self.half_depth  # centre of the vertebral bodies
        # great vessels in front of the spine: aorta slightly left, inferior vena cava on the right
        self.aorta_xy = (14.0 * self.sx, self.spine_y - 28.0)
        self.ivc_xy = (-24.0 * self.sx, self.spine_y - 30.0)

    @property
    def sx(self) -> float:
        """Left-right size of this peritoneal cavity relative to the reference body (300 x 220 mm skin,
        20 mm fat, 9 mm muscle): organs are placed relative to the cavity they have to fit in."""
        return (self.half_width - self.fat_mm - self.muscle_mm) / 121.0

    @property
    def sy(self) -> float:
        return (self.half_depth - self.fat_mm - self.muscle_mm) / 81.0

    def place(self, x: float, y: float, z: float) -> np.ndarray:
        """A reference-body position moved to this body (organs keep their own sizes)."""
        return np.array([x * self.sx, y * self.sy, z])

    def box(self, z_lo: float = -260.0, z_hi: float = 220.0):
        return (np.array([-self.half_width, -self.half_depth, z_lo]) - 2,
                np.array([self.half_width, self.half_depth, z_hi]) + 2)

    @memoised_field
    def skin(self, x, y, z):
        # an ellipse a little deeper than the body, cut by a rounded flat back
        deeper = 1.0 + self.back_flatness
        oval = shapes.ellipse_cylinder(x, y, (0.0, 0.0), (self.half_width, self.half_depth * deeper))
        return shapes.smooth_max(oval, y - np.float32(self.half_depth), 40.0)

    def muscle_outer(self, x, y, z):
        return self.skin(x, y, z) + np.float32(self.fat_mm)

    @memoised_field
    def cavity(self, x, y, z):
        """Peritoneal cavity: inside the muscle wall, minus the spine and back muscles behind it
        and the aorta wrapped in the diaphragmatic crura in front of the spine."""
        inner = self.skin(x, y, z) + np.float32(self.fat_mm + self.muscle_mm)
        d = shapes.smooth_max(inner, -self.retroperitoneum(x, y), 10.0)
        crura = shapes.ellipse_cylinder(x, y, self.aorta_xy, (21.0, 19.0))
        return shapes.smooth_max(d, -crura, 6.0)

    def back_muscle_inner(self, x, y, z):
        """Inside of the posterior muscle wall: the retroperitoneum lies between this and the cavity."""
        return self.skin(x, y, z) + np.float32(self.fat_mm + self.muscle_mm)

    def retroperitoneum(self, x, y):
        """Spine, back muscles and the fat around them: kept out of the peritoneal cavity."""
        return shapes.ellipse_cylinder(x, y, (0.0, self.spine_y + 32.0), (68.0, 48.0))

    def wall_distance(self, direction_xy, z: float) -> float:
        """Distance from the body axis to the inside of the abdominal wall along a horizontal direction."""
        r = np.linspace(0.0, 1.2 * self.half_width, 600, dtype=np.float32)
        x, y = r * np.float32(direction_xy[0]), r * np.float32(direction_xy[1])
        inside = self.cavity(x, y, np.full_like(r, z)) < 0
        return float(r[np.nonzero(inside)[0].max()]) if inside.any() else 0.0

    def diaphragm_height(self, x, y):
        """z of the diaphragm surface above (x, y): the higher of two domes."""
        r2 = np.float32(2.0 * self.dome_radius)
        right = np.float32(self.dome_right[2]) - ((x - np.float32(self.dome_right[0])) ** 2
                                                  + (y - np.float32(self.dome_right[1])) ** 2) / r2
        left = np.float32(self.dome_left[2]) - ((x - np.float32(self.dome_left[0])) ** 2
                                                + (y - np.float32(self.dome_left[1])) ** 2) / r2
        return np.maximum(right, left)

    def below_diaphragm(self, x, y, z, clearance: float = 0.0):
        """Signed distance-like value, negative below the diaphragm (with `clearance` mm to spare)."""
        return z - self.diaphragm_height(x, y) + np.float32(clearance)
