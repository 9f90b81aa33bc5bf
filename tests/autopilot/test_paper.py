"""The paper trader: the backtest's execution model over the days as they come, stored in
SQLite so that replays, restarts and crashes neither lose nor duplicate anything."""

from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
import pytest

from quant_engine.autopilot import paper
from quant_engine.autopilot.paper import (
    PAPER_RULES,
    PaperAccount,
    PaperFill,
    tracker_fills,
)
from quant_engine.backtest.execution import ExecutionRules, SimulationResult, simulate
from quant_engine.core.errors import (
    ArtifactCorruptError,
    ConflictError,
    NotFoundError,
    ValidationFailedError,
)
from quant_engine.tracking import EXECUTION_SCHEMA, ExecutionTracker, TrackingDatabase

FloatArray = npt.NDArray[np.float64]
DateArray = npt.NDArray[np.datetime64]
NOW = dt.datetime(2024, 6, 3, 12, 0, tzinfo=dt.UTC)
SP500 = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "sp500_5yr"
SIGNAL_ROWS = (3, 7, 12, 16, 21, 25, 30, 34, 39, 43, 48, 52, 56)
START_ROW = 2


@dataclass(frozen=True)
class Panel:
    open: FloatArray
    close: FloatArray
    tickers: list[str]
    dates: DateArray
    benchmark: FloatArray

    def until(self, row: int) -> Panel:
        """The panel as it was at the close of ``row``: later rows do not exist yet."""
        stop = row + 1
        return Panel(
            self.open[:stop],
            self.close[:stop],
            self.tickers,
            self.dates[:stop],
            self.benchmark[:stop],
        )

    def day(self, row: int) -> dt.date:
        return pd.Timestamp(self.dates[row]).date()


@dataclass(frozen=True)
class SignalSet:
    signal_date: dt.date
    tickers: list[str]
    scores: list[float]


def _panel(n_days: int = 60, n_tickers: int = 30, seed: int = 5, *, gaps: bool = False) -> Panel:
    """Random-walk prices (deterministic), optionally with one-day gaps and a delisting."""
    rng = np.random.default_rng(seed)
    close = 40.0 * np.exp(np.cumsum(rng.normal(0.0005, 0.02, (n_days, n_tickers)), axis=0))
    open_ = close * np.exp(rng.normal(0.0, 0.01, (n_days, n_tickers)))
    if gaps:
        missing = rng.random((n_days, n_tickers)) < 0.04
        open_[missing] = close[missing] = np.nan
        open_[40:, 0] = close[40:, 0] = np.nan
    dates = pd.bdate_range("2024-01-02", periods=n_days).values.astype("datetime64[D]")
    benchmark = 4000.0 * np.exp(np.cumsum(rng.normal(0.0003, 0.01, n_days)))
    tickers = [f"S{j:02d}" for j in range(n_tickers)]
    return Panel(open_, close, tickers, dates, benchmark)


def _signal_sets(panel: Panel, rows: Sequence[int] = SIGNAL_ROWS, seed: int = 9) -> list[SignalSet]:
    """A dozen scored tickers per date (some below the 0 threshold) plus one unknown ticker."""
    rng = np.random.default_rng(seed)
    sets = []
    for row in rows:
        chosen = rng.choice(len(panel.tickers), size=12, replace=False)
        tickers = [panel.tickers[j] for j in chosen] + ["NOT_IN_PANEL"]
        scores = rng.normal(0.004, 0.02, len(tickers)).tolist()
        sets.append(SignalSet(panel.day(row), tickers, scores))
    return sets


def _account(
    tmp_path: Path, panel: Panel, sets: Sequence[SignalSet], name: str = "paper.db"
) -> PaperAccount:
    account = PaperAccount(tmp_path / "state" / name, clock=lambda: NOW)
    assert account.open(panel.day(START_ROW)) is True
    for signal_set in sets:
        account.add_signals(signal_set.signal_date, "v3", 5, signal_set.tickers, signal_set.scores)
    return account


def _rebalance(account: PaperAccount, panel: Panel, as_of: dt.date) -> paper.RebalanceReport:
    return account.rebalance(
        panel.open,
        panel.close,
        panel.tickers,
        panel.dates,
        as_of=as_of,
        benchmark_close=panel.benchmark,
    )


def _reference(
    panel: Panel, sets: Sequence[SignalSet], last_row: int, rules: ExecutionRules = PAPER_RULES
) -> SimulationResult:
    """The backtest engine itself (liquidating) over start..last_row with the same signals."""
    rows = slice(START_ROW, last_row + 1)
    dates = panel.dates[rows]
    scores = np.full((len(dates), len(panel.tickers)), np.nan)
    for signal_set in sets:
        if np.datetime64(signal_set.signal_date) > dates[-1]:
            continue
        row = int(np.flatnonzero(dates == np.datetime64(signal_set.signal_date))[0])
        for ticker, score in zip(signal_set.tickers, signal_set.scores, strict=True):
            if ticker in panel.tickers:
                scores[row, panel.tickers.index(ticker)] = score
    return simulate(panel.open[rows], panel.close[rows], scores, rules, panel.tickers, dates)


def _dump(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table of the account file, in primary-key order."""
    connection = sqlite3.connect(path)
    try:
        tables = [
            name
            for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        return {
            table: connection.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
            for table in tables
        }
    finally:
        connection.close()


def _state(account: PaperAccount) -> tuple[object, ...]:
    return (account.summary(), account.positions(), account.fills(), account.marks())


# --------------------------------------------------------------------------- the rules


def test_the_demo_rules_are_ten_positions_of_ten_percent_held_five_days() -> None:
    assert PAPER_RULES.max_positions == 10
    assert PAPER_RULES.position_size == 0.1
    assert PAPER_RULES.entry_threshold == 0.0
    assert PAPER_RULES.holding_period == 5
    defaults = ExecutionRules()
    assert (PAPER_RULES.commission_bps, PAPER_RULES.slippage_bps) == (
        defaults.commission_bps,
        defaults.slippage_bps,
    )


@pytest.mark.parametrize("gaps", [False, True])
def test_fills_and_equity_equal_the_backtest_on_every_day_before_as_of(
    tmp_path: Path, gaps: bool
) -> None:
    panel = _panel(gaps=gaps)
    sets = _signal_sets(panel)
    last = 50
    account = _account(tmp_path, panel, sets)
    _rebalance(account, panel, panel.day(last))
    backtest = _reference(panel, sets, last)

    marks = account.marks()
    assert [mark.date for mark in marks] == [panel.day(r) for r in range(START_ROW, last + 1)]
    equity = np.array([mark.equity for mark in marks])
    np.testing.assert_array_equal(equity[:-1], backtest.equity[:-1])
    np.testing.assert_array_equal([m.cash for m in marks][:-1], backtest.cash[:-1])
    np.testing.assert_array_equal([m.gross_equity for m in marks][:-1], backtest.gross_equity[:-1])
    np.testing.assert_array_equal(
        [m.benchmark for m in marks], panel.benchmark[START_ROW : last + 1]
    )

    # every fill of the backtest except its liquidation, the last thing it does
    ended = backtest.trades.to_frame().query("exit_reason == 'end_of_backtest'")
    reference = backtest.fills.to_frame()
    expected = reference.iloc[: len(reference) - len(ended)].copy()
    fills = pd.DataFrame([dataclasses.asdict(fill) for fill in account.fills()])
    assert len(fills) == len(expected) > 30
    got = fills.sort_values(["date", "ticker", "side"]).reset_index(drop=True)
    expected["date"] = [pd.Timestamp(day).date() for day in expected["date"]]
    expected = expected.sort_values(["date", "ticker", "side"]).reset_index(drop=True)
    assert got["ticker"].tolist() == expected["ticker"].tolist()
    assert got["side"].tolist() == expected["side"].tolist()
    assert got["date"].tolist() == expected["date"].tolist()
    np.testing.assert_array_equal(got["shares"], expected["shares"])
    np.testing.assert_array_equal(got["expected_price"], expected["raw_price"])
    np.testing.assert_array_equal(got["fill_price"], expected["fill_price"])

    # the open positions are what the backtest liquidates at the last close
    ended = ended.sort_values("ticker")
    positions = account.positions()
    assert [p.ticker for p in positions] == ended["ticker"].tolist()
    np.testing.assert_array_equal([p.shares for p in positions], ended["shares"])
    np.testing.assert_array_equal([p.entry_price for p in positions], ended["entry_price"])
    assert account.summary().positions == len(positions) == len(ended) > 0


def test_cash_and_equity_reconcile_with_the_stored_fills_and_positions(tmp_path: Path) -> None:
    panel = _panel()
    account = _account(tmp_path, panel, _signal_sets(panel))
    _rebalance(account, panel, panel.day(45))
    fills = account.fills()
    spent = sum(
        (-1.0 if fill.side == "buy" else 1.0) * fill.shares * fill.fill_price - fill.commission
        for fill in fills
    )
    summary = account.summary()
    assert summary.cash == pytest.approx(1_000_000.0 + spent, rel=1e-12)
    held = sum(
        position.shares * panel.close[45, panel.tickers.index(position.ticker)]
        for position in account.positions()
    )
    assert summary.positions == len(account.positions()) > 0
    assert summary.equity == pytest.approx(summary.cash + held, rel=1e-12)
    assert summary.net_pnl == pytest.approx(summary.equity - 1_000_000.0, rel=1e-12)
    # gross − net = slippage and commission on the fills so far (open positions at raw)
    costs = sum(
        fill.commission + fill.shares * abs(fill.fill_price - fill.expected_price) for fill in fills
    )
    assert summary.gross_equity - summary.equity == pytest.approx(costs, rel=1e-9)
    # buys pay 5 bps over the open, sells receive 5 bps under it
    for fill in fills:
        factor = 1.0005 if fill.side == "buy" else 0.9995
        assert fill.fill_price == pytest.approx(fill.expected_price * factor, rel=1e-14)


def test_orders_of_day_t_fill_at_the_next_open_and_those_of_as_of_are_pending(
    tmp_path: Path,
) -> None:
    panel = _panel()
    sets = _signal_sets(panel)
    account = _account(tmp_path, panel, sets)
    as_of = 43  # a signal date: its orders are decided at this close
    report = _rebalance(account, panel, panel.day(as_of))
    orders = _all_orders(account)
    pending = [order for order in orders if order.status == "pending"]
    assert report.pending_orders == len(pending) > 0
    assert {order.signal_date for order in pending} == {panel.day(as_of)}
    assert all(order.fill_date is None and order.fill_price is None for order in pending)
    filled = [order for order in orders if order.status == "filled"]
    assert filled
    dates = [panel.day(r) for r in range(len(panel.dates))]
    for order in filled:
        assert order.fill_date == dates[dates.index(order.signal_date) + 1]
        column = panel.tickers.index(order.ticker)
        open_ = panel.open[dates.index(order.fill_date), column]
        assert order.fill_price == pytest.approx(open_ * 1.0005, rel=1e-14)
    # the pending orders are exactly what the engine decides at that close
    rows = slice(START_ROW, as_of + 1)
    scores = np.full((as_of + 1 - START_ROW, len(panel.tickers)), np.nan)
    for signal_set in sets:
        if signal_set.signal_date <= panel.day(as_of):
            row = dates.index(signal_set.signal_date) - START_ROW
            for ticker, score in zip(signal_set.tickers, signal_set.scores, strict=True):
                if ticker in panel.tickers:
                    scores[row, panel.tickers.index(ticker)] = score
    engine = simulate(
        panel.open[rows],
        panel.close[rows],
        scores,
        PAPER_RULES,
        panel.tickers,
        panel.dates[rows],
        liquidate_at_end=False,
    )
    assert sorted(order.ticker for order in pending) == sorted(
        engine.pending_orders.ticker.tolist()
    )


def test_positions_count_the_trading_days_left_until_their_exit(tmp_path: Path) -> None:
    panel = _panel()
    account = _account(tmp_path, panel, _signal_sets(panel))
    as_of = 45
    _rebalance(account, panel, panel.day(as_of))
    dates = [panel.day(r) for r in range(len(panel.dates))]
    positions = account.positions()
    assert positions
    for position in positions:
        entry = dates.index(position.entry_date)
        assert position.exit_due_trading_days == entry + PAPER_RULES.holding_period - as_of
        assert 1 <= position.exit_due_trading_days <= PAPER_RULES.holding_period
        assert position.last_close == panel.close[as_of, panel.tickers.index(position.ticker)]
        assert position.market_value == position.shares * position.last_close
        assert position.entry_price == pytest.approx(position.entry_open * 1.0005, rel=1e-14)


# ------------------------------------------------------------- replay and no look-ahead


@pytest.mark.parametrize("later", ["absent", "shocked", "missing"])
def test_the_account_at_t_is_the_same_whether_or_not_later_data_exists(
    tmp_path: Path, later: str
) -> None:
    panel = _panel()
    sets = _signal_sets(panel)  # including sets dated after T: not used at T
    cut = 40
    full = panel
    if later == "shocked":
        full = dataclasses.replace(
            panel, open=panel.open.copy(), close=panel.close.copy(), benchmark=panel.benchmark * 1
        )
        full.open[cut + 1 :] *= 10.0
        full.close[cut + 1 :] *= 0.1
        full.benchmark[cut + 1 :] = np.nan
    if later == "missing":  # every ticker's data "ends" at T: no delisting may be inferred
        full = dataclasses.replace(panel, open=panel.open.copy(), close=panel.close.copy())
        full.open[cut + 1 :] = full.close[cut + 1 :] = np.nan
    with_future = _account(tmp_path, panel, sets, "future.db")
    without = _account(tmp_path, panel, sets, "past.db")
    _rebalance(with_future, full, panel.day(cut))
    _rebalance(without, panel.until(cut), panel.day(cut))
    assert _state(with_future) == _state(without)
    assert _all_orders(with_future) == _all_orders(without)
    assert len(with_future.fills()) > 10
    assert _dump(with_future.path) == _dump(without.path)


@pytest.mark.parametrize("gaps", [False, True])
def test_advancing_day_by_day_ends_where_one_rebalance_does(tmp_path: Path, gaps: bool) -> None:
    panel = _panel(gaps=gaps)
    sets = _signal_sets(panel)
    stepped = _account(tmp_path, panel, sets, "stepped.db")
    once = _account(tmp_path, panel, sets, "once.db")
    reported: list[PaperFill] = []
    retracted: set[str] = set()
    for row in range(START_ROW, 55):
        report = _rebalance(stepped, panel.until(row), panel.day(row))
        assert report.as_of == panel.day(row)
        reported.extend(report.new_fills)
        retracted.update(report.retracted_fill_ids)
    single = _rebalance(once, panel, panel.day(54))
    assert _dump(stepped.path) == _dump(once.path)
    assert _all_orders(stepped) == _all_orders(once)
    # each fill is reported once; with gaps, a held ticker without a bar on the as-of day
    # had exited at its last close (the backtest's delisting rule), and the next day's
    # bar takes that exit back, with the orders it made room for
    ids = [fill.fill_id for fill in reported]
    assert len(ids) == len(set(ids))
    assert set(ids) - retracted == {fill.fill_id for fill in single.new_fills}
    assert bool(retracted) == gaps
    assert not retracted & {fill.fill_id for fill in once.fills()}


def test_three_steps_equal_one_rebalance_at_the_last(tmp_path: Path) -> None:
    panel = _panel()
    sets = _signal_sets(panel)
    stepped = _account(tmp_path, panel, sets, "stepped.db")
    once = _account(tmp_path, panel, sets, "once.db")
    first = _rebalance(stepped, panel.until(20), panel.day(20))
    second = _rebalance(stepped, panel.until(33), panel.day(33))
    third = _rebalance(stepped, panel, panel.day(47))
    single = _rebalance(once, panel, panel.day(47))
    assert _state(stepped) == _state(once)
    assert _dump(stepped.path) == _dump(once.path)
    steps = [*first.new_fills, *second.new_fills, *third.new_fills]
    assert steps == list(single.new_fills)
    assert all(fill.date <= panel.day(20) for fill in first.new_fills)
    assert all(panel.day(20) < fill.date <= panel.day(33) for fill in second.new_fills)


# ------------------------------------------------------------ idempotency and crashes


def test_rebalancing_the_same_day_twice_changes_nothing_and_reports_no_new_fills(
    tmp_path: Path,
) -> None:
    panel = _panel()
    account = _account(tmp_path, panel, _signal_sets(panel))
    first = _rebalance(account, panel, panel.day(44))
    before = _dump(account.path)
    again = _rebalance(account, panel, panel.day(44))
    assert _dump(account.path) == before
    assert len(first.new_fills) == first.fills > 0
    assert again.new_fills == ()
    assert again.retracted_fill_ids == ()
    assert again.fills == first.fills
    assert again.equity == first.equity


class _CrashError(Exception):
    """The process dying half-way through a write."""


def test_a_crash_inside_the_write_leaves_the_previous_state_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    panel = _panel()
    sets = _signal_sets(panel)
    account = _account(tmp_path, panel, sets)
    _rebalance(account, panel, panel.day(30))
    before = _dump(account.path)
    original = paper._write_state

    def crash(connection: sqlite3.Connection, state: object) -> None:
        original(connection, state)  # type: ignore[arg-type]  # every table rewritten…
        raise _CrashError  # …then the process dies before the commit

    monkeypatch.setattr(paper, "_write_state", crash)
    with pytest.raises(_CrashError):
        _rebalance(account, panel, panel.day(45))
    assert _dump(account.path) == before
    assert account.summary().as_of == panel.day(30)

    monkeypatch.setattr(paper, "_write_state", original)
    report = _rebalance(account, panel, panel.day(45))
    fresh = _account(tmp_path, panel, sets, "fresh.db")
    _rebalance(fresh, panel, panel.day(45))
    assert _dump(account.path) == _dump(fresh.path)
    stored_before = {row[0] for row in before["fills"]}
    assert {fill.fill_id for fill in report.new_fills} == (
        {fill.fill_id for fill in fresh.fills()} - stored_before
    )
    assert report.new_fills


def test_new_fills_go_to_the_execution_tracker_once(tmp_path: Path) -> None:
    panel = _panel()
    account = _account(tmp_path, panel, _signal_sets(panel))
    tracker = ExecutionTracker(
        TrackingDatabase(tmp_path / "state" / "tracking.db", EXECUTION_SCHEMA)
    )
    total = 0
    for row in (25, 40, 40, 50):
        report = _rebalance(account, panel, panel.day(row))
        total += tracker.record_many(tracker_fills(report.new_fills), recorded_at=NOW)
    stored = tracker.fills("paper")
    assert total == len(stored) == len(account.fills())
    assert {fill.fill_id for fill in stored} == {fill.fill_id for fill in account.fills()}
    summary = tracker.summary("paper")
    # 5 bps against us on every buy and sell
    assert summary.mean_slippage_bps == pytest.approx(5.0, abs=1e-6)
    assert summary.worst_slippage_bps == pytest.approx(5.0, abs=1e-6)
    first = next(fill for fill in account.fills())
    record = next(fill for fill in stored if fill.fill_id == first.fill_id)
    assert (record.source, record.ticker, record.side, record.trade_date) == (
        "paper",
        first.ticker,
        first.side,
        first.date,
    )
    assert (record.quantity, record.expected_price, record.fill_price) == (
        first.shares,
        first.expected_price,
        first.fill_price,
    )


# ---------------------------------------------------------------- account and signals


def test_opening_twice_is_a_no_op_and_a_different_account_conflicts(tmp_path: Path) -> None:
    account = PaperAccount(tmp_path / "paper.db", clock=lambda: NOW)
    assert account.exists() is False
    assert not (tmp_path / "paper.db").exists()  # reading creates nothing
    assert account.open(dt.date(2024, 1, 2)) is True
    assert account.exists() is True
    assert account.open(dt.date(2024, 1, 2)) is False
    with pytest.raises(ConflictError):
        account.open(dt.date(2024, 1, 3))
    with pytest.raises(ConflictError):
        account.open(dt.date(2024, 1, 2), initial_capital=50_000.0)
    summary = account.summary()
    assert summary.as_of is None
    assert summary.rules == PAPER_RULES
    assert (summary.cash, summary.equity, summary.positions, summary.net_pnl) == (
        1_000_000.0,
        1_000_000.0,
        0,
        0.0,
    )


def test_initial_capital_overrides_the_rules(tmp_path: Path) -> None:
    panel = _panel()
    account = PaperAccount(tmp_path / "paper.db")
    account.open(panel.day(START_ROW), initial_capital=25_000.0)
    assert account.summary().initial_capital == 25_000.0
    assert account.summary().rules == dataclasses.replace(PAPER_RULES, initial_capital=25_000.0)


def test_the_same_signal_set_twice_is_a_no_op_and_another_one_conflicts(
    tmp_path: Path,
) -> None:
    account = PaperAccount(tmp_path / "paper.db", clock=lambda: NOW)
    account.open(dt.date(2024, 1, 2))
    day = dt.date(2024, 1, 5)
    assert account.add_signals(day, "v3", 5, ["A", "B"], [0.02, -0.01]) is True
    assert account.add_signals(day, "v3", 5, ["B", "A"], np.array([-0.01, 0.02])) is False
    with pytest.raises(ConflictError):
        account.add_signals(day, "v3", 5, ["A", "B"], [0.02, -0.02])
    with pytest.raises(ConflictError):
        account.add_signals(day, "v4", 5, ["A", "B"], [0.02, -0.01])


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"tickers": ["A", "B"], "scores": [0.1]}, "scores"),
        ({"tickers": ["A", "A"], "scores": [0.1, 0.2]}, "tickers"),
        ({"scores": [float("nan")]}, "scores"),
        ({"version": ""}, "version"),
        ({"horizon": 0}, "horizon"),
    ],
)
def test_invalid_signal_sets_are_refused(
    tmp_path: Path, change: dict[str, object], field: str
) -> None:
    account = PaperAccount(tmp_path / "paper.db")
    account.open(dt.date(2024, 1, 2))
    arguments: dict[str, object] = {
        "signal_date": dt.date(2024, 1, 5),
        "version": "v1",
        "horizon": 5,
        "tickers": ["A"],
        "scores": [0.1],
        **change,
    }
    with pytest.raises(ValidationFailedError) as raised:
        account.add_signals(**arguments)  # type: ignore[arg-type]
    assert [detail.loc for detail in raised.value.details] == [(field,)]


def test_signals_before_the_start_or_for_passed_closes_are_refused(tmp_path: Path) -> None:
    panel = _panel()
    account = _account(tmp_path, panel, [])
    with pytest.raises(ValidationFailedError):
        account.add_signals(panel.day(START_ROW - 1), "v3", 5, ["S01"], [0.01])
    _rebalance(account, panel, panel.day(20))
    with pytest.raises(ConflictError):
        account.add_signals(panel.day(19), "v3", 5, ["S01"], [0.01])
    # the as-of close itself is still open for signals: they trade at the next open
    assert account.add_signals(panel.day(20), "v3", 5, ["S01"], [0.01]) is True
    report = _rebalance(account, panel, panel.day(20))
    assert report.pending_orders == 1


def test_nothing_works_before_the_account_is_opened(tmp_path: Path) -> None:
    account = PaperAccount(tmp_path / "paper.db")
    panel = _panel()
    with pytest.raises(NotFoundError):
        account.summary()
    with pytest.raises(NotFoundError):
        account.add_signals(panel.day(5), "v3", 5, ["S01"], [0.01])
    with pytest.raises(NotFoundError):
        _rebalance(account, panel, panel.day(10))


def test_going_back_in_time_conflicts(tmp_path: Path) -> None:
    panel = _panel()
    account = _account(tmp_path, panel, _signal_sets(panel))
    _rebalance(account, panel, panel.day(30))
    with pytest.raises(ConflictError):
        _rebalance(account, panel, panel.day(29))
    # a non-trading day after the as-of maps to the as-of itself: allowed, no change
    saturday = panel.day(30) + dt.timedelta(days=(5 - panel.day(30).weekday()) % 7 or 7)
    assert saturday.weekday() == 5
    report = _rebalance(account, panel.until(30), saturday)
    assert report.as_of == panel.day(30)
    assert report.new_fills == ()


def test_a_signal_set_on_a_day_without_data_is_refused(tmp_path: Path) -> None:
    panel = _panel()
    account = _account(tmp_path, panel, [])
    saturday = dt.date(2024, 1, 13)
    account.add_signals(saturday, "v3", 5, ["S01"], [0.02])
    with pytest.raises(ValidationFailedError, match="2024-01-13"):
        _rebalance(account, panel, panel.day(20))
    assert account.summary().as_of is None


@pytest.mark.parametrize(
    ("open_shape", "dates", "benchmark", "field"),
    [
        ((60, 29), 60, 60, "panel_open"),
        ((60, 30), 59, 60, "panel_open"),
        ((60, 30), 60, 59, "benchmark_close"),
    ],
)
def test_mismatched_panels_are_refused(
    tmp_path: Path, open_shape: tuple[int, int], dates: int, benchmark: int, field: str
) -> None:
    panel = _panel()
    account = _account(tmp_path, panel, [])
    with pytest.raises(ValidationFailedError) as raised:
        account.rebalance(
            np.ones(open_shape),
            panel.close,
            panel.tickers,
            panel.dates[:dates],
            as_of=panel.day(20),
            benchmark_close=panel.benchmark[:benchmark],
        )
    assert raised.value.details[0].loc == (field,)


def test_no_trading_day_between_start_and_as_of_is_refused(tmp_path: Path) -> None:
    panel = _panel()
    account = _account(tmp_path, panel, [])
    with pytest.raises(ValidationFailedError):
        _rebalance(account, panel, panel.day(START_ROW - 1))


# ------------------------------------------------------------------------------ reads


def _all_orders(account: PaperAccount, limit: int = 7) -> list[paper.PaperOrder]:
    orders: list[paper.PaperOrder] = []
    cursor = None
    while True:
        page = account.orders(limit, cursor)
        orders.extend(page.items)
        if page.next_cursor is None:
            return orders
        assert len(page.items) == limit
        cursor = page.next_cursor


def test_order_pages_cover_every_order_once_newest_signal_first(tmp_path: Path) -> None:
    panel = _panel()
    account = _account(tmp_path, panel, _signal_sets(panel))
    _rebalance(account, panel, panel.day(52))
    orders = _all_orders(account)
    assert len(orders) > 30
    assert len({order.order_id for order in orders}) == len(orders)
    keys = [(order.signal_date, order.ticker) for order in orders]
    assert keys == sorted(keys, key=lambda key: (-key[0].toordinal(), key[1]))
    assert orders == list(account.orders(10_000).items)
    assert all(order.order_id == f"{order.signal_date}:{order.ticker}" for order in orders)
    assert {order.status for order in orders} <= {"pending", "filled", "expired", "cancelled"}
    filled = [o for o in orders if o.status == "filled"]
    assert len(filled) == sum(fill.side == "buy" for fill in account.fills())


@pytest.mark.parametrize("cursor", ["nonsense", "2024-13-01:S01", "2024-01-05:", ":S01"])
def test_a_malformed_cursor_is_refused(tmp_path: Path, cursor: str) -> None:
    account = PaperAccount(tmp_path / "paper.db")
    with pytest.raises(ValidationFailedError) as raised:
        account.orders(10, cursor)
    assert raised.value.details[0].loc == ("cursor",)


def test_reset_deletes_every_row_and_keeps_the_file(tmp_path: Path) -> None:
    panel = _panel()
    account = _account(tmp_path, panel, _signal_sets(panel))
    _rebalance(account, panel, panel.day(40))
    account.reset()
    assert account.path.exists()
    assert account.exists() is False
    assert all(rows == [] for rows in _dump(account.path).values())
    # and a new account starts from scratch
    assert account.open(panel.day(10)) is True
    assert account.summary().as_of is None


def test_a_hand_edited_row_reads_as_artifact_corrupt(tmp_path: Path) -> None:
    panel = _panel()
    account = _account(tmp_path, panel, _signal_sets(panel))
    _rebalance(account, panel, panel.day(40))
    connection = sqlite3.connect(account.path)
    with connection:
        connection.execute("UPDATE account SET rules = '{\"holding_period\": 0}'")
        connection.execute("UPDATE marks SET date = 'yesterday' WHERE rowid = 1")
    connection.close()
    with pytest.raises(ArtifactCorruptError):
        account.summary()
    with pytest.raises(ArtifactCorruptError):
        account.marks()


# ------------------------------------------------------------------------- real data


def _sp500_panel(n_tickers: int = 40, n_days: int = 160) -> Panel:
    frames = []
    for path in sorted(SP500.glob("*_data.csv"))[:n_tickers]:
        frame = pd.read_csv(path, usecols=["date", "open", "close", "Name"])
        frames.append(frame)
    data = pd.concat(frames)
    data["date"] = pd.to_datetime(data["date"])
    window = data[data["date"] >= "2015-06-01"]
    opens = window.pivot(index="date", columns="Name", values="open").iloc[:n_days]
    closes = window.pivot(index="date", columns="Name", values="close").iloc[:n_days]
    return Panel(
        opens.to_numpy(dtype=float),
        closes.to_numpy(dtype=float),
        [str(name) for name in opens.columns],
        opens.index.values.astype("datetime64[D]"),
        closes.mean(axis=1).to_numpy(dtype=float),
    )


@pytest.mark.skipif(not SP500.is_dir(), reason="../shared/data/sp500_5yr absent")
def test_on_real_prices_paper_equals_the_backtest_and_a_replay(tmp_path: Path) -> None:
    panel = _sp500_panel()
    rows = tuple(range(5, 150, 3))
    sets = _signal_sets(panel, rows=rows, seed=21)
    last = 150
    account = _account(tmp_path, panel, sets)
    for row in range(START_ROW, last + 1, 9):
        _rebalance(account, panel.until(row), panel.day(row))
    _rebalance(account, panel, panel.day(last))
    backtest = _reference(panel, sets, last)
    equity = np.array([mark.equity for mark in account.marks()])
    np.testing.assert_array_equal(equity[:-1], backtest.equity[:-1])
    assert len(account.fills()) > 100
    replay = _account(tmp_path, panel, sets, "replay.db")
    _rebalance(replay, panel.until(last), panel.day(last))
    assert _dump(account.path) == _dump(replay.path)
