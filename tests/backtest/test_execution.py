"""The execution model: next-open fills, costs, holding, limits, exits and the accounting
identities, checked against hand-computed numbers and an independent reconstruction."""

from __future__ import annotations

import dataclasses

import numpy as np
import numpy.typing as npt
import pandas as pd
import pytest

from quant_engine.backtest.execution import (
    ExecutionRules,
    SimulationResult,
    simulate,
)
from quant_engine.core.errors import ValidationFailedError

FloatArray = npt.NDArray[np.float64]
NAN = np.nan


def _dates(n_days: int) -> npt.NDArray[np.datetime64]:
    return np.asarray(pd.bdate_range("2020-01-01", periods=n_days).values.astype("datetime64[D]"))


def _run(
    open_: FloatArray, close: FloatArray, scores: FloatArray, **rules: object
) -> SimulationResult:
    tickers = [f"T{j}" for j in range(open_.shape[1])]
    return simulate(
        open_,
        close,
        scores,
        ExecutionRules(**rules),
        tickers,
        _dates(open_.shape[0]),  # type: ignore[arg-type]
    )


def _market(
    n_days: int = 120, n_tickers: int = 12, seed: int = 7
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Random walk prices with gaps, a late listing and a delisting; random scores."""
    rng = np.random.default_rng(seed)
    close = 50.0 * np.exp(np.cumsum(rng.normal(0.0, 0.02, (n_days, n_tickers)), axis=0))
    open_ = close * np.exp(rng.normal(0.0, 0.01, (n_days, n_tickers)))
    gaps = rng.random((n_days, n_tickers)) < 0.03
    open_[gaps] = NAN
    close[gaps] = NAN
    open_[:20, 1] = close[:20, 1] = NAN  # listed late
    open_[70:, 2] = close[70:, 2] = NAN  # delisted
    scores = rng.normal(0.01, 0.02, (n_days, n_tickers))
    scores[rng.random((n_days, n_tickers)) < 0.2] = NAN
    return open_, close, scores


def _held_value(result: SimulationResult, close: FloatArray) -> FloatArray:
    """Σ shares × last close per day, rebuilt from the trades table alone."""
    marks = pd.DataFrame(close).ffill().to_numpy()
    index = {ticker: j for j, ticker in enumerate(result.tickers)}
    days = {date: i for i, date in enumerate(result.dates)}
    value = np.zeros(len(result.dates))
    trades = result.trades
    for k in range(len(trades)):
        first, stop = days[trades.entry_date[k]], days[trades.exit_date[k]]
        value[first:stop] += trades.shares[k] * marks[first:stop, index[str(trades.ticker[k])]]
    return value


def test_three_days_two_tickers_match_hand_computed_numbers() -> None:
    # Day 0 signals A and B; both fill at day 1's open; both exit at day 2's open
    # (holding_period=1). Slippage 1 %, commission 0.1 %, 404 per position.
    open_ = np.array([[50.0, 100.0], [50.0, 100.0], [60.0, 80.0]])
    close = np.array([[50.0, 100.0], [55.0, 90.0], [61.0, 81.0]])
    scores = np.array([[0.05, 0.03], [NAN, NAN], [NAN, NAN]])
    result = _run(
        open_,
        close,
        scores,
        holding_period=1,
        max_positions=2,
        position_size=0.404,
        commission_bps=10.0,
        slippage_bps=100.0,
        initial_capital=1000.0,
    )
    # Buys: A 8 shares at 50.5 (=404), B 4 shares at 101 (=404), commission 0.404 each.
    # Cash 1000 - 808.808 = 191.192; gross cash 1000 - 400 - 400 = 200.
    # Day 1 close: 8 × 55 + 4 × 90 = 800 held.
    # Sells at day 2's open: A 8 × 59.4 = 475.2 (commission 0.4752), B 4 × 79.2 = 316.8
    # (commission 0.3168) → cash 982.4; gross cash 200 + 480 + 320 = 1000.
    np.testing.assert_allclose(result.cash, [1000.0, 191.192, 982.4], rtol=0, atol=1e-9)
    np.testing.assert_allclose(result.gross_cash, [1000.0, 200.0, 1000.0], rtol=0, atol=1e-9)
    np.testing.assert_allclose(result.equity, [1000.0, 991.192, 982.4], rtol=0, atol=1e-9)
    np.testing.assert_allclose(result.gross_equity, [1000.0, 1000.0, 1000.0], rtol=0, atol=1e-9)
    np.testing.assert_array_equal(result.positions, [0, 2, 0])
    np.testing.assert_allclose(result.exposure, [0.0, 800.0 / 991.192, 0.0], rtol=1e-12)
    np.testing.assert_allclose(result.traded_notional, [0.0, 808.0, 792.0], rtol=1e-12)

    trades = result.trades.to_frame()
    assert trades["ticker"].tolist() == ["T0", "T1"]
    assert trades["exit_reason"].tolist() == ["holding_period", "holding_period"]
    assert trades["entry_date"].tolist() == [result.dates[1]] * 2
    assert trades["exit_date"].tolist() == [result.dates[2]] * 2
    np.testing.assert_allclose(trades["entry_price"], [50.5, 101.0], rtol=1e-12)
    np.testing.assert_allclose(trades["exit_price"], [59.4, 79.2], rtol=1e-12)
    np.testing.assert_allclose(trades["shares"], [8.0, 4.0], rtol=1e-12)
    # A: gross 8 × (60 − 50) = 80; costs 0.404 + 8 × 0.5 + 0.4752 + 8 × 0.6 = 9.6792.
    # B: gross 4 × (80 − 100) = −80; costs 0.404 + 4 × 1 + 0.3168 + 4 × 0.8 = 7.9208.
    np.testing.assert_allclose(trades["gross_pnl"], [80.0, -80.0], rtol=1e-12)
    np.testing.assert_allclose(trades["costs"], [9.6792, 7.9208], rtol=1e-12)
    np.testing.assert_allclose(trades["net_pnl"], [70.3208, -87.9208], rtol=1e-12)
    np.testing.assert_allclose(trades["return"], [70.3208 / 404, -87.9208 / 404], rtol=1e-12)


def test_net_equity_is_cash_plus_shares_times_close_every_day() -> None:
    open_, close, scores = _market()
    result = _run(open_, close, scores, max_positions=5, position_size=0.25)
    assert len(result.trades) > 20
    np.testing.assert_allclose(
        result.equity, result.cash + _held_value(result, close), rtol=0, atol=1e-6
    )
    np.testing.assert_allclose(
        result.gross_equity, result.gross_cash + _held_value(result, close), rtol=0, atol=1e-6
    )


def test_gross_minus_net_final_equity_is_the_sum_of_costs() -> None:
    open_, close, scores = _market()
    result = _run(open_, close, scores, max_positions=5, position_size=0.25)
    gap = result.gross_equity[-1] - result.equity[-1]
    assert gap > 0
    assert gap == pytest.approx(float(result.trades.costs.sum()), abs=1e-9)
    np.testing.assert_allclose(
        result.trades.net_pnl, result.trades.gross_pnl - result.trades.costs, rtol=0, atol=1e-9
    )


@pytest.mark.parametrize("cut", [15, 45, 90])
def test_prices_after_day_t_do_not_change_decisions_or_equity_up_to_t(cut: int) -> None:
    open_, close, scores = _market()
    rules = {
        "holding_period": 3,
        "max_positions": 4,
        "position_size": 0.3,
        "stop_loss": 0.05,
        "drawdown_brake": 0.1,
    }
    base = _run(open_, close, scores, **rules)
    shocked_open, shocked_close = open_.copy(), close.copy()
    shocked_open[cut + 1 :] *= 10.0
    shocked_close[cut + 1 :] *= 10.0
    shocked = _run(shocked_open, shocked_close, scores, **rules)

    np.testing.assert_array_equal(base.equity[: cut + 1], shocked.equity[: cut + 1])
    np.testing.assert_array_equal(base.cash[: cut + 1], shocked.cash[: cut + 1])
    day = base.dates[cut]

    def decided(result: SimulationResult) -> list[tuple[str, np.datetime64]]:
        trades = result.trades
        keep = trades.signal_date <= day
        return sorted(zip(trades.ticker[keep].tolist(), trades.signal_date[keep], strict=True))

    assert decided(base) == decided(shocked)
    closed_base = base.trades.to_frame().query("exit_date <= @day")
    closed_shocked = shocked.trades.to_frame().query("exit_date <= @day")
    assert len(closed_base) > 0
    pd.testing.assert_frame_equal(
        closed_base.reset_index(drop=True), closed_shocked.reset_index(drop=True)
    )


def test_max_positions_one_never_holds_more_than_one() -> None:
    open_, close, scores = _market()
    result = _run(open_, close, scores, max_positions=1, holding_period=3)
    assert result.positions.max() == 1
    entries = np.sort(result.trades.entry_date)
    exits = result.trades.exit_date[np.argsort(result.trades.entry_date)]
    assert np.all(entries[1:] >= exits[:-1])


def test_higher_costs_give_lower_net_final_equity() -> None:
    open_, close, scores = _market()
    cheap = _run(open_, close, scores, commission_bps=1.0, slippage_bps=5.0)
    dear = _run(open_, close, scores, commission_bps=20.0, slippage_bps=50.0)
    assert dear.equity[-1] < cheap.equity[-1]
    assert dear.trades.costs.sum() > cheap.trades.costs.sum()


@pytest.mark.parametrize("holding_period", [1, 4, 9])
def test_positions_exit_at_the_first_open_holding_period_days_after_entry(
    holding_period: int,
) -> None:
    open_, close, scores = _market()
    result = _run(open_, close, scores, holding_period=holding_period, max_positions=6)
    trades = result.trades.to_frame().query("exit_reason == 'holding_period'")
    assert len(trades) > 5
    days = {date: i for i, date in enumerate(result.dates)}
    tradable = np.isfinite(open_) & np.isfinite(close)
    for row in trades.itertuples():
        entry, exit_ = days[row.entry_date], days[row.exit_date]
        j = result.tickers.index(row.ticker)
        due = entry + holding_period
        # Exactly holding_period trading days, or the next day the ticker has a bar.
        assert exit_ == due + int(np.argmax(tradable[due:, j]))
    full = _run(*_market_without_gaps(), holding_period=holding_period)
    held_days = [
        days[e] - days[s]
        for s, e, why in zip(
            full.trades.entry_date, full.trades.exit_date, full.trades.exit_reason, strict=True
        )
        if why == "holding_period"
    ]
    assert held_days
    assert set(held_days) == {holding_period}


def _market_without_gaps() -> tuple[FloatArray, FloatArray, FloatArray]:
    rng = np.random.default_rng(3)
    close = 20.0 * np.exp(np.cumsum(rng.normal(0.0, 0.01, (80, 6)), axis=0))
    return close * 1.001, close, rng.normal(0.02, 0.02, (80, 6))


def test_entries_never_spend_more_cash_than_is_left() -> None:
    open_, close, scores = _market()
    result = _run(open_, close, scores, max_positions=12, position_size=0.5, holding_period=2)
    assert result.cash.min() >= 0.0
    assert result.gross_cash.min() >= 0.0
    assert result.exposure.max() <= 1.0 + 1e-12
    assert np.isclose(result.cash, 0.0, atol=1e-6).any()  # the cash limit was reached


def test_a_ticker_whose_data_ends_while_held_exits_at_its_last_close() -> None:
    open_ = np.array([[10.0, 10.0], [10.0, 10.0], [11.0, 10.0], [NAN, 10.0], [NAN, 10.0]])
    close = np.array([[10.0, 10.0], [10.5, 10.0], [12.0, 10.0], [NAN, 10.0], [NAN, 10.0]])
    scores = np.array([[0.05, NAN], [NAN, NAN], [NAN, NAN], [NAN, NAN], [NAN, NAN]])
    result = _run(open_, close, scores, holding_period=3, slippage_bps=10.0)
    trades = result.trades
    assert trades.exit_reason.tolist() == ["delisted"]
    assert trades.exit_date[0] == result.dates[2]
    assert trades.exit_price[0] == pytest.approx(12.0 * (1 - 0.001), rel=1e-12)
    assert result.positions.tolist() == [0, 1, 0, 0, 0]


def test_the_last_day_closes_every_position_at_its_close() -> None:
    open_ = np.full((4, 2), 10.0)
    close = np.array([[10.0, 10.0], [10.0, 10.0], [10.0, 10.0], [13.0, 9.0]])
    scores = np.array([[0.05, 0.04], [NAN, NAN], [NAN, NAN], [NAN, NAN]])
    result = _run(open_, close, scores, holding_period=10, slippage_bps=0.0, commission_bps=0.0)
    trades = result.trades
    assert trades.exit_reason.tolist() == ["end_of_backtest"] * 2
    assert trades.exit_date.tolist() == [result.dates[3]] * 2
    np.testing.assert_allclose(trades.exit_price, [13.0, 9.0], rtol=1e-12)
    assert result.positions[-1] == 0
    assert result.equity[-1] == pytest.approx(result.cash[-1], rel=1e-15)


def test_a_close_below_the_stop_exits_at_the_next_open() -> None:
    open_ = np.array([[10.0], [10.0], [9.5], [8.0], [8.5], [9.0]])
    close = np.array([[10.0], [9.6], [9.1], [8.2], [8.8], [9.0]])
    scores = np.array([[0.05], [NAN], [NAN], [NAN], [NAN], [NAN]])
    result = _run(
        open_, close, scores, holding_period=4, stop_loss=0.08, slippage_bps=0.0, commission_bps=0.0
    )
    # Entry at 10 on day 1; 9.1 on day 2 is below 10 × 0.92 = 9.2 → exit at day 3's open.
    trades = result.trades
    assert trades.exit_reason.tolist() == ["stop_loss"]
    assert trades.exit_date[0] == result.dates[3]
    assert trades.exit_price[0] == pytest.approx(8.0, rel=1e-12)
    without = _run(open_, close, scores, holding_period=4, slippage_bps=0.0, commission_bps=0.0)
    assert without.trades.exit_reason.tolist() == ["holding_period"]
    assert without.trades.exit_date[0] == result.dates[5]


def test_an_order_for_a_ticker_without_a_bar_fills_at_its_next_open() -> None:
    open_ = np.array([[10.0], [NAN], [11.0], [11.0], [11.0]])
    close = np.array([[10.0], [NAN], [11.0], [11.0], [11.0]])
    scores = np.array([[0.05], [NAN], [NAN], [NAN], [NAN]])
    result = _run(open_, close, scores, holding_period=2, slippage_bps=0.0, commission_bps=0.0)
    assert result.trades.entry_date.tolist() == [result.dates[2]]
    assert result.trades.entry_price.tolist() == [11.0]
    assert result.trades.exit_date.tolist() == [result.dates[4]]


def test_entries_take_the_highest_scores_at_or_above_the_threshold() -> None:
    open_ = close = np.full((3, 4), 10.0)
    scores = np.array([[0.02, 0.005, 0.04, 0.03], [NAN] * 4, [NAN] * 4])
    result = _run(open_, close, scores, max_positions=2, entry_threshold=0.01)
    assert sorted(result.trades.ticker.tolist()) == ["T2", "T3"]


def test_the_drawdown_brake_halves_new_positions() -> None:
    # T0 falls 40 % while held; T1's signal on day 3 is sized on the braked equity.
    open_ = np.array([[10.0, 10.0], [10.0, 10.0], [6.0, 10.0], [6.0, 10.0], [6.0, 10.0]])
    close = np.array([[10.0, 10.0], [10.0, 10.0], [6.0, 10.0], [6.0, 10.0], [6.0, 10.0]])
    scores = np.array([[0.05, NAN], [NAN, NAN], [NAN, 0.05], [NAN, NAN], [NAN, NAN]])
    costs = {"slippage_bps": 0.0, "commission_bps": 0.0, "position_size": 0.5}
    braked = _run(open_, close, scores, holding_period=1, drawdown_brake=0.15, **costs)
    plain = _run(open_, close, scores, holding_period=1, **costs)
    # Equity at day 2's close: 1e6 − 5e5 × 0.4 = 8e5, 20 % below the peak.
    assert plain.trades.shares[1] == pytest.approx(0.5 * 8e5 / 10.0, rel=1e-12)
    assert braked.trades.shares[1] == pytest.approx(0.25 * 8e5 / 10.0, rel=1e-12)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("holding_period", 0),
        ("holding_period", 64),
        ("max_positions", 0),
        ("position_size", 0.0),
        ("position_size", 1.5),
        ("commission_bps", -1.0),
        ("initial_capital", 0.0),
        ("stop_loss", 1.0),
        ("drawdown_brake", 0.0),
    ],
)
def test_out_of_range_rules_are_refused(field: str, value: float) -> None:
    with pytest.raises(ValidationFailedError) as raised:
        dataclasses.replace(ExecutionRules(), **{field: value})
    assert raised.value.details[0].loc == (field,)


def test_mismatched_shapes_are_refused() -> None:
    with pytest.raises(ValidationFailedError):
        simulate(
            np.ones((3, 2)),
            np.ones((3, 2)),
            np.ones((3, 3)),
            ExecutionRules(),
            ["A", "B"],
            _dates(3),
        )


def test_an_entry_reduced_to_fit_spends_all_cash_and_later_orders_are_dropped() -> None:
    open_ = close = np.full((3, 3), 10.0)
    scores = np.array([[0.05, 0.04, 0.03], [NAN] * 3, [NAN] * 3])
    result = _run(open_, close, scores, max_positions=3, position_size=0.5, holding_period=5)
    assert result.positions[1] == 2
    assert result.cash[1] == 0.0
    assert result.trades.ticker.tolist() == ["T0", "T1"]
    # T1 was reduced: 1e6 − 5e5 × 1.0001 left, over 1.0001 for its commission.
    expected = (1e6 - 5e5 * 1.0001) / 1.0001
    assert result.trades.shares[1] * result.trades.entry_price[1] == pytest.approx(expected)


def test_an_entry_is_chosen_without_knowing_whether_the_ticker_trades_again() -> None:
    """Removing a ticker's rows after day t (a delisting) must not change the order
    decided at the close of t: whether it trades again is the future."""
    days = 6
    open_ = np.full((days, 2), 100.0)
    close = np.full((days, 2), 100.0)
    scores = np.full((days, 2), NAN)
    scores[2] = (0.05, 0.02)  # ticker 0 is the better signal at the close of day 2
    rules = {"max_positions": 1, "entry_threshold": 0.0, "holding_period": 2}
    full = _run(open_, close, scores, **rules)
    delisted_open, delisted_close = open_.copy(), close.copy()
    delisted_open[3:, 0] = delisted_close[3:, 0] = NAN
    delisted = _run(delisted_open, delisted_close, scores, **rules)
    assert list(full.trades.ticker) == ["T0"]
    # the order for T0 waits for a bar, then expires unfilled; T1 is never bought instead
    assert list(delisted.trades.ticker) == []
    assert delisted.equity[-1] == pytest.approx(1_000_000.0)


# --- liquidate_at_end=False: the book as it stands at the last close (the paper trader) ---


@pytest.mark.parametrize("rules", [{}, {"stop_loss": 0.04, "drawdown_brake": 0.1}])
def test_without_liquidation_every_day_before_the_last_is_unchanged(
    rules: dict[str, object],
) -> None:
    open_, close, scores = _market()
    settings = {"max_positions": 5, "position_size": 0.25, "holding_period": 4, **rules}
    liquidated = _run(open_, close, scores, **settings)
    kept = _run_kept(open_, close, scores, **settings)
    for name in ("equity", "gross_equity", "cash", "gross_cash", "positions", "traded_notional"):
        np.testing.assert_array_equal(getattr(kept, name)[:-1], getattr(liquidated, name)[:-1])
    # the same trades, except the positions the backtest closes at the last close
    closed = liquidated.trades.to_frame().query("exit_reason != 'end_of_backtest'")
    assert len(closed) > 20
    pd.testing.assert_frame_equal(kept.trades.to_frame(), closed.reset_index(drop=True))


def test_without_liquidation_the_positions_liquidated_at_the_end_stay_open() -> None:
    open_, close, scores = _market()
    liquidated = _run(open_, close, scores, max_positions=5, position_size=0.25)
    kept = _run_kept(open_, close, scores, max_positions=5, position_size=0.25)
    ended = liquidated.trades.to_frame().query("exit_reason == 'end_of_backtest'")
    assert len(ended) >= 2
    held = kept.open_positions.to_frame().sort_values("ticker").reset_index(drop=True)
    ended = ended.sort_values("ticker").reset_index(drop=True)
    assert held["ticker"].tolist() == ended["ticker"].tolist()
    np.testing.assert_array_equal(held["shares"], ended["shares"])
    np.testing.assert_array_equal(held["entry_price"], ended["entry_price"])
    np.testing.assert_array_equal(held["entry_date"], ended["entry_date"])
    np.testing.assert_array_equal(held["signal_date"], ended["signal_date"])
    # nothing is sold on the last day, so the last close marks the same shares
    assert kept.positions[-1] == len(held)
    marks = pd.DataFrame(close).ffill().to_numpy()[-1]
    columns = [kept.tickers.index(ticker) for ticker in held["ticker"]]
    assert kept.equity[-1] == pytest.approx(
        kept.cash[-1] + float(held["shares"] @ marks[columns]), rel=1e-12
    )
    assert len(liquidated.open_positions) == 0
    assert len(liquidated.pending_orders) == 0


def test_without_liquidation_the_last_close_decides_pending_orders_and_due_exits() -> None:
    # Entry on day 1 (signal day 0), due out at day 1 + 3 = 4, past the last day (2).
    # The signal of the last day becomes an order for the open after it.
    open_ = close = np.full((3, 3), 10.0)
    scores = np.array([[0.05, NAN, NAN], [NAN, NAN, NAN], [NAN, 0.01, 0.03]])
    kept = _run_kept(open_, close, scores, holding_period=3, max_positions=2, position_size=0.2)
    held = kept.open_positions
    assert held.ticker.tolist() == ["T0"]
    assert held.exit_due_day.tolist() == [4]
    assert held.entry_open.tolist() == [10.0]
    assert held.stop_triggered.tolist() == [False]
    pending = kept.pending_orders
    # one free slot: the higher score wins; sized on the last close's equity
    assert pending.ticker.tolist() == ["T2"]
    assert pending.signal_date.tolist() == [kept.dates[2]]
    assert pending.notional[0] == pytest.approx(0.2 * kept.equity[2], rel=1e-15)
    assert np.isnat(pending.fill_date).all()


def test_without_liquidation_a_ticker_without_a_bar_after_today_is_not_taken_as_delisted() -> None:
    open_ = np.array([[10.0, 10.0], [10.0, 10.0], [11.0, 10.0]])
    close = np.array([[10.0, 10.0], [10.5, 10.0], [12.0, 10.0]])
    scores = np.array([[0.05, NAN], [NAN, NAN], [NAN, NAN]])
    kept = _run_kept(open_, close, scores, holding_period=3)
    assert len(kept.trades) == 0
    assert kept.open_positions.ticker.tolist() == ["T0"]


def test_the_fills_table_lists_every_entry_and_exit_with_its_raw_and_net_price() -> None:
    open_, close, scores = _market()
    result = _run(open_, close, scores, max_positions=5, position_size=0.25, slippage_bps=10.0)
    fills = result.fills.to_frame()
    trades = result.trades.to_frame()
    buys, sells = fills.query("side == 'buy'"), fills.query("side == 'sell'")
    assert len(buys) == len(sells) == len(trades)
    key = ["ticker", "signal_date"]
    entries = trades.merge(buys, on=key, validate="one_to_one")
    exits = trades.merge(sells, on=key, validate="one_to_one")
    assert (entries["date"] == entries["entry_date"]).all()
    assert (exits["date"] == exits["exit_date"]).all()
    np.testing.assert_allclose(entries["fill_price"], entries["entry_price"], rtol=1e-15)
    np.testing.assert_allclose(exits["fill_price"], exits["exit_price"], rtol=1e-15)
    np.testing.assert_allclose(buys["fill_price"], buys["raw_price"] * 1.001, rtol=1e-14)
    np.testing.assert_allclose(sells["fill_price"], sells["raw_price"] * 0.999, rtol=1e-14)
    np.testing.assert_array_equal(entries["shares_x"], entries["shares_y"])
    np.testing.assert_allclose(
        fills["commission"], fills["shares"] * fills["fill_price"] * 1e-4, rtol=1e-12
    )
    # cash rebuilt from the fills alone
    signed = np.where(fills["side"] == "buy", -1.0, 1.0) * fills["shares"] * fills["fill_price"]
    assert result.cash[-1] == pytest.approx(
        1e6 + signed.sum() - fills["commission"].sum(), rel=1e-12
    )
    assert bool(np.all(np.diff(fills["date"].to_numpy()) >= np.timedelta64(0)))


def test_every_order_is_listed_once_with_how_it_ended() -> None:
    open_, close, scores = _market()
    result = _run(open_, close, scores, max_positions=3, position_size=0.5, holding_period=2)
    orders = result.orders.to_frame()
    assert not orders.duplicated(["ticker", "signal_date"]).any()
    statuses = orders["status"].value_counts().to_dict()
    assert set(statuses) == {"filled", "cancelled", "expired"}  # pending only without liquidation
    filled = orders.query("status == 'filled'")
    entries = result.trades.to_frame().merge(filled, on=["ticker", "signal_date"])
    assert len(entries) == len(filled) == len(result.trades)
    assert (entries["fill_date"] == entries["entry_date"]).all()
    np.testing.assert_array_equal(entries["fill_price"], entries["entry_price"])
    assert orders.query("status != 'filled'")["fill_price"].isna().all()


def _run_kept(
    open_: FloatArray, close: FloatArray, scores: FloatArray, **rules: object
) -> SimulationResult:
    tickers = [f"T{j}" for j in range(open_.shape[1])]
    return simulate(
        open_,
        close,
        scores,
        ExecutionRules(**rules),
        tickers,
        _dates(open_.shape[0]),  # type: ignore[arg-type]
        liquidate_at_end=False,
    )


def test_without_liquidation_a_stop_hit_at_the_last_close_is_pending_for_the_next_open() -> None:
    open_ = np.array([[10.0], [10.0], [9.5]])
    close = np.array([[10.0], [9.6], [9.1]])
    scores = np.array([[0.05], [NAN], [NAN]])
    kept = _run_kept(open_, close, scores, holding_period=4, stop_loss=0.08)
    assert kept.open_positions.stop_triggered.tolist() == [True]
    assert len(kept.trades) == 0
