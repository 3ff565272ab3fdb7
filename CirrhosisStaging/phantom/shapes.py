"""Implicit shape primitives in physical millimetres.

Every function takes coordinate arrays x, y, z (any shape, broadcastable) and returns an
approximate signed distance in mm: negative inside, positive outside. Approximate is enough:
the renderer only needs it to be close to a true distance within a voxel or two of the surface,
where it turns the distance into a partial-volume fraction.
"""

from __future__ import annotations

import numpy as np


def rotation(z_deg: float = 0.0, y_deg: float = 0.0, x_deg: float = 0.0) -> np.ndarray:
    """World -> shape-frame rotation matrix (rotations about z, then y, then x, in degrees)."""
    a, b, c = np.radians([z_deg, y_deg, x_deg])
    rz = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])
    ry = np.array([[np.cos(b), 0, np.sin(b)], [0, 1, 0], [-np.sin(b), 0, np.cos(b)]])
    rx = np.array([[1, 0, 0], [0, np.cos(c), -np.sin(c)], [0, np.sin(c), np.cos(c)]])
    return (rz @ ry @ rx).T  # transpose: maps world offsets into the shape's own axes


def to_frame(x, y, z, center, rot=None):
    """Offsets from `center`, expressed in the shape frame given by `rot` (None: world axes)."""
    dx, dy, dz = x - np.float32(center[0]), y - np.float32(center[1]), z - np.float32(center[2])
    if rot is None:
        return dx, dy, dz
    r = np.asarray(rot, dtype=np.float32)
    return (r[0, 0] * dx + r[0, 1] * dy + r[0, 2] * dz,
            r[1, 0] * dx + r[1, 1] * dy + r[1, 2] * dz,
            r[2, 0] * dx + r[2, 1] * dy + r[2, 2] * dz)


def ellipsoid_local(u, v, w, radii):
    """Ellipsoid distance for coordinates already in its frame (radii may be arrays: tapering)."""
    rx, ry, rz = radii
    k0 = np.sqrt((u / rx) ** 2 + (v / ry) ** 2 + (w / rz) ** 2)
    k1 = np.sqrt((u / (rx * rx)) ** 2 + (v / (ry * ry)) ** 2 + (w / (rz * rz)) ** 2)
    # k0 / k1 is the local distance scale; at the exact centre it is 0/0, where the limit is ~ min radius.
    scale = np.divide(k0, k1, out=np.full_like(k0, np.float32(np.min([np.min(r) for r in radii]))),
                      where=k1 > 1e-9)
    return (k0 - 1.0) * scale


def ellipsoid(x, y, z, center, radii, rot=None):
    u, v, w = to_frame(x, y, z, center, rot)
    return ellipsoid_local(u, v, w, radii)


def ellipse_cylinder(x, y, center_xy, radii_xy, exponent=2.0):
    """Infinite cylinder along z with a (super)elliptical cross-section; exponent > 2 squares it off.

    `exponent` may be an array (a different shape front and back).
    """
    rx, ry = np.float32(radii_xy[0]), np.float32(radii_xy[1])
    u = np.abs(x - np.float32(center_xy[0])) / rx + np.float32(1e-6)
    v = np.abs(y - np.float32(center_xy[1])) / ry + np.float32(1e-6)
    if np.isscalar(exponent) and exponent == 2.0:
        q = np.sqrt(u * u + v * v)
        gu, gv = u / (q * rx), v / (q * ry)
    else:
        # powers through exp/log: vectorised and much faster than a per-element pow
        n = np.asarray(exponent, dtype=np.float32)
        log_u, log_v = np.log(u), np.log(v)
        un, vn = np.exp(n * log_u), np.exp(n * log_v)
        log_q = np.log(un + vn) / n
        q = np.exp(log_q)
        gu = np.exp((n - 1) * (log_u - log_q)) / rx
        gv = np.exp((n - 1) * (log_v - log_q)) / ry
    # first-order distance F / |grad F| with F = q - 1
    return (q - 1.0) / np.sqrt(gu * gu + gv * gv)


def capsule(x, y, z, a, b, radius_a: float, radius_b: float | None = None):
    """Tube from point a to point b with rounded ends; the radius tapers linearly if radius_b is given."""
    a = np.asarray(a, dtype=np.float32)
    ba = np.asarray(b, dtype=np.float32) - a
    pax, pay, paz = x - a[0], y - a[1], z - a[2]
    h = np.clip((pax * ba[0] + pay * ba[1] + paz * ba[2]) / np.float32(ba @ ba), 0.0, 1.0)
    dx, dy, dz = pax - ba[0] * h, pay - ba[1] * h, paz - ba[2] * h
    r = radius_a if radius_b is None else radius_a + (radius_b - radius_a) * h
    return np.sqrt(dx * dx + dy * dy + dz * dz) - r


def smooth_min(a, b, k: float):
    """Union that blends the two surfaces over about k mm, so merged lobes have no crease."""
    if k <= 0:
        return np.minimum(a, b)
    h = np.maximum(k - np.abs(a - b), 0.0) / k
    return np.minimum(a, b) - h * h * (k * 0.25)


def smooth_max(a, b, k: float):
    """Intersection (or subtraction with -b) with a rounded k mm seam."""
    return -smooth_min(-a, -b, k)


def box_of_ellipsoid(center, radii, rot=None, margin: float = 0.0):
    """Axis-aligned (lo, hi) bounds of a (rotated) ellipsoid, for culling."""
    center = np.asarray(center, dtype=float)
    radii = np.asarray(radii, dtype=float)
    if rot is None:
        extent = radii
    else:
        # rot maps world -> frame, so frame axis i is row i of rot expressed in world coordinates
        extent = np.sqrt(((np.asarray(rot).T * radii) ** 2).sum(axis=1))
    return center - extent - margin, center + extent + margin


def box_of_segment(a, b, radius: float, margin: float = 0.0):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return np.minimum(a, b) - radius - margin, np.maximum(a, b) + radius + margin


def union_box(*boxes):
    return (np.min([b[0] for b in boxes], axis=0), np.max([b[1] for b in boxes], axis=0))
