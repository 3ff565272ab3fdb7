"""Shared fixtures: tiny synthetic volumes made on the fly (the suite never needs ../shared)."""

from __future__ import annotations

import pytest
import SimpleITK as sitk

from synthetic_volumes import OBLIQUE, RAS_FLIP, make_volume, organ_mask  # noqa: F401 (fixtures below)


@pytest.fixture
def volume() -> sitk.Image:
    return make_volume()


@pytest.fixture(params=["identity", "ras_flip", "oblique"])
def any_orientation_volume(request) -> sitk.Image:
    direction = {"identity": (1, 0, 0, 0, 1, 0, 0, 0, 1), "ras_flip": RAS_FLIP, "oblique": OBLIQUE}[request.param]
    return make_volume(direction=direction, origin=(13.1, -42.7, 101.3))
