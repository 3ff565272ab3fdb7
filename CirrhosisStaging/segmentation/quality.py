"""Mask quality flags: when a predicted liver needs a radiologist's look before anything is computed from it.

{"status": "ok" | "check", "reasons": [...]} from what the prediction itself shows, no ground truth:
- the liver lies mostly on the patient's left (a wrong orientation header, a mirrored image, situs inversus);
- its volume is implausible for a whole liver, and the field of view does not explain it;
- the network(s) are unsure: ensemble members disagree, or many voxels sit near 50 % liver probability (each
  network's own, averaged over the networks);
- the network's liver came in several large pieces (only the largest is kept, so a piece may be lost or wrong);
- a volume given as T2W whose spleen is darker than its liver (T2W: the spleen is the brighter; T1W: the darker), so
  probably a T1W scan segmented by the T2W model;
- the network found a whole liver but hardly any spleen or kidneys (a scan flipped front to back);
- no liver at all.
Thresholds were set on the cross-validated predictions of real scans (README: false alarms and catches).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import SimpleITK as sitk

from .labels import LEFT_KIDNEY, LIVER, RIGHT_KIDNEY, SPLEEN
from .postprocess import air_level

MIN_WHOLE_LIVER_ML = 500.0     # cirrhotic livers shrink, rarely below ~600 mL
MAX_LIVER_ML = 4500.0          # hepatomegaly rarely exceeds ~4 L
LEFT_SHARE = 0.5               # share of the liver's volume left of the body's midline
MIN_MEMBER_DICE = 0.85         # lowest Dice of an ensemble member's liver against the ensemble's
MAX_UNCERTAIN_SHARE = 0.30     # voxels at 25-75 % liver probability, per voxel of predicted liver (per network)
SECOND_PIECE_ML = 30.0         # a second liver piece this large, and
SECOND_PIECE_SHARE = 0.15      # this share of the largest, is reported
# On T2W the spleen is brighter than the liver (14 CHAOS T2-SPIR scans, their own labels: 1.6-2.5 x the liver's signal
# above air; 5-8 x with the liver darkened to x0.3), on T1W darker (the suite's T1-like scans: 0.40-0.72 x). Not
# checked the other way round: on opposed-phase T1W a fatty liver can fall below the spleen.
MIN_T2_SPLEEN_TO_LIVER = 1.0
MIN_SPLEEN_ML = 30.0           # a smaller "spleen" says too little about the contrast
# A spleen holds about 150-250 mL and each kidney 120-200 mL: together under 150 mL beside a whole liver, the network
# did not find them (the 14 CHAOS scans' predictions: 478 mL at the least, 279 mL with the scan cut below the liver;
# the same scans flipped front to back: 17-271 mL). Model masks only: a user's corrected mask may hold the liver alone.
NEIGHBOUR_ORGANS = (SPLEEN, RIGHT_KIDNEY, LEFT_KIDNEY)
MIN_NEIGHBOUR_ORGANS_ML = 150.0


@dataclass
class MaskEvidence:
    """What inference saw before the clean-up: the raw liver's pieces and how sure the networks were."""

    piece_volumes_ml: list = field(default_factory=list)   # raw liver components, largest first
    member_dice: list = field(default_factory=list)        # each network's liver against the ensemble's
    uncertain_share: float = 0.0                           # networks' mean of their own near-50 % share


def assess_liver_mask(labels: np.ndarray, image: sitk.Image, evidence: MaskEvidence | None = None,
                      sequence: str | None = None) -> dict:
    """Quality of a label map (z, y, x) on `image`'s grid; `sequence`: what the volume was given as ("t1", "t2";
    None: unknown, its contrast not checked)."""
    from_network = evidence is not None
    evidence = evidence or MaskEvidence()
    liver = labels == LIVER
    voxel_ml = float(np.prod(image.GetSpacing())) / 1000.0
    volume_ml = float(liver.sum()) * voxel_ml
    reasons = []
    if volume_ml == 0:
        return {"status": "check", "reasons": ["no liver was found"], "liver_volume_ml": 0.0}
    left = left_share(liver, image)
    if left > LEFT_SHARE:
        reasons.append(f"the liver lies mostly on the patient's left ({100 * left:.0f} % of it): a wrong orientation "
                       f"header, a left-right mirrored image or situs inversus")
    cut = _touches_field_edge(liver, voxel_ml)
    if volume_ml < MIN_WHOLE_LIVER_ML and not cut:
        reasons.append(f"liver volume {volume_ml:.0f} mL is implausibly small for a whole liver, and the field of "
                       f"view does not cut it")
    if volume_ml > MAX_LIVER_ML:
        reasons.append(f"liver volume {volume_ml:.0f} mL is implausibly large")
    if evidence.member_dice and min(evidence.member_dice) < MIN_MEMBER_DICE:
        reasons.append(f"low confidence: the ensemble's networks disagree (liver Dice between a network and the "
                       f"ensemble as low as {min(evidence.member_dice):.2f})")
    if evidence.uncertain_share > MAX_UNCERTAIN_SHARE:
        reasons.append(f"low confidence: {100 * evidence.uncertain_share:.0f} % as many voxels near 50 % liver "
                       f"probability as voxels called liver (in each network's own output)")
    contrast = spleen_to_liver_signal(labels, image) if sequence == "t2" else None
    if contrast is not None and contrast < MIN_T2_SPLEEN_TO_LIVER:
        reasons.append(f"the spleen is darker than the liver ({contrast:.2f} x its signal) on a volume given as T2W, "
                       f"where the spleen is the brighter: the scan may be T1-weighted (segment it as T1W) or the "
                       f"spleen iron-laden")
    neighbours_ml = float(np.isin(labels, NEIGHBOUR_ORGANS).sum()) * voxel_ml
    if from_network and not cut and neighbours_ml < MIN_NEIGHBOUR_ORGANS_ML:
        reasons.append(f"the spleen and kidneys were barely found ({neighbours_ml:.0f} mL together beside a whole "
                       f"liver): a front-back flipped header, or a scan the network cannot read")
    pieces = evidence.piece_volumes_ml
    if len(pieces) > 1 and pieces[1] >= SECOND_PIECE_ML and pieces[1] >= SECOND_PIECE_SHARE * pieces[0]:
        reasons.append(f"the liver came in several large pieces ({', '.join(f'{v:.0f}' for v in pieces[:3])} mL); "
                       f"only the largest was kept")
    return {"status": "check" if reasons else "ok", "reasons": reasons, "liver_volume_ml": round(volume_ml, 1),
            "left_share": round(left, 3), "field_of_view_cuts_liver": cut,
            "spleen_kidneys_ml": round(neighbours_ml, 1),
            **({"spleen_to_liver_signal": round(contrast, 3)} if contrast is not None else {})}


def spleen_to_liver_signal(labels: np.ndarray, image: sitk.Image) -> float | None:
    """The spleen's median signal over the liver's, both above the scan's air (1st percentile): unchanged by any
    intensity scale or offset. None without a spleen of MIN_SPLEEN_ML."""
    spleen = labels == SPLEEN
    if float(spleen.sum()) * float(np.prod(image.GetSpacing())) / 1000.0 < MIN_SPLEEN_ML:
        return None
    array = sitk.GetArrayViewFromImage(image)
    air = air_level(array)
    liver_signal = float(np.median(array[labels == LIVER])) - air
    return (float(np.median(array[spleen])) - air) / liver_signal if liver_signal > 0 else None


def left_share(mask: np.ndarray, image: sitk.Image) -> float:
    """Share of the mask's voxels on the patient's left of the body's midline (LPS x above the body's centre)."""
    x_lps = lps_coordinate(image, 0)
    array = sitk.GetArrayViewFromImage(image)
    body = array > _foreground_threshold(array)
    midline = float(np.mean(x_lps[body])) if body.any() else float(np.mean(x_lps))
    return float(np.mean(x_lps[mask] > midline))


def lps_coordinate(image: sitk.Image, axis: int) -> np.ndarray:
    """(z, y, x) array of each voxel centre's LPS coordinate along `axis` (0: x, patient's left positive; 1: y,
    posterior; 2: z, superior), from the full header."""
    size = image.GetSize()
    direction = np.array(image.GetDirection()).reshape(3, 3)
    step = direction[axis] * np.array(image.GetSpacing())   # change per index step along i, j, k
    i = np.arange(size[0])[None, None, :] * step[0]
    j = np.arange(size[1])[None, :, None] * step[1]
    k = np.arange(size[2])[:, None, None] * step[2]
    return (image.GetOrigin()[axis] + i + j + k).astype(np.float32)


def _foreground_threshold(array: np.ndarray) -> float:
    """Halfway between the dark background and the body's median: crude, but only the midline is taken from it."""
    low, high = np.percentile(array, [5.0, 95.0])
    return float(low + 0.2 * (high - low))


def _touches_field_edge(liver: np.ndarray, voxel_ml: float) -> bool:
    """The liver reaches a face of the volume (first or last slice, or an in-plane edge) with more than a sliver
    (1 mL): the scan cut it."""
    faces = [np.take(liver, index, axis=axis) for axis in range(liver.ndim) for index in (0, -1)]
    return any(face.sum() * voxel_ml > 1.0 for face in faces)
