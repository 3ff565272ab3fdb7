"""Organ volumes from a label map: liver, spleen, splenomegaly flag and liver/spleen ratio.

Volumes are voxel counts times the voxel volume (product of the spacing), so they are physical
millilitres on any grid, anisotropic or oblique (the direction matrix is a rotation and does not
change volumes).
"""

from __future__ import annotations

import numpy as np
import SimpleITK as sitk

from ..data.labels import LIVER, SPLEEN
from ..io.mask_stats import label_volumes_ml

# Upper limit of normal splenic volume on CT, 314.5 cm^3 (= mL): Prassopoulos P, et al. Determination
# of normal splenic volume on computed tomography in relation to age, gender and body habitus.
# Eur Radiol 1997;7:246-248. A spleen larger than this is flagged as splenomegaly.
SPLENOMEGALY_THRESHOLD_ML = 314.5


def organ_volumes(labels: sitk.Image) -> dict:
    """Liver and spleen volumes (mL), the splenomegaly flag and the liver/spleen volume ratio.

    The spleen is optional (a liver-only mask): then spleen volume, flag and ratio are None.
    `*_truncated`: the organ touches a face of the image, so the field of view cuts it and its
    volume is a lower bound (big spleens often reach below a liver-centred scan).
    Splenomegaly means spleen volume > SPLENOMEGALY_THRESHOLD_ML (314.5 mL, the CT upper limit of
    normal of Prassopoulos et al. 1997); the threshold is returned with the flag.
    """
    volumes = label_volumes_ml(labels)
    liver = volumes.get(LIVER, 0.0)
    spleen = volumes.get(SPLEEN)
    array = sitk.GetArrayViewFromImage(labels)
    return {
        "liver_volume_ml": liver,
        "spleen_volume_ml": spleen,
        "splenomegaly": None if spleen is None else bool(spleen > SPLENOMEGALY_THRESHOLD_ML),
        "splenomegaly_threshold_ml": SPLENOMEGALY_THRESHOLD_ML,
        "liver_spleen_volume_ratio": None if not spleen else liver / spleen,
        "liver_truncated": _touches_edge(array == LIVER),
        "spleen_truncated": None if spleen is None else _touches_edge(array == SPLEEN),
    }


def _touches_edge(organ: np.ndarray) -> bool:
    """Whether any voxel of the organ lies on one of the six faces of the volume."""
    return bool(organ[0].any() or organ[-1].any() or organ[:, 0].any() or organ[:, -1].any()
                or organ[:, :, 0].any() or organ[:, :, -1].any())
