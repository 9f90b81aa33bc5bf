"""Purged walk-forward splits, asserted from the indices themselves."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from quant_engine.core.errors import ValidationFailedError
from quant_engine.models.splits import purged_walk_forward

COMBINATIONS = [
    (n_dates, folds, horizon, embargo)
    for n_dates, folds, horizon, embargo in itertools.product(
        (60, 97, 252, 1000, 3779), (2, 3, 5, 7, 10), (1, 5, 21, 63), (0, 1, 5, 63)
    )
    # Keep only windows long enough that the first fold still has training dates.
    if n_dates // (folds + 1) - embargo - horizon - 1 > 0
]


def test_the_combination_grid_is_not_empty() -> None:
    assert len(COMBINATIONS) > 100


@pytest.mark.parametrize(("n_dates", "folds", "horizon", "embargo"), COMBINATIONS)
def test_every_fold_is_purged_embargoed_and_walks_forward(
    n_dates: int, folds: int, horizon: int, embargo: int
) -> None:
    splits = purged_walk_forward(n_dates, folds=folds, horizon=horizon, embargo_days=embargo)
    assert [fold.index for fold in splits] == list(range(1, folds + 1))
    test_blocks = [fold.test_dates for fold in splits]
    for fold in splits:
        train, test = fold.train_dates, fold.test_dates
        assert train.size > 0
        assert test.size > 0
        # The last trading day any training label touches is max(train) + 1 + horizon.
        last_label_date = int(train.max()) + 1 + horizon
        assert last_label_date < int(test.min()) - embargo
        assert int(test.min()) - last_label_date > embargo
        assert int(train.max()) < int(test.min())
        assert np.all(np.diff(test) == 1)
        assert np.all(np.diff(train) == 1)
        assert int(train.min()) == 0
        # The purge removes only the dates that must go: one more would leak.
        assert int(train.max()) + 1 + 1 + horizon >= int(test.min()) - embargo
    covered = np.concatenate(test_blocks)
    assert np.array_equal(covered, np.arange(int(test_blocks[0][0]), n_dates))
    assert len(np.unique(covered)) == covered.size
    sizes = [block.size for block in test_blocks]
    initial = int(test_blocks[0][0])
    assert max([*sizes, initial]) - min([*sizes, initial]) <= 1


def test_the_first_block_is_training_only() -> None:
    splits = purged_walk_forward(600, folds=5, horizon=5, embargo_days=5)
    assert int(splits[0].test_dates[0]) == 100
    assert np.array_equal(splits[0].train_dates, np.arange(100 - 5 - 5 - 1))


def test_a_window_too_short_for_the_purge_names_folds() -> None:
    with pytest.raises(ValidationFailedError) as raised:
        purged_walk_forward(60, folds=5, horizon=5, embargo_days=5)
    assert raised.value.details[0].loc == ("folds",)
    assert "fold 1 of 5" in raised.value.message


def test_a_window_shorter_than_the_blocks_names_folds() -> None:
    with pytest.raises(ValidationFailedError) as raised:
        purged_walk_forward(4, folds=5, horizon=1, embargo_days=0)
    assert raised.value.details[0].loc == ("folds",)
