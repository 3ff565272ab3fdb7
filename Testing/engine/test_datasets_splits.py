"""Patient-level split helpers: deterministic, disjoint, covering, and balanced when stratified."""

from __future__ import annotations

from collections import Counter

import pytest

from CirrhosisStaging.data import kfold_patients, patient_split

IDS = [str(i) for i in range(1, 51)]


def test_patient_split_is_deterministic_and_ignores_input_order():
    first = patient_split(IDS, seed=7)
    assert patient_split(list(reversed(IDS)) + IDS[:5], seed=7) == first  # order and repeats do not matter
    assert patient_split(IDS, seed=8) != first


def test_patient_split_parts_are_disjoint_cover_all_and_have_the_asked_sizes():
    train, valid, test = patient_split(IDS, (0.8, 0.1, 0.1), seed=0)
    assert (len(train), len(valid), len(test)) == (40, 5, 5)
    assert set(train) | set(valid) | set(test) == set(IDS)
    assert not (set(train) & set(valid) or set(train) & set(test) or set(valid) & set(test))
    assert sum(map(len, patient_split(IDS[:7], (0.5, 0.25, 0.25)))) == 7  # rounding never loses a patient


def test_stratified_split_keeps_each_stage_in_every_part():
    strata = {patient_id: int(patient_id) % 3 for patient_id in IDS}
    train, valid, test = patient_split(IDS, (0.6, 0.2, 0.2), seed=3, strata=strata)
    for part in (valid, test):
        assert set(Counter(strata[i] for i in part)) == {0, 1, 2}
    with pytest.raises(ValueError, match="no label"):
        patient_split(IDS, strata={"1": 1})


def test_split_rejects_fractions_that_do_not_sum_to_one():
    with pytest.raises(ValueError, match="sum to 1"):
        patient_split(IDS, (0.8, 0.3))


def test_kfold_covers_each_id_exactly_once():
    folds = kfold_patients(IDS + IDS[:3], k=4, seed=1)
    assert len(folds) == 4
    assert Counter(i for fold in folds for i in fold) == Counter(IDS)
    assert max(map(len, folds)) - min(map(len, folds)) <= 1
    assert kfold_patients(reversed(IDS), k=4, seed=1) == folds


def test_stratified_kfold_balances_stages():
    strata = {patient_id: "severe" if int(patient_id) <= 10 else "mild" for patient_id in IDS}
    for fold in kfold_patients(IDS, k=5, seed=2, strata=strata):
        assert Counter(strata[i] for i in fold) == {"severe": 2, "mild": 8}


def test_kfold_rejects_impossible_k():
    with pytest.raises(ValueError, match="k must be between 2"):
        kfold_patients(IDS[:3], k=4)
    with pytest.raises(ValueError, match="k must be between 2"):
        kfold_patients(IDS, k=1)
