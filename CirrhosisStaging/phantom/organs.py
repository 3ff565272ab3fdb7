"""Builders for the organs around the liver; each returns its layers in painting order."""

from __future__ import annotations

import numpy as np

from . import shapes
from .layers import Layer
from .torso import Torso


def spleen_layers(rng: np.random.Generator, torso: Torso, volume_ml: float, kidney: Layer) -> list[Layer]:
    """Crescent along the left posterolateral wall; splenomegaly grows it forwards and downwards.

    The wall, the diaphragm and the left kidney (which a big spleen moulds itself around) cut into
    it, so its scale is corrected until the cut shape has the stage's target volume.
    """
    proportions = rng.uniform(0.93, 1.07, 3)
    angle = rng.uniform(28.0, 40.0)  # from the body axis towards the left flank and back
    top = torso.dome_left[2] - 4.0 - rng.uniform(0.0, 10.0)  # under the left dome
    tilt = rng.uniform(-12, 12)
    # a narrow body with a wide spine leaves little room far back: move forwards until there is
    while angle > 0 and torso.wall_distance((np.cos(np.radians(angle)), np.sin(np.radians(angle))), top - 50.0) < 85:
        angle -= 4.0
    outward = np.array([np.cos(np.radians(angle)), np.sin(np.radians(angle)), 0.0])  # thin axis points to the wall
    forward = np.array([outward[1], -outward[0], 0.0])  # along the wall, towards the front
    rot = shapes.rotation(z_deg=angle, x_deg=tilt)

    def build(scale: float):
        radii = np.array([22.0 * scale ** 0.6, 52.0 * scale ** 1.2, 50.0 * scale ** 1.2]) * proportions
        z = top - radii[2]  # hangs from under the dome: a big spleen reaches far down
        # against the wall whatever this body's fat and muscle thickness; big spleens grow forwards
        center = (outward * (torso.wall_distance(outward, z) - 0.7 * radii[0]) + np.array([0.0, 0.0, z])
                  + forward * 25.0 * (scale - 1.0))
        hilum_center = center - outward * (radii[0] + 28.0)  # a shallow concave medial face
        hilum_radii = np.array([34.0, 0.7 * radii[1], 0.85 * radii[2]])

        def shape(x, y, z):
            d = shapes.ellipsoid(x, y, z, center, radii, rot)
            d = shapes.smooth_max(d, -shapes.ellipsoid(x, y, z, hilum_center, hilum_radii, rot), 6.0)
            d = shapes.smooth_max(d, torso.cavity(x, y, z) + 1.0, 6.0)
            d = shapes.smooth_max(d, 2.0 - kidney.shape(x, y, z), 4.0)
            return shapes.smooth_max(d, torso.below_diaphragm(x, y, z, clearance=3.0), 6.0)

        return shape, shapes.box_of_ellipsoid(center, radii, rot, margin=4.0), hilum_center + outward * 10.0

    # Secant steps on log(volume) against log(scale): the cuts make the volume grow faster than
    # scale cubed, by an amount that depends on the body.
    scale, previous = (volume_ml / 200.0) ** (1.0 / 3.0), None
    for _ in range(8):
        shape, box, hilum = build(scale)
        volume = max(_volume_ml(shape, box), 1.0)
        if abs(volume / volume_ml - 1.0) < 0.01:
            break
        power = 3.0
        if previous is not None and abs(np.log(scale / previous[0])) > 1e-6:
            power = float(np.clip(np.log(volume / previous[1]) / np.log(scale / previous[0]), 1.5, 8.0))
        previous = (scale, volume)
        scale *= float(np.clip((volume_ml / volume) ** (1.0 / power), 0.7, 1.4))
    vein_start = torso.place(0.0, 10.0, -70.0)
    splenic_vein = Layer("splenic_vein", shapes.box_of_segment(vein_start, hilum, 5.0),
                         lambda x, y, z: shapes.capsule(x, y, z, vein_start, hilum, 4.5), tissue="portal_vein")
    return [splenic_vein, Layer("spleen", box, shape, tissue="spleen", label="spleen")]


def _volume_ml(shape, box, step: float = 3.0) -> float:
    lo, hi = box
    axes = [np.arange(a + step / 2, b, step, dtype=np.float32) for a, b in zip(lo, hi)]
    x, y, z = np.meshgrid(*axes, indexing="ij", sparse=True)
    d = shape(*np.broadcast_arrays(x, y, z))
    return float(np.clip(0.5 - d / step, 0.0, 1.0).sum()) * step ** 3 / 1000.0


def kidney_layers(rng: np.random.Generator, torso: Torso, side: str) -> tuple[Layer, list[Layer]]:
    """Bean in perirenal fat: cortex, medulla, sinus fat at the hilum facing front and inwards.

    Returns the perirenal fat (to paint before liver and spleen, which may lie on it) and the kidney.
    """
    sign = -1.0 if side == "right" else 1.0  # patient's right is -x in LPS
    z = -64.0 if side == "right" else -54.0  # the right kidney sits lower, under the liver
    center = torso.place(sign * 66.0, 42.0, z) + rng.normal(0.0, 4.0, 3)
    radii = np.array([26.0, 23.0, 55.0]) * rng.uniform(0.9, 1.1, 3)
    rot = shapes.rotation(z_deg=sign * -30.0 + rng.uniform(-8, 8), y_deg=sign * 12.0)
    medial = np.array([-sign, -0.6, 0.0]) / np.hypot(1.0, 0.6)  # towards the hilum
    label = "kidney_r" if side == "right" else "kidney_l"
    sinus_center = center + medial * 17.0  # reaches the surface: the hilum notch of the bean

    def outer(x, y, z):
        return shapes.ellipsoid(x, y, z, center, radii, rot)

    def medulla(x, y, z):
        return shapes.ellipsoid(x, y, z, center, radii - 8.0, rot)

    def sinus(x, y, z):
        return shapes.ellipsoid(x, y, z, sinus_center, (13.0, 9.0, 0.5 * radii[2]), rot)

    box = shapes.box_of_ellipsoid(center, radii, rot, margin=2.0)
    fat_box = shapes.box_of_ellipsoid(center, radii, rot, margin=12.0)
    return Layer(f"{label}_fat", fat_box, lambda x, y, z: outer(x, y, z) - 9.0, tissue="fat"), [
        Layer(label, box, outer, tissue="kidney_cortex", label=label),
        Layer(f"{label}_medulla", box, medulla, tissue="kidney_medulla", label=label),
        Layer(f"{label}_sinus", box, sinus, tissue="fat", label=label),
    ]


def stomach_layers(rng: np.random.Generator, torso: Torso) -> list[Layer]:
    """Left upper quadrant; gas floats to the front (the patient lies supine), fluid behind it."""
    center = torso.place(50.0, -28.0, 30.0) + rng.normal(0.0, 5.0, 3)
    radii = np.array([38.0, 30.0, 45.0]) * rng.uniform(0.8, 1.15, 3)
    rot = shapes.rotation(z_deg=30.0 + rng.uniform(-10, 10))
    gas_level = np.float32(center[1] - radii[1] * rng.uniform(0.2, 0.7))

    def wall(x, y, z):
        return shapes.smooth_max(shapes.ellipsoid(x, y, z, center, radii, rot), torso.cavity(x, y, z), 4.0)

    def content(x, y, z):
        return wall(x, y, z) + 4.0

    def gas(x, y, z):
        return np.maximum(content(x, y, z), y - gas_level)

    box = shapes.box_of_ellipsoid(center, radii, rot, margin=2.0)
    return [Layer("stomach_wall", box, wall, tissue="bowel_wall"),
            Layer("stomach", box, content, tissue="stomach"),
            Layer("stomach_gas", box, gas, tissue="gas")]


def gallbladder_layer(rng: np.random.Generator, torso: Torso) -> Layer:
    """Pear of bile in its fossa under the liver; painted after the liver, so it is cut out of it."""
    center = torso.place(-30.0, -45.0, -30.0) + rng.normal(0.0, 4.0, 3)
    radii = np.array([14.0, 14.0, 32.0]) * rng.uniform(0.75, 1.2, 3)
    rot = shapes.rotation(z_deg=rng.uniform(-20, 20), x_deg=rng.uniform(20, 40))
    return Layer("gallbladder", shapes.box_of_ellipsoid(center, radii, rot, margin=2.0),
                 lambda x, y, z: shapes.ellipsoid(x, y, z, center, radii, rot), tissue="fluid")


def great_vessel_layers(rng: np.random.Generator, torso: Torso, dome_z: float) -> list[Layer]:
    """Aorta left-front of the spine, IVC on the right (behind the caudate lobe), main portal vein."""
    (aorta_x, aorta_y), (ivc_x, ivc_y) = torso.aorta_xy, torso.ivc_xy
    aorta = ((aorta_x, aorta_y, -300.0), (aorta_x - 4.0, aorta_y + 6.0, 260.0), rng.uniform(9.0, 12.5))
    ivc = ((ivc_x, ivc_y, -300.0), (ivc_x + 2.0, ivc_y + 4.0, dome_z + 15.0), rng.uniform(9.0, 12.5))
    portal = (torso.place(-2.0, 8.0, -85.0), torso.place(-26.0, -14.0, -22.0), rng.uniform(6.0, 8.0))
    layers = []
    for name, (a, b, r) in (("ivc", ivc), ("aorta", aorta), ("portal_vein", portal)):
        layers.append(Layer(name, shapes.box_of_segment(a, b, r),
                            lambda x, y, z, a=a, b=b, r=r: shapes.capsule(x, y, z, a, b, r), tissue=name))
    return layers


def spine_layers(rng: np.random.Generator, torso: Torso) -> list[Layer]:
    """Retroperitoneal fat, psoas and back muscles, vertebral bodies with discs, arch and spinal canal."""
    y0 = torso.spine_y
    period = rng.uniform(32.0, 38.0)  # vertebra + disc height
    phase = rng.uniform(0.0, period)
    lo, hi = torso.box()

    def column(cx, cy, rx, ry):
        return lambda x, y, z: shapes.ellipse_cylinder(x, y, (cx, cy), (rx, ry))

    def marrow_or_disc(x, y, z, contrast):
        in_disc = np.abs(np.mod(z - np.float32(phase), np.float32(period)) - np.float32(period / 2)) > period / 2 - 4.0
        return np.where(in_disc, np.float32(contrast.mean("disc")), np.float32(contrast.mean("bone_marrow")))

    box = lambda w, cy, h: (np.array([-w, cy - h, lo[2]]), np.array([w, cy + h, hi[2]]))  # noqa: E731
    retro_fat = Layer("retroperitoneal_fat", box(torso.half_width, y0 + 32.0, 50.0),
                      lambda x, y, z: np.maximum(torso.retroperitoneum(x, y), torso.back_muscle_inner(x, y, z)),
                      tissue="fat")

    def psoas(side):
        # thin near the diaphragm, thickening downwards along the lumbar spine
        def shape(x, y, z):
            r = np.clip(6.0 + 0.12 * (-20.0 - z), 4.0, 20.0)
            return shapes.ellipsoid_local(x - np.float32(side * 30.0), y - np.float32(y0 - 2.0), z * 0,
                                          (r, r * 0.9, np.float32(1e6)))
        return Layer(f"psoas_{side:+.0f}", box(60.0, y0, 25.0), shape, tissue="muscle")

    muscles = [retro_fat, psoas(-1.0), psoas(1.0)] + [Layer(f"paraspinal_{side}", box(70.0, y0 + 40.0, 26.0),
                     column(side * 38.0, y0 + 40.0, 27.0, 22.0), tissue="muscle") for side in (-1.0, 1.0)]
    return muscles + [
        Layer("vertebral_cortex", box(23.0, y0, 20.0), column(0.0, y0, 21.0, 18.0), tissue="cortical_bone"),
        Layer("vertebral_body", box(23.0, y0, 20.0), column(0.0, y0, 18.5, 15.5), shade=marrow_or_disc),
        Layer("vertebral_arch", box(20.0, y0 + 30.0, 16.0), column(0.0, y0 + 30.0, 17.0, 13.0), tissue="cortical_bone"),
        Layer("spinous_process", box(8.0, y0 + 52.0, 16.0), column(0.0, y0 + 52.0, 5.0, 14.0), tissue="bone_marrow"),
        Layer("spinal_canal", box(12.0, y0 + 27.0, 10.0), column(0.0, y0 + 27.0, 10.0, 8.0), tissue="csf"),
    ]
