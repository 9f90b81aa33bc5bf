"""universe_mask: point-in-time membership, survivorship bias on request, liquidity cut."""

from __future__ import annotations

import dataclasses

import numpy as np

from quant_engine.features import Panel, universe_mask
from tests.features.conftest import make_panel, with_missing


def _delisting_panel() -> Panel:
    """6 tickers over 200 rows; T01 delists after row 119, T02 lists at row 50."""
    panel = with_missing(make_panel(200, 6), slice(120, 200), 1)
    return with_missing(panel, slice(0, 50), 2)


def test_point_in_time_universe_keeps_a_ticker_while_it_trades() -> None:
    panel = _delisting_panel()
    mask = universe_mask(panel, survivorship=True, full_universe=True)
    assert mask[:120, 1].all()
    assert not mask[120:, 1].any()
    assert not mask[:50, 2].any()
    assert mask[50:, 2].all()
    assert np.array_equal(mask, np.isfinite(panel.close))


def test_survivorship_biased_universe_drops_tickers_missing_on_the_last_date() -> None:
    panel = _delisting_panel()
    mask = universe_mask(panel, survivorship=False, full_universe=True)
    assert not mask[:, 1].any()  # delisted: gone on every date
    assert not mask[:50, 2].any()  # still nothing before it lists
    assert mask[50:, 2].all()
    assert mask[:, [0, 3, 4, 5]].all()


def _reference_top(panel: Panel, top_n: int, days: int) -> np.ndarray:
    """Per date and ticker, an explicit loop: median of the last `days` dollar volumes
    (at least half of them present), then the top_n by (-median, column)."""
    dollar = panel.close * panel.volume
    rows, columns = dollar.shape
    mask = np.zeros((rows, columns), dtype=bool)
    for t in range(rows):
        scores = []
        for column in range(columns):
            window = dollar[max(0, t - days + 1) : t + 1, column]
            window = window[np.isfinite(window)]
            if np.isfinite(dollar[t, column]) and len(window) >= int(np.ceil(days / 2)):
                scores.append((-float(np.median(window)), column))
        for _, column in sorted(scores)[:top_n]:
            mask[t, column] = True
    return mask


def test_liquidity_cut_keeps_the_top_n_by_trailing_median_dollar_volume() -> None:
    panel = _delisting_panel()
    mask = universe_mask(panel, survivorship=True, full_universe=False, top_n=3, liquidity_days=21)
    assert np.array_equal(mask, _reference_top(panel, 3, 21))
    assert (mask.sum(axis=1)[11:] == 3).all()
    assert not mask[:10].any()  # fewer than half of the 21-day window yet


def test_liquidity_cut_uses_only_past_rows() -> None:
    panel = make_panel(150, 5)
    volume = np.array(panel.volume)
    volume[100:, 4] *= 1000.0  # T04 becomes by far the most liquid from row 100 on
    spiked = dataclasses.replace(panel, volume=volume)
    base = universe_mask(panel, survivorship=True, full_universe=False, top_n=1)
    mask = universe_mask(spiked, survivorship=True, full_universe=False, top_n=1)
    assert np.array_equal(mask[:100], base[:100])  # the future spike changes nothing before
    assert not mask[99, 4]
    assert mask[131, 4]  # the median flips once most of the 63-day window is spiked
    cut = universe_mask(
        spiked.cut(spiked.dates[110].astype(object)),
        survivorship=True,
        full_universe=False,
        top_n=1,
    )
    assert np.array_equal(cut, mask[:111])


def test_liquidity_ties_go_to_the_earlier_ticker() -> None:
    panel = make_panel(80, 4)
    same = np.ones_like(panel.close)
    tied = dataclasses.replace(panel, close=same * 10.0, volume=same * 1000.0)
    mask = universe_mask(tied, survivorship=True, full_universe=False, top_n=2, liquidity_days=10)
    assert mask[20:, :2].all()
    assert not mask[:, 2:].any()


def test_survivorship_filter_applies_before_the_liquidity_rank() -> None:
    panel = _delisting_panel()
    volume = np.array(panel.volume)
    volume[:, 1] *= 1000.0  # the delisting ticker is the most liquid
    liquid = dataclasses.replace(panel, volume=volume)
    biased = universe_mask(liquid, survivorship=False, full_universe=False, top_n=2)
    assert not biased[:, 1].any()
    assert (biased.sum(axis=1)[70:] == 2).all()
