"""Ground-truth numbers of a patient, measured on a fixed reference grid in patient space.

Measured once per patient (not per series) so that T1 and T2 report the same truth, and with
partial-volume fractions so the numbers do not depend much on the reference spacing. The grid
covers the whole liver and spleen (a big spleen reaches far down); ascites is counted within the
abdomen around the liver, z from -160 to +120 mm.
"""

from __future__ import annotations

import numpy as np

from .anatomy import Anatomy
from .liver import LOBES
from .render import render
from .sampling import SamplePoints

REFERENCE_SPACING_MM = 3.0
_Z_RANGE = (-160.0, 120.0)


def measure_truth(anatomy: Anatomy, spacing_mm: float = REFERENCE_SPACING_MM) -> dict:
    torso = anatomy.torso
    h = float(spacing_mm)
    organs = [layer.box for layer in anatomy.layers if layer.label in ("liver", "spleen")]
    z_lo = min(_Z_RANGE[0], *(box[0][2] for box in organs))
    z_hi = max(_Z_RANGE[1], *(box[1][2] for box in organs))
    lo = np.array([-torso.half_width - h, -torso.half_depth - h, z_lo])
    hi = np.array([torso.half_width + h, torso.half_depth + h, z_hi])
    columns, rows, slices = (np.ceil((hi - lo) / h).astype(int) + 1)
    points = SamplePoints.build(np.eye(3) * h, lo, columns, rows, np.arange(slices), edge_mm=h)
    weights = render(anatomy.layers, points).weights
    anatomy.forget_fields()
    ml = h ** 3 / 1000.0

    slice_z = lo[2] + h * np.arange(slices)
    abdomen = (slice_z >= _Z_RANGE[0]) & (slice_z <= _Z_RANGE[1])
    liver = weights["liver"]
    inside = np.nonzero(liver > 0)
    lobe = anatomy.liver.lobe_index(points.x[inside], points.y[inside], points.z[inside])
    lobe_ml = {name: float(liver[inside][lobe == i].sum() * ml) for i, name in enumerate(LOBES)}
    effects = anatomy.effects
    return {
        "stage": anatomy.stage,
        "liver_volume_ml": float(liver.sum() * ml),
        "right_lobe_volume_ml": lobe_ml["right"],
        "left_lobe_volume_ml": lobe_ml["medial"] + lobe_ml["lateral"],
        "caudate_volume_ml": lobe_ml["caudate"],
        "caudate_right_ratio": lobe_ml["caudate"] / max(lobe_ml["right"], 1e-6),
        "spleen_volume_ml": float(weights["spleen"].sum() * ml),
        "ascites_volume_ml": float(weights["ascites"][abdomen].sum() * ml),
        "nodularity_mm": effects.nodularity_mm,
        "nodule_size_mm": effects.nodule_size_mm,
        "septa_strength": effects.septa_strength,
        "t2_iron_darkening": effects.t2_iron_darkening,
    }
