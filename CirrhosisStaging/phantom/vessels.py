"""Intrahepatic vessel trees (portal and hepatic veins) as chains of tapered tubes.

Main trunks follow the textbook course; smaller branches sprout at random from them. The renderer
clips every branch to the liver, so branches may be drawn generously.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import shapes


@dataclass(frozen=True)
class Segment:
    start: np.ndarray
    end: np.ndarray
    radius_start: float
    radius_end: float
    kind: str  # "portal_vein" or "hepatic_vein": the contrast table key

    def box(self):
        return shapes.box_of_segment(self.start, self.end, max(self.radius_start, self.radius_end))

    def shape(self, x, y, z):
        return shapes.capsule(x, y, z, self.start, self.end, self.radius_start, self.radius_end)


# Reference-body trunks: (start, end, radius at start, radius at end), LPS mm around the liver centre.
PORTAL_TRUNKS = (
    ((-26.0, -14.0, -22.0), (-52.0, -4.0, -12.0), 6.5, 5.5),   # right portal vein
    ((-52.0, -4.0, -12.0), (-88.0, -32.0, -10.0), 4.5, 2.5),   # right anterior
    ((-52.0, -4.0, -12.0), (-92.0, 28.0, -6.0), 4.5, 2.5),     # right posterior
    ((-26.0, -14.0, -22.0), (-2.0, -34.0, -8.0), 5.5, 4.5),    # left portal vein, transverse part
    ((-2.0, -34.0, -8.0), (6.0, -52.0, 12.0), 4.5, 3.5),       # umbilical part
    ((6.0, -52.0, 12.0), (48.0, -48.0, 24.0), 3.5, 2.0),       # left lateral
)
HEPATIC_TRUNKS = (
    ((-30.0, 2.0, 58.0), (-98.0, 8.0, -14.0), 6.0, 2.5),       # right hepatic vein
    ((-24.0, -6.0, 60.0), (-44.0, -52.0, -22.0), 5.0, 2.5),    # middle hepatic vein
    ((-18.0, -6.0, 62.0), (30.0, -46.0, 28.0), 4.5, 2.0),      # left hepatic vein
)


def vessel_tree(rng: np.random.Generator, place, branches_per_trunk: tuple[int, int] = (3, 6)) -> list[Segment]:
    """Trunks moved to this body (`place`: reference position -> patient position) plus random side branches."""
    segments = []
    for kind, trunks in (("portal_vein", PORTAL_TRUNKS), ("hepatic_vein", HEPATIC_TRUNKS)):
        for start, end, r0, r1 in trunks:
            jitter = rng.normal(0.0, 3.0, 3)
            a, b = place(*start) + jitter, place(*end) + jitter + rng.normal(0.0, 5.0, 3)
            segments.append(Segment(a, b, r0, r1, kind))
            for _ in range(int(rng.integers(*branches_per_trunk))):
                t = rng.uniform(0.25, 0.95)
                origin = a + t * (b - a)
                radius = (r0 + t * (r1 - r0)) * rng.uniform(0.45, 0.7)
                direction = rng.normal(0.0, 1.0, 3)
                direction -= 0.5 * direction @ (b - a) / ((b - a) @ (b - a)) * (b - a)  # lean away from the trunk
                direction /= np.linalg.norm(direction)
                length = rng.uniform(18.0, 40.0)
                segments.append(Segment(origin, origin + length * direction, radius, max(radius * 0.5, 1.0), kind))
    return segments
