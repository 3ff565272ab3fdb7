"""Tissue signal per sequence, with per-case variation.

T1: post-contrast portal-venous 3D GRE with fat suppression - enhancing vessels and kidneys bright,
liver and spleen mid-bright, fat and fluid dark.
T2: single-shot fast spin echo (HASTE) without fat suppression - fluid very bright, spleen brighter
than liver, fat moderately bright, flowing blood dark (flow void).
Values are arbitrary scanner units; the acquisition applies a random overall gain later.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .stage_effects import StageEffects

SEQUENCES = ("t1", "t2")

_MEANS = {
    "t1": {
        "air": 0.0, "lung": 15.0, "fat": 90.0, "visceral_fat": 80.0, "muscle": 260.0, "bone_marrow": 230.0,
        "cortical_bone": 25.0, "disc": 180.0, "csf": 70.0, "fluid": 55.0, "stomach": 140.0, "bowel_wall": 420.0,
        "gas": 5.0, "liver": 560.0, "spleen": 600.0, "kidney_cortex": 860.0, "kidney_medulla": 780.0,
        "portal_vein": 930.0, "hepatic_vein": 860.0, "aorta": 960.0, "ivc": 830.0, "heart": 820.0,
    },
    "t2": {
        "air": 0.0, "lung": 20.0, "fat": 520.0, "visceral_fat": 480.0, "muscle": 130.0, "bone_marrow": 380.0,
        "cortical_bone": 20.0, "disc": 600.0, "csf": 950.0, "fluid": 1000.0, "stomach": 720.0, "bowel_wall": 300.0,
        "gas": 5.0, "liver": 210.0, "spleen": 470.0, "kidney_cortex": 380.0, "kidney_medulla": 470.0,
        "portal_vein": 70.0, "hepatic_vein": 80.0, "aorta": 40.0, "ivc": 80.0, "heart": 90.0,
    },
}
TISSUES = tuple(_MEANS["t1"])


@dataclass
class Contrast:
    sequence: str
    means: dict[str, float]
    liver_grain: float   # fine parenchymal signal variation (fraction of the liver signal)
    septa_sign: float    # fibrotic septa: darker on portal-venous T1, brighter (oedema) on T2
    nodule_sign: float

    def mean(self, tissue: str) -> float:
        return self.means[tissue]


def sample_contrast(sequence: str, rng: np.random.Generator, effects: StageEffects) -> Contrast:
    if sequence not in SEQUENCES:
        raise ValueError(f"sequence must be one of {SEQUENCES}, got {sequence!r}")
    means = {tissue: value * float(rng.uniform(0.88, 1.12)) for tissue, value in _MEANS[sequence].items()}
    means["air"] = 0.0
    # keep the relations a reader relies on, whatever the draws
    if sequence == "t1":
        means["spleen"] = means["liver"] * float(rng.uniform(0.98, 1.18))
        means["portal_vein"] = max(means["portal_vein"], means["liver"] * 1.45)
    else:
        means["spleen"] = means["liver"] * float(rng.uniform(1.8, 2.6))
        means["fluid"] = max(means["fluid"], means["spleen"] * 1.6)
        # siderotic (iron-laden) cirrhotic livers lose T2 signal
        means["liver"] *= 1.0 - effects.t2_iron_darkening
    return Contrast(
        sequence=sequence,
        means=means,
        liver_grain=float(rng.uniform(0.015, 0.035)),
        septa_sign=-1.0 if sequence == "t1" else 1.0,
        nodule_sign=1.0 if sequence == "t1" else -1.0,
    )
