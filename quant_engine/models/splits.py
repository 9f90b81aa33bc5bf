"""Purged walk-forward cross-validation over a window's trading days.

The window's dates ``0 .. n-1`` are cut in time into ``folds + 1`` blocks of equal length
(±1 day): the first block only ever trains; block ``k`` (``k = 1 .. folds``) is the test
block of fold ``k``. Fold ``k`` trains on dates before its test block, minus every date
whose label could see the test block:

* the label of date ``i`` for horizon ``h`` spans dates ``i+1 .. i+1+h`` (entry at the next
  open, exit ``h`` trading days later — DESIGN §6);
* a training date is kept only when that span ends strictly before the embargo zone, the
  ``embargo_days`` dates immediately before the test block start ``s``:
  ``i + 1 + h < s - embargo_days``.

So between the last trading day any training label touches and the first test date there
are at least ``embargo_days`` trading days that neither side uses.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from quant_engine.core.errors import ErrorDetail, ValidationFailedError

IndexArray = npt.NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class Fold:
    """One walk-forward fold: indices into the window's date axis (trading days)."""

    index: int
    """1-based fold number, in time order."""
    train_dates: IndexArray
    """Sorted date indices the fold may fit on (purged and embargoed)."""
    test_dates: IndexArray
    """Sorted, consecutive date indices of the fold's test block."""


def _invalid(message: str) -> ValidationFailedError:
    return ValidationFailedError(message, [ErrorDetail(loc=("folds",), msg=message)])


def block_bounds(n_dates: int, folds: int) -> IndexArray:
    """Start indices of the ``folds + 1`` time blocks, plus ``n_dates`` as the last bound.

    Block ``b`` is ``bounds[b] .. bounds[b+1] - 1``; lengths differ by at most one day.
    """
    blocks = folds + 1
    return (np.arange(blocks + 1, dtype=np.int64) * n_dates) // blocks


def purged_walk_forward(
    n_dates: int, *, folds: int, horizon: int, embargo_days: int
) -> tuple[Fold, ...]:
    """Split ``n_dates`` trading days into ``folds`` purged walk-forward folds.

    ``horizon`` (label length) and ``embargo_days`` are in trading days. Raises
    ``ValidationFailedError`` (field ``folds``) when the window is too short for the
    requested folds: a test block would be empty, or the first fold would have no
    training date left after the purge and embargo.
    """
    if folds < 1 or horizon < 1 or embargo_days < 0:
        raise _invalid(
            f"folds must be ≥ 1, horizon ≥ 1 and embargo ≥ 0 (got folds={folds}, "
            f"horizon={horizon}, embargo_days={embargo_days})"
        )
    if n_dates < folds + 1:
        raise _invalid(
            f"a window of {n_dates} trading days is too short for {folds} folds "
            f"(needs at least {folds + 1})"
        )
    bounds = block_bounds(n_dates, folds)
    result: list[Fold] = []
    for k in range(1, folds + 1):
        test_start, test_stop = int(bounds[k]), int(bounds[k + 1])
        # Keep i iff i + 1 + horizon < test_start - embargo_days.
        train_stop = max(test_start - embargo_days - horizon - 1, 0)
        if train_stop == 0:
            raise _invalid(
                f"fold {k} of {folds} has no training dates: its test block starts at trading "
                f"day {test_start} of {n_dates}, and a {horizon}-day label plus a "
                f"{embargo_days}-day embargo need more history; use fewer folds or a "
                "longer window"
            )
        result.append(
            Fold(
                index=k,
                train_dates=np.arange(train_stop, dtype=np.int64),
                test_dates=np.arange(test_start, test_stop, dtype=np.int64),
            )
        )
    return tuple(result)
