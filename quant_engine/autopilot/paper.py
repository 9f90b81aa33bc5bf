"""The paper trader: an account that trades the stored signal sets as the days go by.

Definition. The account at as-of date T *is* the one execution model,
:func:`quant_engine.backtest.execution.simulate`, run over the trading days of the data
from the account's start date to T with the stored signal sets placed at their dates,
except that nothing is liquidated at T (``liquidate_at_end=False``): positions still open
stay open and the orders decided at T's close are pending for the next open. Orders from
the signals of day t therefore fill at the first stored open after t with the slippage
model, under the same ``max_positions``, ``position_size``, ``entry_threshold``,
``holding_period`` and costs as a backtest: on every day before T the account's fills and
equity are the backtest's, because there is no second copy of the rules.

Rebalancing. :meth:`PaperAccount.rebalance` recomputes the account from its start and
writes the result in one transaction, replacing the derived tables (orders, fills,
positions, marks) with the fresh computation. So:

- the panel is cut at T before anything reads it: the account after rebalancing at T is
  identical whether or not data after T exists;
- a crash in the middle of a rebalance leaves the previous state, re-running it changes
  nothing, and stepping through T1 < T2 < T3 ends where one rebalance at T3 does. Ids
  are deterministic (fill ``date:ticker:side:signal_date``, order ``signal_date:ticker``),
  so each fill is reported as new exactly once, for the execution tracker.
- Signals are final once the account has passed their date (a set dated before the
  account's as-of is refused), but the data need not be: the backtest's rule that a held
  ticker whose data ends exits at its last close can only apply once the data has been
  seen to end, so a held ticker without a bar on T has exited at its previous close, and
  if it trades again the next rebalance takes that exit back
  (:attr:`RebalanceReport.retracted_fill_ids`). A corrected price history does the same.

State: ``QE_HOME/state/paper.db`` (:data:`PAPER_DATABASE`; SQLite, WAL) through
:class:`~quant_engine.tracking.TrackingDatabase`: ``account`` (one row), ``signal_sets``,
``orders``, ``fills``, ``positions`` and ``marks`` (daily, at the close). Blocking (SQLite
and numpy): call it from worker threads or jobs.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar, get_args

import numpy as np
import pandas as pd

from quant_engine.backtest.execution import (
    ORDER_FILLED,
    ORDER_PENDING,
    ExecutionRules,
    SimulationResult,
    simulate,
)
from quant_engine.core.errors import (
    ConflictError,
    ErrorDetail,
    NotFoundError,
    ValidationFailedError,
)
from quant_engine.data.models import DateArray, FloatArray
from quant_engine.tracking import Fill, Side, TrackingDatabase
from quant_engine.tracking.timestamps import to_stored

PAPER_DATABASE = "paper.db"
"""File name of the paper account under ``QE_HOME/state/``."""

PAPER_SOURCE = "paper"
"""``source`` of the paper account's fills in the execution tracker."""

PAPER_RULES = ExecutionRules(
    holding_period=5, max_positions=10, position_size=0.1, entry_threshold=0.0
)
"""The demo account's rules: 10 positions of 10 % of equity, any positive predicted
5-trading-day return, held 5 trading days; commission and slippage as in a backtest."""

OrderStatus = Literal["pending", "filled", "expired", "cancelled"]
_ORDER_STATUSES: frozenset[str] = frozenset(get_args(OrderStatus))
_SIDES: frozenset[str] = frozenset(get_args(Side))
_DERIVED_TABLES = ("orders", "fills", "positions", "marks")
_Row = TypeVar("_Row")

PAPER_SCHEMA = """
CREATE TABLE IF NOT EXISTS account (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    start_date TEXT NOT NULL,
    rules TEXT NOT NULL,
    created_at TEXT NOT NULL,
    as_of TEXT
);
CREATE TABLE IF NOT EXISTS signal_sets (
    signal_date TEXT PRIMARY KEY,
    version TEXT NOT NULL,
    horizon INTEGER NOT NULL,
    tickers TEXT NOT NULL,
    scores TEXT NOT NULL,
    added_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS orders (
    order_id TEXT PRIMARY KEY,
    signal_date TEXT NOT NULL,
    ticker TEXT NOT NULL,
    notional REAL NOT NULL,
    status TEXT NOT NULL,
    fill_date TEXT,
    fill_price REAL
);
CREATE INDEX IF NOT EXISTS orders_page ON orders (signal_date DESC, ticker);
CREATE TABLE IF NOT EXISTS fills (
    fill_id TEXT PRIMARY KEY,
    date TEXT NOT NULL,
    ticker TEXT NOT NULL,
    side TEXT NOT NULL,
    signal_date TEXT NOT NULL,
    shares REAL NOT NULL,
    expected_price REAL NOT NULL,
    fill_price REAL NOT NULL,
    commission REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS positions (
    ticker TEXT PRIMARY KEY,
    shares REAL NOT NULL,
    signal_date TEXT NOT NULL,
    entry_date TEXT NOT NULL,
    entry_price REAL NOT NULL,
    entry_open REAL NOT NULL,
    exit_due_trading_days INTEGER NOT NULL,
    last_close REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS marks (
    date TEXT PRIMARY KEY,
    equity REAL NOT NULL,
    gross_equity REAL NOT NULL,
    cash REAL NOT NULL,
    exposure REAL NOT NULL,
    positions INTEGER NOT NULL,
    benchmark REAL
);
"""

_FILL_COLUMNS = (
    "fill_id, date, ticker, side, signal_date, shares, expected_price, fill_price, commission"
)
_ORDER_COLUMNS = "order_id, signal_date, ticker, notional, status, fill_date, fill_price"
_POSITION_COLUMNS = (
    "ticker, shares, signal_date, entry_date, entry_price, entry_open, "
    "exit_due_trading_days, last_close"
)
_MARK_COLUMNS = "date, equity, gross_equity, cash, exposure, positions, benchmark"


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class PaperFill:
    """One fill of the account. Prices per share: ``expected_price`` is the raw open (or
    close, for an exit at the close) before slippage, ``fill_price`` the price paid or
    received; ``commission`` in currency; ``signal_date`` names the position's entry."""

    fill_id: str
    date: dt.date
    ticker: str
    side: Side
    signal_date: dt.date
    shares: float
    expected_price: float
    fill_price: float
    commission: float


@dataclass(frozen=True)
class PaperOrder:
    """An order decided at the close of ``signal_date`` for the next open.

    ``notional`` is the filled notional aimed at (currency); ``fill_date`` and
    ``fill_price`` (net of slippage) are set once ``status`` is ``filled``.
    """

    order_id: str
    signal_date: dt.date
    ticker: str
    notional: float
    status: OrderStatus
    fill_date: dt.date | None
    fill_price: float | None


@dataclass(frozen=True)
class PaperPosition:
    """A position held at the account's as-of close.

    ``entry_price`` is the net fill, ``entry_open`` the raw open it filled at.
    ``exit_due_trading_days`` counts the trading days after as-of at whose open it exits
    (1 = the next open, also when the exit is overdue or a stop was hit). ``last_close``
    is the latest close up to as-of, ``market_value = shares × last_close``.
    """

    ticker: str
    shares: float
    signal_date: dt.date
    entry_date: dt.date
    entry_price: float
    entry_open: float
    exit_due_trading_days: int
    last_close: float

    @property
    def market_value(self) -> float:
        """Shares × last close (currency)."""
        return self.shares * self.last_close


@dataclass(frozen=True)
class PaperMark:
    """The account at the close of one trading day (currency; ``exposure`` is held market
    value over net equity); ``benchmark`` is the benchmark's close that day, if given."""

    date: dt.date
    equity: float
    gross_equity: float
    cash: float
    exposure: float
    positions: int
    benchmark: float | None


@dataclass(frozen=True)
class PaperSummary:
    """Where the account stands at its as-of close (currency unless noted).

    Before the first rebalance ``as_of`` is None and everything is still cash. ``net_pnl``
    is net equity minus the initial capital; ``gross_pnl`` the same trades at raw prices
    without commission.
    """

    start_date: dt.date
    as_of: dt.date | None
    rules: ExecutionRules
    initial_capital: float
    cash: float
    equity: float
    gross_equity: float
    exposure: float
    positions: int
    pending_orders: int
    net_pnl: float
    gross_pnl: float


@dataclass(frozen=True)
class OrderPage:
    """One page of orders, newest signal date first; ``next_cursor`` is None on the last."""

    items: tuple[PaperOrder, ...]
    next_cursor: str | None


@dataclass(frozen=True)
class RebalanceReport:
    """What one rebalance did. ``new_fills`` were not stored before (feed them to the
    execution tracker with :func:`tracker_fills`); ``retracted_fill_ids`` were stored but
    are not part of the account any more (module docstring: a data gap or revision)."""

    as_of: dt.date
    new_fills: tuple[PaperFill, ...]
    retracted_fill_ids: tuple[str, ...]
    fills: int
    positions: int
    pending_orders: int
    equity: float


def tracker_fills(fills: Iterable[PaperFill]) -> list[Fill]:
    """The paper fills as execution-tracker fills (``source="paper"``, same ids)."""
    return [
        Fill(
            fill_id=fill.fill_id,
            source=PAPER_SOURCE,
            ticker=fill.ticker,
            side=fill.side,
            quantity=fill.shares,
            trade_date=fill.date,
            expected_price=fill.expected_price,
            fill_price=fill.fill_price,
        )
        for fill in fills
    ]


@dataclass(frozen=True)
class _Account:
    start_date: dt.date
    rules: ExecutionRules
    as_of: dt.date | None


@dataclass(frozen=True)
class _SignalSet:
    signal_date: dt.date
    version: str
    horizon: int
    tickers: tuple[str, ...]
    scores: tuple[float, ...]


@dataclass(frozen=True)
class _State:
    """The derived tables as rows, ready to insert."""

    orders: list[tuple[object, ...]]
    fills: list[PaperFill]
    positions: list[tuple[object, ...]]
    marks: list[tuple[object, ...]]


class PaperAccount:
    """The paper account kept in one SQLite file (usually ``QE_HOME/state/paper.db``).

    Constructing it touches nothing; the file is created by the first write. ``clock``
    gives the aware UTC instants recorded with the account and the signal sets.
    """

    def __init__(
        self,
        path: Path,
        *,
        clock: Callable[[], dt.datetime] = _utc_now,
        timeout_s: float = 1.0,
    ) -> None:
        self.db = TrackingDatabase(path, PAPER_SCHEMA, timeout_s=timeout_s)
        self._clock = clock

    @property
    def path(self) -> Path:
        return self.db.path

    # ---------------------------------------------------------------- account and signals

    def exists(self) -> bool:
        """Whether the account has been opened (and not reset since)."""
        with self.db.transaction(write=False) as connection:
            return connection.execute("SELECT 1 FROM account").fetchone() is not None

    def open(
        self,
        start_date: dt.date,
        rules: ExecutionRules = PAPER_RULES,
        *,
        initial_capital: float | None = None,
    ) -> bool:
        """Open the account trading from ``start_date`` (its first trading day on or after).

        ``initial_capital`` (currency) overrides ``rules.initial_capital``. Returns True if
        opened, False if the same account is already open; a different one open is a
        ``ConflictError`` (reset it first).
        """
        _require_date(start_date, "start_date")
        if initial_capital is not None:
            rules = dataclasses.replace(rules, initial_capital=initial_capital)
        with self.db.transaction(write=True) as connection:
            existing = self._account(connection)
            if existing is not None:
                if existing.start_date == start_date and existing.rules == rules:
                    return False
                raise ConflictError(
                    f"a paper account starting {existing.start_date} with other rules is "
                    "already open; reset it first"
                )
            connection.execute(
                "INSERT INTO account (id, start_date, rules, created_at, as_of) "
                "VALUES (1, ?, ?, ?, NULL)",
                (
                    start_date.isoformat(),
                    json.dumps(dataclasses.asdict(rules), sort_keys=True),
                    to_stored(self._clock(), "created_at"),
                ),
            )
        return True

    def add_signals(
        self,
        signal_date: dt.date,
        version: str,
        horizon: int,
        tickers: Sequence[str],
        scores: Sequence[float] | FloatArray,
    ) -> bool:
        """Store the signal set the account trades at the close of ``signal_date``.

        ``scores[i]`` is the predicted ``horizon``-trading-day return (fraction) of
        ``tickers[i]``; a ticker without a score is left out. One set per date: the same
        set again is a no-op returning False (ticker order does not matter); a different
        one is a ``ConflictError``, as is a date the account has already passed (its
        as-of is later) — those closes are traded. A date before the start is refused.
        """
        signal_set = _validated_signal_set(signal_date, version, horizon, tickers, scores)
        with self.db.transaction(write=True) as connection:
            account = self._require_account(connection)
            stored = self._signal_set(connection, signal_set.signal_date)
            if stored is not None:
                if stored == signal_set:
                    return False
                raise ConflictError(
                    f"another signal set is already stored for {signal_set.signal_date}"
                )
            if signal_set.signal_date < account.start_date:
                raise _invalid(
                    f"signal_date {signal_set.signal_date} is before the account's start "
                    f"{account.start_date}",
                    "signal_date",
                )
            if account.as_of is not None and signal_set.signal_date < account.as_of:
                raise ConflictError(
                    f"the account is at {account.as_of}; signals for "
                    f"{signal_set.signal_date} come too late"
                )
            connection.execute(
                "INSERT INTO signal_sets (signal_date, version, horizon, tickers, scores, "
                "added_at) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    signal_set.signal_date.isoformat(),
                    signal_set.version,
                    signal_set.horizon,
                    json.dumps(signal_set.tickers),
                    json.dumps(signal_set.scores),
                    to_stored(self._clock(), "added_at"),
                ),
            )
        return True

    def reset(self) -> None:
        """Delete the account, its signals and everything derived, in one transaction.

        The file stays (it is never deleted); :meth:`exists` is False afterwards.
        """
        with self.db.transaction(write=True) as connection:
            for table in ("account", "signal_sets", *_DERIVED_TABLES):
                connection.execute(f"DELETE FROM {table}")

    # ------------------------------------------------------------------------- rebalance

    def rebalance(
        self,
        panel_open: FloatArray,
        panel_close: FloatArray,
        tickers: Sequence[str],
        dates: DateArray,
        *,
        as_of: dt.date,
        benchmark_close: FloatArray | None = None,
    ) -> RebalanceReport:
        """Bring the account to the close of ``as_of`` and store it (module docstring).

        ``panel_open``/``panel_close`` are raw prices per share, dates × tickers (NaN = no
        bar); ``benchmark_close`` (optional) the benchmark's close per date. Only rows
        dated from the start to ``as_of`` are read, whatever else is given. Raises
        ``NotFoundError`` when no account is open, ``ConflictError`` for an ``as_of``
        before the account's, ``ValidationFailedError`` for a mismatched panel, no trading
        day in range, or a signal set dated on a day that is not a row of the panel.
        """
        _require_date(as_of, "as_of")
        panel = _panel(panel_open, panel_close, tickers, dates, benchmark_close)
        with self.db.transaction(write=True) as connection:
            account = self._require_account(connection)
            signal_sets = self._signal_sets(connection, account.start_date, as_of)
            computed = _compute(account, panel, signal_sets, as_of)
            stored_ids = {fill_id for (fill_id,) in connection.execute("SELECT fill_id FROM fills")}
            _write_state(connection, computed.state)
            connection.execute(
                "UPDATE account SET as_of = ? WHERE id = 1", (computed.as_of.isoformat(),)
            )
        fills = computed.state.fills
        fresh_ids = {fill.fill_id for fill in fills}
        return RebalanceReport(
            as_of=computed.as_of,
            new_fills=tuple(fill for fill in fills if fill.fill_id not in stored_ids),
            retracted_fill_ids=tuple(sorted(stored_ids - fresh_ids)),
            fills=len(fills),
            positions=len(computed.state.positions),
            pending_orders=len(computed.result.pending_orders),
            equity=float(computed.result.equity[-1]),
        )

    # ------------------------------------------------------------------------------ reads

    def summary(self) -> PaperSummary:
        """The account at its as-of close; ``NotFoundError`` when none is open."""
        with self.db.transaction(write=False) as connection:
            account = self._require_account(connection)
            mark = connection.execute(
                "SELECT equity, gross_equity, cash, exposure, positions FROM marks "
                "ORDER BY date DESC LIMIT 1"
            ).fetchone()
            (pending,) = connection.execute(
                "SELECT count(*) FROM orders WHERE status = ?", (ORDER_PENDING,)
            ).fetchone()
        capital = account.rules.initial_capital
        equity, gross_equity, cash, exposure, positions = (
            (capital, capital, capital, 0.0, 0) if mark is None else mark
        )
        try:
            return PaperSummary(
                start_date=account.start_date,
                as_of=account.as_of,
                rules=account.rules,
                initial_capital=capital,
                cash=float(cash),
                equity=float(equity),
                gross_equity=float(gross_equity),
                exposure=float(exposure),
                positions=int(positions),
                pending_orders=int(pending),
                net_pnl=float(equity) - capital,
                gross_pnl=float(gross_equity) - capital,
            )
        except (TypeError, ValueError) as error:
            raise self.db.corrupt_row("marks", error) from error

    def positions(self) -> tuple[PaperPosition, ...]:
        """The positions held at the as-of close, by ticker."""
        rows = self._select(f"SELECT {_POSITION_COLUMNS} FROM positions ORDER BY ticker")
        return tuple(self._decode("positions", _position_from_row, row) for row in rows)

    def fills(self) -> tuple[PaperFill, ...]:
        """Every fill of the account, by date, then entries before exits, then ticker."""
        rows = self._select(
            f"SELECT {_FILL_COLUMNS} FROM fills ORDER BY date, side, ticker, signal_date"
        )
        return tuple(self._decode("fills", _fill_from_row, row) for row in rows)

    def marks(self) -> tuple[PaperMark, ...]:
        """The account at each close from the start to as-of, oldest first."""
        rows = self._select(f"SELECT {_MARK_COLUMNS} FROM marks ORDER BY date")
        return tuple(self._decode("marks", _mark_from_row, row) for row in rows)

    def orders(self, limit: int, cursor: str | None = None) -> OrderPage:
        """Orders by signal date (newest first), then ticker; keyset pages of ``limit``.

        ``cursor`` is the previous page's ``next_cursor`` (the last order's id); a
        malformed one is a ``ValidationFailedError``.
        """
        if limit < 1:
            raise _invalid("limit must be at least 1", "limit")
        where = ""
        arguments: tuple[str, ...] = ()
        if cursor is not None:
            after_date, after_ticker = _parse_cursor(cursor)
            where = " WHERE signal_date < ? OR (signal_date = ? AND ticker > ?)"
            arguments = (after_date, after_date, after_ticker)
        rows = self._select(
            f"SELECT {_ORDER_COLUMNS} FROM orders{where} ORDER BY signal_date DESC, ticker LIMIT ?",
            (*arguments, limit + 1),
        )
        items = tuple(self._decode("orders", _order_from_row, row) for row in rows[:limit])
        return OrderPage(items, items[-1].order_id if len(rows) > limit else None)

    # -------------------------------------------------------------------------- internals

    def _select(self, sql: str, arguments: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        with self.db.transaction(write=False) as connection:
            return connection.execute(sql, tuple(arguments)).fetchall()

    def _decode(
        self, table: str, decode: Callable[[tuple[Any, ...]], _Row], row: tuple[Any, ...]
    ) -> _Row:
        try:
            return decode(row)
        except (TypeError, ValueError, KeyError, ValidationFailedError) as error:
            raise self.db.corrupt_row(table, error) from error

    def _account(self, connection: sqlite3.Connection) -> _Account | None:
        row = connection.execute("SELECT start_date, rules, as_of FROM account").fetchone()
        if row is None:
            return None
        return self._decode("account", _account_from_row, row)

    def _require_account(self, connection: sqlite3.Connection) -> _Account:
        account = self._account(connection)
        if account is None:
            raise NotFoundError("no paper account is open")
        return account

    def _signal_set(self, connection: sqlite3.Connection, day: dt.date) -> _SignalSet | None:
        row = connection.execute(
            "SELECT signal_date, version, horizon, tickers, scores FROM signal_sets "
            "WHERE signal_date = ?",
            (day.isoformat(),),
        ).fetchone()
        return None if row is None else self._decode("signal_sets", _signal_set_from_row, row)

    def _signal_sets(
        self, connection: sqlite3.Connection, first: dt.date, last: dt.date
    ) -> list[_SignalSet]:
        rows = connection.execute(
            "SELECT signal_date, version, horizon, tickers, scores FROM signal_sets "
            "WHERE signal_date >= ? AND signal_date <= ? ORDER BY signal_date",
            (first.isoformat(), last.isoformat()),
        ).fetchall()
        return [self._decode("signal_sets", _signal_set_from_row, row) for row in rows]


# ------------------------------------------------------------------ computing the account


@dataclass(frozen=True)
class _Panel:
    """The prices given to a rebalance, shapes checked, dates as ``datetime64[D]``."""

    open: FloatArray
    close: FloatArray
    tickers: tuple[str, ...]
    dates: DateArray
    benchmark: FloatArray | None


@dataclass(frozen=True)
class _Computed:
    as_of: dt.date
    """The last trading day of the data up to the requested as-of."""
    result: SimulationResult
    state: _State


def _panel(
    panel_open: FloatArray,
    panel_close: FloatArray,
    tickers: Sequence[str],
    dates: DateArray,
    benchmark_close: FloatArray | None,
) -> _Panel:
    shape = (len(dates), len(tickers))
    for name, array in (("panel_open", panel_open), ("panel_close", panel_close)):
        if np.shape(array) != shape:
            raise _invalid(f"{name} must have shape {shape} (dates × tickers)", name)
    if benchmark_close is not None and np.shape(benchmark_close) != (len(dates),):
        raise _invalid(f"benchmark_close must have {len(dates)} values", "benchmark_close")
    if len(set(tickers)) != len(tickers):
        raise _invalid("tickers must be unique", "tickers")
    return _Panel(
        open=np.asarray(panel_open, dtype=np.float64),
        close=np.asarray(panel_close, dtype=np.float64),
        tickers=tuple(tickers),
        dates=np.asarray(dates).astype("datetime64[D]"),
        benchmark=None if benchmark_close is None else np.asarray(benchmark_close, np.float64),
    )


def _compute(
    account: _Account, panel: _Panel, signal_sets: Sequence[_SignalSet], as_of: dt.date
) -> _Computed:
    """The account at the close of ``as_of`` from the rows dated start..as_of alone."""
    rows = (panel.dates >= np.datetime64(account.start_date, "D")) & (
        panel.dates <= np.datetime64(as_of, "D")
    )
    if not rows.any():
        raise _invalid(f"no trading day of the data from {account.start_date} to {as_of}", "as_of")
    window = panel.dates[rows]
    reached = _to_date(window[-1])
    if account.as_of is not None and reached < account.as_of:
        raise ConflictError(f"the account is already at {account.as_of}; {as_of} would go back")
    close = panel.close[rows]
    result = simulate(
        panel.open[rows],
        close,
        _scores(signal_sets, panel.tickers, window),
        account.rules,
        panel.tickers,
        window,
        liquidate_at_end=False,
    )
    benchmark = None if panel.benchmark is None else panel.benchmark[rows]
    return _Computed(reached, result, _state(result, close, benchmark))


def _scores(
    signal_sets: Sequence[_SignalSet], tickers: Sequence[str], window: DateArray
) -> FloatArray:
    """The stored signal sets as a dates × tickers matrix (NaN = no signal).

    Tickers not in the panel are ignored; a set dated on a day that is not a row is refused
    (data and signals disagree, and trading it on another day would change the rules).
    """
    scores = np.full((len(window), len(tickers)), np.nan)
    column = {ticker: j for j, ticker in enumerate(tickers)}
    set_days = np.array([s.signal_date for s in signal_sets], dtype="datetime64[D]")
    rows = np.searchsorted(window, set_days)
    off_days = [
        s.signal_date.isoformat()
        for s, row in zip(signal_sets, rows, strict=True)
        if row >= len(window) or window[row] != np.datetime64(s.signal_date, "D")
    ]
    if off_days:
        raise _invalid(
            f"signal sets dated on days without data: {', '.join(off_days)}", "signal_date"
        )
    for signal_set, row in zip(signal_sets, rows.tolist(), strict=True):
        known = [
            (column[t], s)
            for t, s in zip(signal_set.tickers, signal_set.scores, strict=True)
            if t in column
        ]
        if known:
            columns, values = zip(*known, strict=True)
            scores[row, list(columns)] = values
    return scores


def _state(result: SimulationResult, close: FloatArray, benchmark: FloatArray | None) -> _State:
    """The simulation at its last close as table rows."""
    return _State(
        orders=_order_rows(result),
        fills=_fills(result),
        positions=_position_rows(result, close),
        marks=_mark_rows(result, benchmark),
    )


def _fills(result: SimulationResult) -> list[PaperFill]:
    fills = result.fills
    return [
        PaperFill(
            fill_id=f"{day}:{ticker}:{side}:{signal}",
            date=dt.date.fromisoformat(day),
            ticker=ticker,
            side=side,
            signal_date=dt.date.fromisoformat(signal),
            shares=shares,
            expected_price=raw,
            fill_price=price,
            commission=commission,
        )
        for day, ticker, side, signal, shares, raw, price, commission in zip(
            _iso_dates(fills.date),
            fills.ticker.tolist(),
            fills.side.tolist(),
            _iso_dates(fills.signal_date),
            fills.shares.tolist(),
            fills.raw_price.tolist(),
            fills.fill_price.tolist(),
            fills.commission.tolist(),
            strict=True,
        )
    ]


def _order_rows(result: SimulationResult) -> list[tuple[object, ...]]:
    orders = result.orders
    return [
        (
            f"{signal}:{ticker}",
            signal,
            ticker,
            notional,
            status,
            fill_day if status == ORDER_FILLED else None,
            fill_price if status == ORDER_FILLED else None,
        )
        for signal, ticker, notional, status, fill_day, fill_price in zip(
            _iso_dates(orders.signal_date),
            orders.ticker.tolist(),
            orders.notional.tolist(),
            orders.status.tolist(),
            _iso_dates(orders.fill_date),
            orders.fill_price.tolist(),
            strict=True,
        )
    ]


def _position_rows(result: SimulationResult, close: FloatArray) -> list[tuple[object, ...]]:
    held = result.open_positions
    last_row = len(result.dates) - 1
    index = {ticker: j for j, ticker in enumerate(result.tickers)}
    columns = np.array([index[ticker] for ticker in held.ticker.tolist()], dtype=np.int64)
    # the latest close up to the as-of day (a held ticker without a bar today keeps its
    # last one), which is the price the simulation marks it at
    last_close = pd.DataFrame(close[:, columns]).ffill().to_numpy()[-1]
    due = np.where(held.stop_triggered, 1, np.maximum(held.exit_due_day - last_row, 1))
    return list(
        zip(
            held.ticker.tolist(),
            held.shares.tolist(),
            _iso_dates(held.signal_date),
            _iso_dates(held.entry_date),
            held.entry_price.tolist(),
            held.entry_open.tolist(),
            due.astype(np.int64).tolist(),
            last_close.tolist(),
            strict=True,
        )
    )


def _mark_rows(result: SimulationResult, benchmark: FloatArray | None) -> list[tuple[object, ...]]:
    count = len(result.dates)
    benchmark_values: list[float | None] = (
        [None] * count
        if benchmark is None
        else [value if math.isfinite(value) else None for value in benchmark.tolist()]
    )
    return list(
        zip(
            _iso_dates(result.dates),
            result.equity.tolist(),
            result.gross_equity.tolist(),
            result.cash.tolist(),
            result.exposure.tolist(),
            result.positions.tolist(),
            benchmark_values,
            strict=True,
        )
    )


def _write_state(connection: sqlite3.Connection, state: _State) -> None:
    """Replace the derived tables with ``state`` (inside the caller's transaction)."""
    for table in _DERIVED_TABLES:
        connection.execute(f"DELETE FROM {table}")
    connection.executemany(
        f"INSERT INTO orders ({_ORDER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)", state.orders
    )
    connection.executemany(
        f"INSERT INTO fills ({_FILL_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [_fill_row(fill) for fill in state.fills],
    )
    connection.executemany(
        f"INSERT INTO positions ({_POSITION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        state.positions,
    )
    connection.executemany(
        f"INSERT INTO marks ({_MARK_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)", state.marks
    )


# ------------------------------------------------------------------- rows in and out


def _invalid(message: str, field_name: str) -> ValidationFailedError:
    return ValidationFailedError(message, [ErrorDetail(loc=(field_name,), msg=message)])


def _require_date(value: object, field_name: str) -> None:
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise _invalid(f"{field_name} must be a date (not a datetime)", field_name)


def _to_date(value: np.datetime64) -> dt.date:
    return dt.date.fromisoformat(str(np.datetime_as_string(value, unit="D")))


def _iso_dates(values: DateArray) -> list[str]:
    return [str(day) for day in np.datetime_as_string(values.astype("datetime64[D]"), unit="D")]


def _validated_signal_set(
    signal_date: dt.date,
    version: str,
    horizon: int,
    tickers: Sequence[str],
    scores: Sequence[float] | FloatArray,
) -> _SignalSet:
    """A validated signal set, tickers sorted so that equal sets compare equal."""
    _require_date(signal_date, "signal_date")
    values = [float(score) for score in scores]
    names = [str(ticker) for ticker in tickers]
    problems = []
    if not isinstance(version, str) or not version:
        problems.append(ErrorDetail(("version",), "must be a non-empty string"))
    if isinstance(horizon, bool) or not isinstance(horizon, int) or horizon < 1:
        problems.append(ErrorDetail(("horizon",), "must be a positive number of trading days"))
    if len(values) != len(names):
        problems.append(ErrorDetail(("scores",), "must have one score per ticker"))
    if len(set(names)) != len(names) or not all(names):
        problems.append(ErrorDetail(("tickers",), "must be unique, non-empty symbols"))
    if not all(math.isfinite(value) for value in values):
        problems.append(ErrorDetail(("scores",), "must be finite (leave a ticker out instead)"))
    if problems:
        raise ValidationFailedError(f"signal set for {signal_date} is invalid", problems)
    pairs = sorted(zip(names, values, strict=True))
    return _SignalSet(
        signal_date=signal_date,
        version=version,
        horizon=horizon,
        tickers=tuple(name for name, _ in pairs),
        scores=tuple(value for _, value in pairs),
    )


def _signal_set_from_row(row: tuple[Any, ...]) -> _SignalSet:
    signal_date, version, horizon, tickers, scores = row
    return _validated_signal_set(
        dt.date.fromisoformat(signal_date),
        version,
        horizon,
        json.loads(tickers),
        json.loads(scores),
    )


def _account_from_row(row: tuple[Any, ...]) -> _Account:
    start_date, rules, as_of = row
    return _Account(
        start_date=dt.date.fromisoformat(start_date),
        rules=ExecutionRules(**json.loads(rules)),
        as_of=None if as_of is None else dt.date.fromisoformat(as_of),
    )


def _fill_row(fill: PaperFill) -> tuple[object, ...]:
    return (
        fill.fill_id,
        fill.date.isoformat(),
        fill.ticker,
        fill.side,
        fill.signal_date.isoformat(),
        fill.shares,
        fill.expected_price,
        fill.fill_price,
        fill.commission,
    )


def _fill_from_row(row: tuple[Any, ...]) -> PaperFill:
    fill_id, day, ticker, side, signal, shares, expected, price, commission = row
    if side not in _SIDES:
        raise ValueError(f"unknown side {side!r}")
    return PaperFill(
        fill_id=str(fill_id),
        date=dt.date.fromisoformat(day),
        ticker=str(ticker),
        side=side,
        signal_date=dt.date.fromisoformat(signal),
        shares=float(shares),
        expected_price=float(expected),
        fill_price=float(price),
        commission=float(commission),
    )


def _order_from_row(row: tuple[Any, ...]) -> PaperOrder:
    order_id, signal, ticker, notional, status, fill_date, fill_price = row
    if status not in _ORDER_STATUSES:
        raise ValueError(f"unknown order status {status!r}")
    return PaperOrder(
        order_id=str(order_id),
        signal_date=dt.date.fromisoformat(signal),
        ticker=str(ticker),
        notional=float(notional),
        status=status,
        fill_date=None if fill_date is None else dt.date.fromisoformat(fill_date),
        fill_price=None if fill_price is None else float(fill_price),
    )


def _position_from_row(row: tuple[Any, ...]) -> PaperPosition:
    ticker, shares, signal, entry, price, entry_open, due, last_close = row
    return PaperPosition(
        ticker=str(ticker),
        shares=float(shares),
        signal_date=dt.date.fromisoformat(signal),
        entry_date=dt.date.fromisoformat(entry),
        entry_price=float(price),
        entry_open=float(entry_open),
        exit_due_trading_days=int(due),
        last_close=float(last_close),
    )


def _mark_from_row(row: tuple[Any, ...]) -> PaperMark:
    day, equity, gross_equity, cash, exposure, positions, benchmark = row
    return PaperMark(
        date=dt.date.fromisoformat(day),
        equity=float(equity),
        gross_equity=float(gross_equity),
        cash=float(cash),
        exposure=float(exposure),
        positions=int(positions),
        benchmark=None if benchmark is None else float(benchmark),
    )


def _parse_cursor(cursor: str) -> tuple[str, str]:
    """``signal_date:ticker`` (an order id) → the keyset to continue after."""
    day, separator, ticker = cursor.partition(":")
    try:
        dt.date.fromisoformat(day)
    except ValueError:
        separator = ""
    if not separator or not ticker:
        raise _invalid(f"cursor {cursor!r} is not an order id", "cursor")
    return day, ticker
