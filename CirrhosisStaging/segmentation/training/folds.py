"""Cross-validation folds over CHAOS subjects: every subject scored by a network that never trained on it."""

from __future__ import annotations

from ...data import kfold_patients
from ...errors import InputError


def held_out_fold(groups, folds: int | None, fold: int | None, seed: int, source=None) -> list[str]:
    """The subject groups fold `fold` of `folds` holds out (kfold_patients: sizes differ by at most one)."""
    unique = sorted(set(groups))
    if folds is None or fold is None:
        raise InputError(source, "cross-validation needs both --folds K and --fold I")
    if not 2 <= folds <= len(unique):
        raise InputError(source, f"--folds {folds}: must be between 2 and the number of subjects ({len(unique)})")
    if not 0 <= fold < folds:
        raise InputError(source, f"--fold {fold}: must be between 0 and {folds - 1}")
    return kfold_patients(unique, folds, seed)[fold]


FINAL = "final"   # the recipe's final network: trained on every subject, scored by its folds' cross-validation


def fold_split(items, folds: int, fold, seed: int, source=None) -> tuple[list, list]:
    """(training, held-out) items of fold `fold` over the CHAOS subjects (every other source always trains), or of
    the recipe's final network (fold FINAL: every item trains, none is held out)."""
    if fold == FINAL:
        return list(items), []
    held_out = set(held_out_fold([item.group for item in items if item.source == "chaos"], folds, int(fold), seed,
                                 source))
    return [item for item in items if item.group not in held_out], [item for item in items if item.group in held_out]
