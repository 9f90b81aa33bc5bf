"""Fills: slippage sign, validation, idempotent storage and the slippage summary."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from quant_engine.core.errors import ValidationFailedError
from quant_engine.tracking import (
    EXECUTION_SCHEMA,
    ExecutionSummary,
    ExecutionTracker,
    Fill,
    FillRecord,
    TrackingDatabase,
)

RECORDED_AT = dt.datetime(2024, 6, 3, 20, 0, tzinfo=dt.UTC)


def _fill(**overrides: Any) -> Fill:
    values: dict[str, Any] = {
        "fill_id": "set-1:AAPL:buy",
        "source": "paper",
        "ticker": "AAPL",
        "side": "buy",
        "quantity": 10.0,
        "trade_date": dt.date(2024, 6, 3),
        "expected_price": 100.0,
        "fill_price": 100.5,
    }
    values.update(overrides)
    return Fill(**values)


@pytest.fixture
def tracker(tmp_path: Path) -> ExecutionTracker:
    return ExecutionTracker(TrackingDatabase(tmp_path / "tracking.db", EXECUTION_SCHEMA))


def test_slippage_is_positive_when_the_fill_is_worse_on_either_side() -> None:
    assert _fill(side="buy", fill_price=100.5).slippage_bps == pytest.approx(50.0)
    assert _fill(side="buy", fill_price=99.0).slippage_bps == pytest.approx(-100.0)
    assert _fill(side="sell", fill_price=99.0).slippage_bps == pytest.approx(100.0)
    assert _fill(side="sell", fill_price=100.25).slippage_bps == pytest.approx(-25.0)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("side", "short"),
        ("quantity", 0.0),
        ("quantity", -5.0),
        ("quantity", math.nan),
        ("expected_price", 0.0),
        ("fill_price", math.inf),
        ("fill_price", True),
        ("ticker", ""),
        ("fill_id", ""),
        ("trade_date", dt.datetime(2024, 6, 3, 12, 0)),
    ],
)
def test_an_invalid_fill_is_refused_naming_the_field(field: str, value: object) -> None:
    with pytest.raises(ValidationFailedError) as raised:
        _fill(**{field: value})
    assert raised.value.code == "VALIDATION_ERROR"
    assert [detail.loc for detail in raised.value.details] == [(field,)]


def test_record_is_idempotent_and_the_first_version_wins(tracker: ExecutionTracker) -> None:
    assert tracker.record(_fill(), recorded_at=RECORDED_AT)
    assert not tracker.record(_fill(fill_price=120.0), recorded_at=RECORDED_AT)
    (stored,) = tracker.fills()
    assert stored == FillRecord(**dataclasses.asdict(_fill()), recorded_at=RECORDED_AT)
    assert stored.slippage_bps == pytest.approx(50.0)


def test_record_many_counts_new_fills_and_reads_back_sorted(tracker: ExecutionTracker) -> None:
    tracker.record(_fill(fill_id="x"), recorded_at=RECORDED_AT)
    batch = [
        _fill(fill_id="c", trade_date=dt.date(2024, 6, 4)),
        _fill(fill_id="x"),  # already stored
        _fill(fill_id="b", trade_date=dt.date(2024, 6, 4), source="broker"),
        _fill(fill_id="a", trade_date=dt.date(2024, 6, 5)),
        _fill(fill_id="c", fill_price=1.0),  # repeated within the batch
    ]
    assert tracker.record_many(batch, recorded_at=RECORDED_AT) == 3
    assert [fill.fill_id for fill in tracker.fills()] == ["x", "b", "c", "a"]
    assert [fill.fill_id for fill in tracker.fills("paper")] == ["x", "c", "a"]
    assert [fill.fill_id for fill in tracker.fills("broker")] == ["b"]
    assert tracker.fills("nobody") == ()


def test_summary_matches_numpy(tracker: ExecutionTracker) -> None:
    rng = np.random.default_rng(3)
    prices = 100.0 * (1.0 + rng.normal(scale=0.003, size=25))
    fills = [
        _fill(fill_id=f"f{index}", side="buy" if index % 3 else "sell", fill_price=float(price))
        for index, price in enumerate(prices)
    ]
    tracker.record_many(fills, recorded_at=RECORDED_AT)
    tracker.record(
        _fill(fill_id="other", source="broker", fill_price=150.0), recorded_at=RECORDED_AT
    )
    slippage = np.array(
        [(p / 100.0 - 1.0) * 1e4 * (1 if i % 3 else -1) for i, p in enumerate(prices)]
    )
    summary = tracker.summary("paper")
    assert summary.fills == 25
    assert summary.mean_slippage_bps == pytest.approx(float(np.mean(slippage)), rel=1e-9)
    assert summary.median_slippage_bps == pytest.approx(float(np.median(slippage)), rel=1e-9)
    assert summary.worst_slippage_bps == pytest.approx(float(np.max(slippage)), rel=1e-9)
    assert tracker.summary().fills == 26
    assert tracker.summary().worst_slippage_bps == pytest.approx(5000.0)


def test_summary_of_no_fills_is_empty(tracker: ExecutionTracker) -> None:
    assert tracker.summary() == ExecutionSummary(0, None, None, None)
    assert not tracker.db.path.exists()  # reading never creates the file
