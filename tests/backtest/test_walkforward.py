"""Walk-forward scores: out of sample block by block, no look-ahead, progress and cancel."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd
import pytest

from quant_engine.backtest.walkforward import (
    WalkForwardResult,
    block_starts,
    walk_forward_scores,
)
from quant_engine.core.errors import ValidationFailedError
from quant_engine.features import Panel, compute_features
from quant_engine.models.config import LightGBMParams, TrainConfig
from quant_engine.models.trainer import TrainingCancelled

FloatArray = npt.NDArray[np.float64]
N_DAYS, N_TICKERS = 230, 16
CONFIG = TrainConfig(
    horizons=(5,),
    years=5,
    folds=2,
    embargo_days=3,
    lightgbm=LightGBMParams(num_leaves=4, n_estimators=10, min_data_in_leaf=20),
)


def _panel(scale_after: int | None = None) -> Panel:
    rng = np.random.default_rng(21)
    close = 40.0 * np.exp(np.cumsum(rng.normal(0.0003, 0.02, (N_DAYS, N_TICKERS)), axis=0))
    open_ = close * np.exp(rng.normal(0.0, 0.005, close.shape))
    volume = rng.uniform(1e5, 1e6, close.shape)
    if scale_after is not None:
        open_[scale_after + 1 :] *= 10.0
        close[scale_after + 1 :] *= 10.0
    dates = pd.bdate_range("2018-01-01", periods=N_DAYS).values.astype("datetime64[D]")
    return Panel(
        dates=np.asarray(dates),
        tickers=tuple(f"T{j:02d}" for j in range(N_TICKERS)),
        open=open_,
        high=np.maximum(open_, close) * 1.01,
        low=np.minimum(open_, close) * 0.99,
        close=close,
        adj_close=close,
        volume=volume,
        sectors=(None,) * N_TICKERS,
        benchmark=close.mean(axis=1),
        benchmark_name="EQUAL_WEIGHT",
        universe_fingerprint="test",
    )


def _run(panel: Panel, **options: object) -> WalkForwardResult:
    return walk_forward_scores(
        panel,
        compute_features(panel, "core"),
        CONFIG,
        horizon=5,
        retrain_every=63,
        min_train_days=150,
        **options,  # type: ignore[arg-type]
    )


@pytest.fixture(scope="module")
def base() -> tuple[Panel, WalkForwardResult, list[tuple[float, str]]]:
    """One walk-forward run on the unshocked panel, with its progress messages."""
    panel = _panel()
    messages: list[tuple[float, str]] = []
    result = _run(panel, progress=lambda fraction, message: messages.append((fraction, message)))
    return panel, result, messages


def test_blocks_start_after_min_train_days_every_retrain_every_days() -> None:
    assert block_starts(300, retrain_every=63, min_train_days=150) == [150, 213, 276]
    with pytest.raises(ValidationFailedError):
        block_starts(300, retrain_every=20, min_train_days=150)
    with pytest.raises(ValidationFailedError):
        block_starts(300, retrain_every=63, min_train_days=300)


def test_scores_exist_only_out_of_sample_from_the_first_block_on(
    base: tuple[Panel, WalkForwardResult, list[tuple[float, str]]],
) -> None:
    panel, result, _ = base
    assert np.isnan(result.scores[:150]).all()
    assert np.isfinite(result.scores[150:]).mean() > 0.9
    assert [(block.start, block.stop) for block in result.blocks] == [(150, 213), (213, 230)]
    # Each block trains on data ending embargo_days + 1 trading days before it starts.
    for block in result.blocks:
        assert np.datetime64(block.train_window[1]) == panel.dates[block.start - 4]


def test_prices_after_day_t_do_not_change_scores_up_to_t(
    base: tuple[Panel, WalkForwardResult, list[tuple[float, str]]],
) -> None:
    cut = 213  # the second block's first day: its model must not see prices after it
    scores = base[1].scores
    shocked = _run(_panel(scale_after=cut)).scores
    np.testing.assert_array_equal(scores[: cut + 1], shocked[: cut + 1])
    assert not np.allclose(scores[cut + 1 :], shocked[cut + 1 :], equal_nan=True)


class _CancelAfter:
    def __init__(self, calls: int) -> None:
        self.remaining = calls

    def is_cancelled(self) -> bool:
        self.remaining -= 1
        return self.remaining < 0


def test_progress_is_reported_per_block(
    base: tuple[Panel, WalkForwardResult, list[tuple[float, str]]],
) -> None:
    messages = base[2]
    assert [fraction for fraction, _ in messages] == pytest.approx([0.0, 0.5, 1.0])
    assert messages[0][1] == "block 1 of 2: training"


def test_a_set_cancel_token_stops_before_the_next_block() -> None:
    with pytest.raises(TrainingCancelled):
        _run(_panel(), cancel=_CancelAfter(0))
