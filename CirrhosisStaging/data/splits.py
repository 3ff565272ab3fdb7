"""Deterministic patient-level splits for data without a published split (CHAOS) and for cross-validation.

Splitting by patient, never by series or slice, keeps one patient's T1 and T2 (or neighbouring slices) from
landing on both sides. The result depends only on the set of ids and the seed, not on the input order.
With `strata` (id -> label, e.g. stage) every part gets each label in about the overall proportion.
"""

from __future__ import annotations

import math
import random
from collections.abc import Hashable, Iterable, Mapping, Sequence

from .patient_ids import patient_sort_key


def patient_split(ids: Iterable[str], fractions: Sequence[float] = (0.8, 0.1, 0.1), seed: int = 0,
                  strata: Mapping[str, Hashable] | None = None) -> tuple[list[str], ...]:
    """Split unique ids into len(fractions) disjoint parts (e.g. train, valid, test), each in natural id order."""
    fractions = tuple(float(f) for f in fractions)
    if not fractions or any(f < 0 or math.isnan(f) for f in fractions) or abs(sum(fractions) - 1) > 1e-6:
        raise ValueError(f"fractions must be non-negative and sum to 1, not {fractions}")
    order = _interleaved(_shuffled_groups(ids, seed, strata))
    parts, start = [], 0
    for size in _part_sizes(len(order), fractions):
        parts.append(_sorted(order[start:start + size]))
        start += size
    return tuple(parts)


def kfold_patients(ids: Iterable[str], k: int = 5, seed: int = 0,
                   strata: Mapping[str, Hashable] | None = None) -> list[list[str]]:
    """k disjoint held-out folds covering every id exactly once; fold sizes differ by at most one."""
    # Groups one after another, dealt in turn: each stratum and each fold size differ by at most one between folds.
    order = [patient_id for group in _shuffled_groups(ids, seed, strata) for patient_id in group]
    if not 2 <= k <= len(order):
        raise ValueError(f"k must be between 2 and the number of patients ({len(order)}), not {k}")
    folds: list[list[str]] = [[] for _ in range(k)]
    for position, patient_id in enumerate(order):
        folds[position % k].append(patient_id)
    return [_sorted(fold) for fold in folds]


def _shuffled_groups(ids: Iterable[str], seed: int, strata: Mapping[str, Hashable] | None) -> list[list[str]]:
    """Unique ids grouped by stratum (one group without strata), each group shuffled."""
    unique = _sorted(set(ids))
    rng = random.Random(seed)
    if strata is None:
        groups = [unique]
    else:
        missing = [patient_id for patient_id in unique if patient_id not in strata]
        if missing:
            raise ValueError(f"strata has no label for {len(missing)} id(s), e.g. {missing[0]!r}")
        by_label: dict[Hashable, list[str]] = {}
        for patient_id in unique:
            by_label.setdefault(strata[patient_id], []).append(patient_id)
        groups = [by_label[label] for label in sorted(by_label, key=repr)]  # repr: labels of any type, fixed order
    for group in groups:
        rng.shuffle(group)
    return groups


def _interleaved(groups: list[list[str]]) -> list[str]:
    """Spread every group evenly along one order (member i of n at (i + 0.5) / n), so any stretch is balanced."""
    keyed = [((i + 0.5) / len(group), g, patient_id)
             for g, group in enumerate(groups) for i, patient_id in enumerate(group)]
    return [patient_id for *_, patient_id in sorted(keyed)]


def _part_sizes(total: int, fractions: tuple[float, ...]) -> list[int]:
    """Largest-remainder rounding: sizes sum to `total` and each is within one of total * fraction."""
    exact = [total * f for f in fractions]
    sizes = [math.floor(x) for x in exact]
    by_remainder = sorted(range(len(fractions)), key=lambda i: (-(exact[i] - sizes[i]), i))
    for i in by_remainder[: total - sum(sizes)]:
        sizes[i] += 1
    return sizes


def _sorted(ids: Iterable[str]) -> list[str]:
    return sorted(ids, key=lambda patient_id: (patient_sort_key(patient_id), str(patient_id)))
