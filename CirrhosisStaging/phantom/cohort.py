"""Who is in a phantom release: ids, stages, seeds, splits, which series each patient has, demographics.

Mirrors the real CirrMRI600+ release: integer patient ids, stages 1-3 in roughly equal numbers,
most patients with both T1 and T2 (291 of 339 in the real data) and a few with only one,
splits by patient (a patient is in the same split for T1 and T2), healthy subjects with ids of
their own and no evaluation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PAIRED_FRACTION = 291 / 339
SPLITS = ("train", "valid", "test")
FIRST_PATIENT_ID = 1001
FIRST_HEALTHY_ID = 9001


@dataclass(frozen=True)
class PatientPlan:
    patient_id: str
    healthy: bool
    stage: int           # 0 for healthy subjects, else the radiological evaluation 1-3
    seed: int            # the patient's own seed: anatomy and both series derive from it
    split: str | None    # None for healthy subjects (the real release does not split them)
    has_t1: bool
    has_t2: bool
    age: int
    gender: str          # "M" or "F"


def patient_seed(release_seed: int, index: int, healthy: bool) -> int:
    """Independent, reproducible seed for the index-th patient of a release."""
    return int(np.random.SeedSequence([int(release_seed), int(index), int(healthy)]).generate_state(1)[0])


def plan_cohort(cases: int, seed: int, healthy: int = 2, paired_fraction: float = PAIRED_FRACTION,
                split_fractions: tuple[float, float, float] = (0.7, 0.15, 0.15)) -> list[PatientPlan]:
    if cases < 0 or healthy < 0:
        raise ValueError("cases and healthy must not be negative")
    rng = np.random.default_rng([int(seed), 7])
    stages = [1 + i % 3 for i in range(cases)]
    rng.shuffle(stages)
    splits = _assign_splits(stages, split_fractions)
    unpaired = set(rng.choice(cases, size=int(round(cases * (1.0 - paired_fraction))), replace=False).tolist()) \
        if cases else set()
    plans = []
    for i, stage in enumerate(stages):
        only_t1 = i in unpaired and rng.random() < 0.5
        only_t2 = i in unpaired and not only_t1
        plans.append(PatientPlan(
            patient_id=str(FIRST_PATIENT_ID + i), healthy=False, stage=stage, seed=patient_seed(seed, i, False),
            split=splits[i], has_t1=not only_t2, has_t2=not only_t1,
            age=int(np.clip(rng.normal(57.0, 11.0), 22, 88)), gender="M" if rng.random() < 0.66 else "F"))
    for i in range(healthy):
        plans.append(PatientPlan(
            patient_id=str(FIRST_HEALTHY_ID + i), healthy=True, stage=0, seed=patient_seed(seed, i, True),
            split=None, has_t1=True, has_t2=True,
            age=int(np.clip(rng.normal(45.0, 14.0), 18, 85)), gender="M" if rng.random() < 0.5 else "F"))
    return plans


def _assign_splits(stages: list[int], fractions) -> list[str]:
    """Stratified by stage: walk the patients stage by stage in turn, filling test, valid, then train."""
    n = len(stages)
    if n == 0:
        return []
    fractions = np.asarray(fractions, dtype=float) / np.sum(fractions)
    n_test = int(round(n * fractions[2]))
    n_valid = int(round(n * fractions[1]))
    if n >= 3:  # every split gets somebody once there are enough patients
        n_test, n_valid = max(n_test, 1), max(n_valid, 1)
    by_stage = {s: [i for i, st in enumerate(stages) if st == s] for s in sorted(set(stages))}
    order = []
    for rank in range(max(len(v) for v in by_stage.values())):
        order += [members[rank] for members in by_stage.values() if rank < len(members)]
    splits = [""] * n
    for position, index in enumerate(order):
        splits[index] = "test" if position < n_test else "valid" if position < n_test + n_valid else "train"
    return splits
