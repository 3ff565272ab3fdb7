"""What each cirrhosis stage does to the anatomy, as numbers drawn per patient.

Stage 0 is a healthy liver; 1, 2, 3 are the mild / moderate / severe radiological evaluation of
the CirrMRI600+ metadata. Every effect is drawn inside a stage-specific range; neighbouring
ranges overlap (as real stages do) but their means rise with stage.

Each effect is drawn as a quantile u in [0, 1) that depends on the patient seed only, then mapped
into the stage's range. So one seed at a higher stage is the same person with more disease, and
every effect grows monotonically with stage for a fixed seed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

STAGES = (0, 1, 2, 3)

# (low, high) per stage 0..3
_RANGES = {
    # peak outward bulge of surface nodules, mm
    "nodularity_mm": ((0.0, 0.0), (0.8, 1.8), (1.8, 3.2), (3.0, 5.0)),
    # mean spacing of regenerative nodules (micronodular early, macronodular late), mm
    "nodule_size_mm": ((6.0, 6.0), (4.0, 6.0), (5.5, 9.0), (8.0, 13.0)),
    # linear scale of the right lobe: atrophy
    "right_lobe_scale": ((0.97, 1.05), (0.90, 1.00), (0.81, 0.92), (0.70, 0.84)),
    # linear scale of the caudate lobe: hypertrophy
    "caudate_scale": ((0.93, 1.05), (1.00, 1.15), (1.12, 1.35), (1.28, 1.55)),
    # linear scale of the left lateral segment: hypertrophy
    "left_lobe_scale": ((0.95, 1.05), (0.98, 1.10), (1.02, 1.15), (1.05, 1.20)),
    # contrast of fibrotic septa, as a fraction of the liver signal
    "septa_strength": ((0.0, 0.0), (0.04, 0.08), (0.07, 0.13), (0.11, 0.20)),
    # spread of signal between regenerative nodules, fraction of the liver signal
    "nodule_contrast": ((0.0, 0.0), (0.02, 0.04), (0.03, 0.07), (0.05, 0.10)),
    # target spleen volume, ml
    "spleen_volume_ml": ((140.0, 260.0), (200.0, 380.0), (320.0, 650.0), (520.0, 1100.0)),
    # thickness of the peritoneal fluid layer when ascites is present, mm
    "ascites_mm": ((0.0, 0.0), (2.0, 5.0), (4.0, 13.0), (9.0, 28.0)),
    # drop of the liver T2 signal from iron deposition (siderotic nodules)
    "t2_iron_darkening": ((0.0, 0.0), (0.0, 0.08), (0.0, 0.18), (0.05, 0.35)),
}
# probability that a patient of the stage has ascites at all
_ASCITES_PROBABILITY = (0.0, 0.15, 0.5, 0.85)


@dataclass(frozen=True)
class StageEffects:
    stage: int
    nodularity_mm: float
    nodule_size_mm: float
    right_lobe_scale: float
    caudate_scale: float
    left_lobe_scale: float
    septa_strength: float
    nodule_contrast: float
    spleen_volume_ml: float
    ascites_mm: float
    t2_iron_darkening: float

    def as_dict(self) -> dict:
        return asdict(self)


def sample_stage_effects(stage: int, rng: np.random.Generator) -> StageEffects:
    if stage not in STAGES:
        raise ValueError(f"stage must be one of {STAGES}, got {stage!r}")
    # Draw every quantile first, in a fixed order, so the draws do not depend on the stage.
    quantiles = {name: float(rng.random()) for name in _RANGES}
    ascites_draw = float(rng.random())
    values = {}
    for name, ranges in _RANGES.items():
        low, high = ranges[stage]
        values[name] = low + (high - low) * quantiles[name]
    if ascites_draw >= _ASCITES_PROBABILITY[stage]:
        values["ascites_mm"] = 0.0
    return StageEffects(stage=stage, **values)
