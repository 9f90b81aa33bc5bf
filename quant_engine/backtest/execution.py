"""The one execution model: next-open fills, costs, fixed holding, position limits.

Shared by the backtest and the paper trader (:mod:`quant_engine.autopilot.paper`), so the
trading rules exist once.
Everything is indexed by the trading days of the data (rows of the panel).

Rules (DESIGN.md section 6, issue 12 "Execution and accounting"):

- ``scores[t, j]`` is the predicted ``holding_period``-day return known at the close of
  day t (NaN = no signal). Orders decided at the close of t fill at the **open of t+1**.
- At the close of t, the free slots (``max_positions`` minus the positions that will
  still be held after the next morning's scheduled exits, minus unfilled orders) go to
  the highest scores ``>= entry_threshold`` among tickers neither held nor ordered.
  Each order is for a filled notional of ``position_size`` × net equity at the close of
  t (half that while the drawdown brake is on). Shares are fractional:
  ``shares = notional / fill price``; commission is paid on top of the notional.
- Buys fill at ``open × (1 + slippage)``, sells at ``open × (1 − slippage)`` (sales at a
  close likewise); commission is ``commission_bps`` of the filled notional.
- No leverage: each morning, exits are filled first, then entries in score order; an
  entry whose notional plus commission exceeds the cash left is reduced to fit (and
  dropped when no cash is left). Cash earns nothing; long only.
- A position entered at the open of day e exits at the open of day ``e + holding_period``
  (``holding_period``); with a stop-loss, a close below ``raw entry open × (1 − stop)``
  exits at the next open (``stop_loss``). A ticker without a bar (finite open and close)
  on its fill or exit day fills at its next available open; an order that finds no bar
  for :data:`ORDER_EXPIRY_TRADING_DAYS` mornings is cancelled (entries are chosen without
  knowing whether a ticker trades again: that would be the future); a ticker whose data
  ends while held exits at its last close (``delisted``). The
  last day closes every position at that day's close (``end_of_backtest``; a ticker
  without a bar that day at its last close). These close exits pay slippage and
  commission like any sale. With ``liquidate_at_end=False`` (the paper trader's view of
  an account that goes on) the last day is an ordinary day seen from its close: nothing is
  liquidated, and nobody can know yet whether a ticker trades again, so there are no
  ``delisted`` exits that day either; stops and orders are decided as on any day and stay
  pending.
- Gross figures use the same trades and shares at the raw prices with no commission;
  a trade's ``costs`` are its commissions plus its slippage (shares × |fill − raw|), so
  gross − net final equity = Σ costs.
- Equity is marked at each day's close; a held ticker without a close that day is
  marked at its last close.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import TypeVar

import numpy as np
import numpy.typing as npt
import pandas as pd

from quant_engine.core.errors import ErrorDetail, ValidationFailedError
from quant_engine.data.models import DateArray, FloatArray

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

BPS = 1e-4
"""One basis point as a fraction."""

DRAWDOWN_BRAKE_FACTOR = 0.5
"""New positions are sized at this fraction while the drawdown brake is on."""

EXIT_HOLDING_PERIOD = "holding_period"
EXIT_STOP_LOSS = "stop_loss"
EXIT_DELISTED = "delisted"
EXIT_END_OF_BACKTEST = "end_of_backtest"
EXIT_REASONS = (EXIT_HOLDING_PERIOD, EXIT_STOP_LOSS, EXIT_DELISTED, EXIT_END_OF_BACKTEST)

SIDE_BUY = "buy"
SIDE_SELL = "sell"

ORDER_PENDING = "pending"
"""Decided at a close, not filled yet (only at the end of a run that does not liquidate)."""
ORDER_FILLED = "filled"
ORDER_EXPIRED = "expired"
"""No bar for :data:`ORDER_EXPIRY_TRADING_DAYS` mornings."""
ORDER_CANCELLED = "cancelled"
"""No free slot or no cash left at the fill, or the run ended and liquidated."""
ORDER_STATUSES = (ORDER_PENDING, ORDER_FILLED, ORDER_EXPIRED, ORDER_CANCELLED)

_NEVER = np.iinfo(np.int64).max


def _invalid(message: str, field_name: str) -> ValidationFailedError:
    return ValidationFailedError(message, [ErrorDetail(loc=(field_name,), msg=message)])


@dataclass(frozen=True)
class ExecutionRules:
    """How signals become trades. Periods in trading days, costs in basis points."""

    holding_period: int = 10
    """Trading days each position is held (1..63)."""
    max_positions: int = 10
    """Most positions held at once (1..500)."""
    entry_threshold: float = 0.01
    """Predicted ``holding_period``-day return (fraction) needed to enter."""
    position_size: float = 0.1
    """Filled notional of a new position as a fraction of net equity at the close of the
    signal day, in (0, 1]."""
    commission_bps: float = 1.0
    """Commission in basis points of the filled notional, on buys and sells."""
    slippage_bps: float = 5.0
    """Buys fill this many basis points above the raw price, sells below."""
    initial_capital: float = 1_000_000.0
    """Starting cash (source currency)."""
    stop_loss: float | None = None
    """Exit at the next open once a close is this fraction below the raw entry open."""
    drawdown_brake: float | None = None
    """Size new positions at half while net equity is more than this fraction below its
    running peak."""

    def __post_init__(self) -> None:
        checks = (
            (1 <= self.holding_period <= 63, "holding_period", "must be in 1..63"),
            (1 <= self.max_positions <= 500, "max_positions", "must be in 1..500"),
            (np.isfinite(self.entry_threshold), "entry_threshold", "must be finite"),
            (0.0 < self.position_size <= 1.0, "position_size", "must be in (0, 1]"),
            (0.0 <= self.commission_bps < 10_000, "commission_bps", "must be in [0, 10000)"),
            (0.0 <= self.slippage_bps < 10_000, "slippage_bps", "must be in [0, 10000)"),
            (
                np.isfinite(self.initial_capital) and self.initial_capital > 0,
                "initial_capital",
                "must be > 0",
            ),
            (
                self.stop_loss is None or 0.0 < self.stop_loss < 1.0,
                "stop_loss",
                "must be in (0, 1)",
            ),
            (
                self.drawdown_brake is None or 0.0 < self.drawdown_brake < 1.0,
                "drawdown_brake",
                "must be in (0, 1)",
            ),
        )
        for ok, name, message in checks:
            if not ok:
                raise _invalid(f"{name} {message}", name)


@dataclass(frozen=True, eq=False)
class Trades:
    """One row per closed position (columns as arrays of equal length).

    Prices are the net fills (slippage included); ``gross_pnl`` is
    ``shares × (raw exit − raw entry)``; ``costs`` are commissions plus slippage on both
    legs; ``net_pnl = gross_pnl − costs``; ``trade_return`` is ``net_pnl`` over the
    filled entry notional (``shares × entry_price``). ``signal_date`` is the close at
    which the entry was decided.
    """

    ticker: npt.NDArray[np.str_]
    signal_date: DateArray
    entry_date: DateArray
    entry_price: FloatArray
    exit_date: DateArray
    exit_price: FloatArray
    shares: FloatArray
    gross_pnl: FloatArray
    costs: FloatArray
    net_pnl: FloatArray
    trade_return: FloatArray
    exit_reason: npt.NDArray[np.str_]

    def __len__(self) -> int:
        return len(self.ticker)

    def to_frame(self) -> pd.DataFrame:
        """The trades as a DataFrame; ``trade_return`` is named ``return`` there."""
        return pd.DataFrame(
            {
                "ticker": self.ticker,
                "signal_date": self.signal_date,
                "entry_date": self.entry_date,
                "entry_price": self.entry_price,
                "exit_date": self.exit_date,
                "exit_price": self.exit_price,
                "shares": self.shares,
                "gross_pnl": self.gross_pnl,
                "costs": self.costs,
                "net_pnl": self.net_pnl,
                "return": self.trade_return,
                "exit_reason": self.exit_reason,
            }
        )


_EMPTY_DATES: DateArray = np.empty(0, dtype="datetime64[D]")


@dataclass(frozen=True, eq=False)
class Fills:
    """One row per fill (entries and exits) in the order they happened.

    Each day: exits at the open, entries at the open in score order, then exits at the
    close. ``raw_price`` is the open (or close) the fill was expected at, ``fill_price``
    the same with slippage, ``commission`` in currency; ``signal_date`` is the close at
    which the position's entry was decided (it names the position).
    """

    date: DateArray
    ticker: npt.NDArray[np.str_]
    side: npt.NDArray[np.str_]
    signal_date: DateArray
    shares: FloatArray
    raw_price: FloatArray
    fill_price: FloatArray
    commission: FloatArray

    def __len__(self) -> int:
        return len(self.ticker)

    @classmethod
    def empty(cls) -> Fills:
        """No fills."""
        no_text = np.empty(0, dtype=np.str_)
        no_float = np.empty(0)
        return cls(
            _EMPTY_DATES, no_text, no_text, _EMPTY_DATES, no_float, no_float, no_float, no_float
        )

    def to_frame(self) -> pd.DataFrame:
        """The fills as a DataFrame, one column per field."""
        return _frame(self)


@dataclass(frozen=True, eq=False)
class Orders:
    """One row per order decided at a close, in the order decided (score order each day).

    ``notional`` is the filled notional aimed at (currency; an entry may be reduced to the
    cash left); ``status`` one of :data:`ORDER_STATUSES`; ``fill_date``/``fill_price``
    (net of slippage) are NaT/NaN unless filled.
    """

    ticker: npt.NDArray[np.str_]
    signal_date: DateArray
    notional: FloatArray
    status: npt.NDArray[np.str_]
    fill_date: DateArray
    fill_price: FloatArray

    def __len__(self) -> int:
        return len(self.ticker)

    @classmethod
    def empty(cls) -> Orders:
        """No orders."""
        no_text = np.empty(0, dtype=np.str_)
        return cls(no_text, _EMPTY_DATES, np.empty(0), no_text, _EMPTY_DATES, np.empty(0))

    def to_frame(self) -> pd.DataFrame:
        """The orders as a DataFrame, one column per field."""
        return _frame(self)


@dataclass(frozen=True, eq=False)
class OpenPositions:
    """The positions held at the last close (none when the run liquidates at the end).

    ``entry_price`` is the net fill, ``entry_open`` the raw open it filled at (the stop
    is measured from it). ``exit_due_day`` is the row of the trading day at whose open
    the position is due to exit (it may lie past the last row: that day is not in the
    data yet); ``stop_triggered`` means a stop was hit and it exits at the next open.
    """

    ticker: npt.NDArray[np.str_]
    signal_date: DateArray
    entry_date: DateArray
    shares: FloatArray
    entry_price: FloatArray
    entry_open: FloatArray
    exit_due_day: IntArray
    stop_triggered: BoolArray

    def __len__(self) -> int:
        return len(self.ticker)

    @classmethod
    def empty(cls) -> OpenPositions:
        """No positions."""
        no_text = np.empty(0, dtype=np.str_)
        no_float = np.empty(0)
        return cls(
            no_text,
            _EMPTY_DATES,
            _EMPTY_DATES,
            no_float,
            no_float,
            no_float,
            np.empty(0, dtype=np.int64),
            np.empty(0, dtype=np.bool_),
        )

    def to_frame(self) -> pd.DataFrame:
        """The open positions as a DataFrame, one column per field."""
        return _frame(self)


_Table = TypeVar("_Table", Fills, Orders, OpenPositions)


def _rows(table: _Table, keep: BoolArray) -> _Table:
    """The rows of a column table where ``keep`` is true (same type)."""
    return dataclasses.replace(
        table, **{column.name: getattr(table, column.name)[keep] for column in fields(table)}
    )


def _frame(table: _Table) -> pd.DataFrame:
    return pd.DataFrame({column.name: getattr(table, column.name) for column in fields(table)})


@dataclass(frozen=True, eq=False)
class SimulationResult:
    """Per-day figures at each close (arrays of ``len(dates)``) and the trades.

    ``equity``/``cash`` are net; ``gross_equity``/``gross_cash`` the same trades at raw
    prices without commission. ``exposure`` is the held market value over net equity
    (0..1), ``positions`` the count held at the close, ``traded_notional`` the filled
    notional bought plus sold that day (net fills). ``fills`` and ``orders`` list every
    fill and order; ``open_positions`` is the book at the last close (empty when the run
    liquidates at the end, as a backtest does).
    """

    dates: DateArray
    tickers: tuple[str, ...]
    rules: ExecutionRules
    equity: FloatArray
    gross_equity: FloatArray
    cash: FloatArray
    gross_cash: FloatArray
    exposure: FloatArray
    positions: IntArray
    traded_notional: FloatArray
    trades: Trades
    fills: Fills = field(default_factory=Fills.empty)
    orders: Orders = field(default_factory=Orders.empty)
    open_positions: OpenPositions = field(default_factory=OpenPositions.empty)

    @property
    def pending_orders(self) -> Orders:
        """The orders decided at a close and not filled by the last day (they fill at the
        next opens); empty when the run liquidates at the end."""
        return _rows(self.orders, self.orders.status == ORDER_PENDING)


@dataclass
class _Chunks:
    """Trade columns gathered per exit batch, concatenated once at the end."""

    columns: dict[str, list[npt.NDArray[np.generic]]] = field(default_factory=dict)

    def add(self, **values: npt.NDArray[np.generic]) -> None:
        for name, value in values.items():
            self.columns.setdefault(name, []).append(value)

    def get(self, name: str, dtype: npt.DTypeLike) -> npt.NDArray[np.generic]:
        parts = self.columns.get(name)
        return np.concatenate(parts) if parts else np.empty(0, dtype=dtype)


class _Book:
    """The portfolio state while the simulation walks forward one day at a time."""

    def __init__(self, n_tickers: int, rules: ExecutionRules) -> None:
        self.rules = rules
        self.buy_factor = 1.0 + rules.slippage_bps * BPS
        self.sell_factor = 1.0 - rules.slippage_bps * BPS
        self.commission = rules.commission_bps * BPS
        self.cash = rules.initial_capital
        self.gross_cash = rules.initial_capital
        self.traded = 0.0
        self.shares = np.zeros(n_tickers)
        self.held = np.zeros(n_tickers, dtype=np.bool_)
        self.entry_day = np.zeros(n_tickers, dtype=np.int64)
        self.signal_day = np.zeros(n_tickers, dtype=np.int64)
        self.exit_due = np.full(n_tickers, _NEVER, dtype=np.int64)
        self.entry_raw = np.zeros(n_tickers)
        self.entry_costs = np.zeros(n_tickers)
        self.stopped = np.zeros(n_tickers, dtype=np.bool_)
        self.ordered = np.zeros(n_tickers, dtype=np.bool_)
        self.order_notional = np.zeros(n_tickers)
        self.order_day = np.zeros(n_tickers, dtype=np.int64)
        self.order_rank = np.zeros(n_tickers, dtype=np.int64)
        self.trades = _Chunks()
        self.fills = _Chunks()
        self.placed = _Chunks()
        """Orders as decided: ticker, signal day, notional."""
        self.resolved = _Chunks()
        """How orders ended: ticker, signal day, status, fill day, fill price."""

    def place(self, tickers: IntArray, day: int, notional: float) -> None:
        """Order ``tickers`` (in score order) at the close of ``day`` for the next open."""
        self.ordered[tickers] = True
        self.order_notional[tickers] = notional
        self.order_day[tickers] = day
        self.order_rank[tickers] = day * len(self.held) + np.arange(tickers.size)
        self.placed.add(
            ticker=tickers,
            signal_day=np.full(tickers.size, day, dtype=np.int64),
            notional=np.full(tickers.size, notional),
        )

    def resolve(self, tickers: IntArray, status: str, day: int = -1, price: float = np.nan) -> None:
        """End the orders for ``tickers`` with ``status`` (filled on ``day`` at ``price``)."""
        self.ordered[tickers] = False
        self.resolved.add(
            ticker=tickers,
            signal_day=self.order_day[tickers],
            status=np.full(tickers.size, status),
            fill_day=np.full(tickers.size, day, dtype=np.int64),
            fill_price=np.full(tickers.size, price),
        )

    def record_fills(  # noqa: PLR0917 - one column each, as in the fills table
        self,
        tickers: IntArray,
        day: int,
        side: str,
        shares: FloatArray,
        raw: FloatArray,
        fill: FloatArray,
        commission: FloatArray,
    ) -> None:
        self.fills.add(
            day=np.full(tickers.size, day, dtype=np.int64),
            ticker=tickers,
            side=np.full(tickers.size, side),
            signal_day=self.signal_day[tickers],
            shares=shares,
            raw_price=raw,
            fill_price=fill,
            commission=commission,
        )

    def sell(
        self, tickers: IntArray, raw: FloatArray, day: int, reasons: npt.NDArray[np.str_]
    ) -> None:
        """Close the positions in ``tickers`` at raw prices ``raw`` on trading day ``day``."""
        shares = self.shares[tickers]
        fill = raw * self.sell_factor
        proceeds = shares * fill
        commission = proceeds * self.commission
        self.cash += float(proceeds.sum() - commission.sum())
        self.gross_cash += float((shares * raw).sum())
        self.traded += float(proceeds.sum())
        entry_raw = self.entry_raw[tickers]
        entry_fill = entry_raw * self.buy_factor
        costs = self.entry_costs[tickers] + commission + shares * (raw - fill)
        gross_pnl = shares * (raw - entry_raw)
        net_pnl = gross_pnl - costs
        self.record_fills(tickers, day, SIDE_SELL, shares, raw, fill, commission)
        self.trades.add(
            ticker=tickers,
            signal_day=self.signal_day[tickers],
            entry_day=self.entry_day[tickers],
            entry_price=entry_fill,
            exit_day=np.full(len(tickers), day, dtype=np.int64),
            exit_price=fill,
            shares=shares,
            gross_pnl=gross_pnl,
            costs=costs,
            net_pnl=net_pnl,
            trade_return=net_pnl / (shares * entry_fill),
            exit_reason=reasons,
        )
        self.shares[tickers] = 0.0
        self.held[tickers] = False
        self.stopped[tickers] = False
        self.exit_due[tickers] = _NEVER

    def buy(self, ticker: int, raw: float, day: int) -> None:
        """Fill the order for ``ticker`` at raw open ``raw``, reduced to the cash left."""
        which = np.array([ticker], dtype=np.int64)
        fill = raw * self.buy_factor
        affordable = self.cash / (1.0 + self.commission)
        notional = min(float(self.order_notional[ticker]), affordable)
        if notional <= 0.0:
            self.resolve(which, ORDER_CANCELLED)
            return
        self.resolve(which, ORDER_FILLED, day, fill)
        shares = notional / fill
        commission = notional * self.commission
        # Reduced to fit: every cent is spent; set 0 exactly so rounding leaves no dust
        # for a later order to buy a sliver of a position with.
        self.cash = 0.0 if notional == affordable else self.cash - notional - commission
        self.gross_cash -= shares * raw
        self.traded += notional
        self.shares[ticker] = shares
        self.held[ticker] = True
        self.entry_day[ticker] = day
        self.signal_day[ticker] = self.order_day[ticker]
        self.exit_due[ticker] = day + self.rules.holding_period
        self.entry_raw[ticker] = raw
        self.entry_costs[ticker] = commission + shares * (fill - raw)
        self.record_fills(
            which,
            day,
            SIDE_BUY,
            np.array([shares]),
            np.array([raw]),
            np.array([fill]),
            np.array([commission]),
        )


ORDER_EXPIRY_TRADING_DAYS = 5
"""Mornings an order may wait for a bar (a gap in the data) before it is cancelled."""


@dataclass(frozen=True, eq=False)
class _Market:
    """Precomputed views of the price panel."""

    open: FloatArray
    close: FloatArray
    mark: FloatArray
    """Close forward-filled along dates (the last finite close), NaN before the first."""
    tradable: BoolArray
    """A bar exists: finite open and close."""
    last_bar: IntArray
    """Per ticker, the last trading day with a bar (-1 when none)."""
    eligible: BoolArray
    """Scores finite and >= the threshold (nothing about later bars: that is the future)."""


def _market(
    open_: FloatArray, close: FloatArray, scores: FloatArray, rules: ExecutionRules
) -> _Market:
    tradable = np.isfinite(open_) & np.isfinite(close)
    n_days, n_tickers = tradable.shape
    day_index = np.arange(n_days)[:, None]
    last_bar = np.where(tradable, day_index, -1).max(axis=0, initial=-1)
    last_close = np.maximum.accumulate(np.where(np.isfinite(close), day_index, -1), axis=0)
    mark = np.where(last_close >= 0, close[np.maximum(last_close, 0), np.arange(n_tickers)], np.nan)
    with np.errstate(invalid="ignore"):
        eligible = np.isfinite(scores) & (scores >= rules.entry_threshold)
    return _Market(
        open=open_,
        close=close,
        mark=mark,
        tradable=tradable,
        last_bar=last_bar.astype(np.int64),
        eligible=eligible,
    )


def _morning(book: _Book, market: _Market, day: int) -> None:
    """Fill the exits due, then the pending orders, at the open of ``day``."""
    held = np.flatnonzero(book.held)
    if held.size:
        due = (book.exit_due[held] <= day) | book.stopped[held]
        exiting = held[due & market.tradable[day, held]]
        if exiting.size:
            reasons = np.where(book.stopped[exiting], EXIT_STOP_LOSS, EXIT_HOLDING_PERIOD)
            book.sell(exiting, market.open[day, exiting], day, reasons)
    ordered = np.flatnonzero(book.ordered)
    if not ordered.size:
        return
    fillable = ordered[market.tradable[day, ordered]]
    fillable = fillable[np.argsort(book.order_rank[fillable], kind="stable")]
    room = book.rules.max_positions - int(book.held.sum())
    for ticker in fillable.tolist():
        if room <= 0:
            book.resolve(np.array([ticker], dtype=np.int64), ORDER_CANCELLED)
            continue
        book.buy(ticker, float(market.open[day, ticker]), day)
        room -= int(book.held[ticker])


def _close_exits(
    book: _Book, market: _Market, day: int, *, last_day: bool, liquidate: bool
) -> None:
    """Delisted positions (data ends today) and, on the last day, every position.

    On the last day of a run that does not liquidate, nothing closes: whether a ticker's
    data ends today is the future there.
    """
    held = np.flatnonzero(book.held)
    if last_day and liquidate:
        book.resolve(np.flatnonzero(book.ordered), ORDER_CANCELLED)
        if held.size:
            reasons = np.full(held.size, EXIT_END_OF_BACKTEST)
            book.sell(held, market.mark[day, held], day, reasons)
        return
    # an order that found no bar for ORDER_EXPIRY_TRADING_DAYS mornings is cancelled (a
    # rule that needs no knowledge of whether the ticker will ever trade again)
    expired = book.ordered & (day - book.order_day >= ORDER_EXPIRY_TRADING_DAYS)
    book.resolve(np.flatnonzero(expired), ORDER_EXPIRED)
    if held.size and not last_day:
        ending = held[market.last_bar[held] == day]
        if ending.size:
            reasons = np.full(ending.size, EXIT_DELISTED)
            book.sell(ending, market.close[day, ending], day, reasons)


def _check_stops(book: _Book, market: _Market, day: int) -> None:
    stop = book.rules.stop_loss
    if stop is None:
        return
    held = np.flatnonzero(book.held & ~book.stopped)
    if not held.size:
        return
    with np.errstate(invalid="ignore"):
        hit = market.close[day, held] < book.entry_raw[held] * (1.0 - stop)
    hit &= book.exit_due[held] > day + 1
    book.stopped[held[hit]] = True


def _place_orders(
    book: _Book, market: _Market, scores: FloatArray, day: int, *, equity: float, peak: float
) -> None:
    """Orders at the close of ``day`` for the open of ``day + 1``."""
    rules = book.rules
    held = np.flatnonzero(book.held)
    leaving = int(((book.exit_due[held] <= day + 1) | book.stopped[held]).sum())
    slots = rules.max_positions - (held.size - leaving) - int(book.ordered.sum())
    if slots <= 0:
        return
    candidates = np.flatnonzero(market.eligible[day] & ~book.held & ~book.ordered)
    if not candidates.size:
        return
    order = np.argsort(-scores[day, candidates], kind="stable")[:slots]
    chosen = candidates[order]
    size = rules.position_size
    if rules.drawdown_brake is not None and equity < (1.0 - rules.drawdown_brake) * peak:
        size *= DRAWDOWN_BRAKE_FACTOR
    book.place(chosen, day, size * equity)


def _check_inputs(
    open_: FloatArray,
    close: FloatArray,
    scores: FloatArray,
    tickers: Sequence[str],
    dates: DateArray,
) -> None:
    shape = (len(dates), len(tickers))
    for name, array in (("open", open_), ("close", close), ("scores", scores)):
        if array.shape != shape:
            raise _invalid(
                f"{name} must have shape {shape} (dates × tickers), got {array.shape}", name
            )
    if len(dates) == 0:
        raise _invalid("at least one trading day is needed", "dates")
    if len(dates) > 1 and not bool(np.all(np.diff(dates) > np.timedelta64(0))):
        raise _invalid("dates must be strictly increasing", "dates")


def simulate(  # noqa: PLR0917 - the shared signature the paper trader calls positionally
    open_: FloatArray,
    close: FloatArray,
    scores: FloatArray,
    rules: ExecutionRules,
    tickers: Sequence[str],
    dates: DateArray,
    *,
    liquidate_at_end: bool = True,
) -> SimulationResult:
    """Trade ``scores`` under ``rules`` over the dates × tickers price panel.

    ``open_``/``close`` are raw prices per share (NaN = no row that day); ``scores[t, j]``
    is the predicted ``holding_period``-day return (fraction) known at the close of
    trading day t. Returns the per-day net and gross figures, the trades, fills and
    orders (module docstring: the rules). ``liquidate_at_end=False`` leaves the book as
    it stands at the last close (the paper trader's account): positions stay open and
    the orders decided that evening stay pending, in ``open_positions`` and
    ``pending_orders``. Raises ``ValidationFailedError`` on mismatched shapes.
    """
    _check_inputs(open_, close, scores, tickers, dates)
    open_ = np.asarray(open_, dtype=np.float64)
    close = np.asarray(close, dtype=np.float64)
    scores = np.asarray(scores, dtype=np.float64)
    market = _market(open_, close, scores, rules)
    n_days = len(dates)
    book = _Book(len(tickers), rules)
    daily = np.zeros((7, n_days))
    peak = rules.initial_capital
    for day in range(n_days):
        book.traded = 0.0
        _morning(book, market, day)
        last_day = day == n_days - 1
        _close_exits(book, market, day, last_day=last_day, liquidate=liquidate_at_end)
        held = np.flatnonzero(book.held)
        value = float(book.shares[held] @ market.mark[day, held])
        equity = book.cash + value
        daily[:, day] = (
            equity,
            book.gross_cash + value,
            book.cash,
            book.gross_cash,
            value,
            book.traded,
            held.size,
        )
        peak = max(peak, equity)
        if last_day and liquidate_at_end:
            break
        _check_stops(book, market, day)
        _place_orders(book, market, scores, day, equity=equity, peak=peak)
    return _result(book, daily, rules, tickers, dates)


@dataclass(frozen=True)
class _Reader:
    """Reads gathered columns back as typed arrays, turning rows into dates and tickers."""

    chunks: _Chunks
    names: npt.NDArray[np.str_]
    day_dates: DateArray

    def ints(self, name: str) -> IntArray:
        return self.chunks.get(name, np.int64).astype(np.int64)

    def floats(self, name: str) -> FloatArray:
        return self.chunks.get(name, np.float64).astype(np.float64)

    def text(self, name: str) -> npt.NDArray[np.str_]:
        return self.chunks.get(name, np.str_).astype(np.str_)

    def dates(self, name: str) -> DateArray:
        return self.day_dates[self.ints(name)]

    def tickers(self) -> npt.NDArray[np.str_]:
        return self.names[self.ints("ticker")]


def _result(
    book: _Book, daily: FloatArray, rules: ExecutionRules, tickers: Sequence[str], dates: DateArray
) -> SimulationResult:
    equity, gross_equity, cash, gross_cash, value, traded, held = daily
    names = np.asarray(tickers, dtype=np.str_)
    day_dates = np.asarray(dates).astype("datetime64[D]")
    read = _Reader(book.trades, names, day_dates)
    trades = Trades(
        ticker=read.tickers(),
        signal_date=read.dates("signal_day"),
        entry_date=read.dates("entry_day"),
        entry_price=read.floats("entry_price"),
        exit_date=read.dates("exit_day"),
        exit_price=read.floats("exit_price"),
        shares=read.floats("shares"),
        gross_pnl=read.floats("gross_pnl"),
        costs=read.floats("costs"),
        net_pnl=read.floats("net_pnl"),
        trade_return=read.floats("trade_return"),
        exit_reason=read.text("exit_reason"),
    )
    fills = _Reader(book.fills, names, day_dates)
    return SimulationResult(
        dates=day_dates,
        tickers=tuple(tickers),
        rules=rules,
        equity=equity,
        gross_equity=gross_equity,
        cash=cash,
        gross_cash=gross_cash,
        exposure=np.divide(value, equity, out=np.zeros_like(value), where=equity > 0),
        positions=held.astype(np.int64),
        traded_notional=traded,
        trades=trades,
        fills=Fills(
            date=fills.dates("day"),
            ticker=fills.tickers(),
            side=fills.text("side"),
            signal_date=fills.dates("signal_day"),
            shares=fills.floats("shares"),
            raw_price=fills.floats("raw_price"),
            fill_price=fills.floats("fill_price"),
            commission=fills.floats("commission"),
        ),
        orders=_orders(
            _Reader(book.placed, names, day_dates), _Reader(book.resolved, names, day_dates)
        ),
        open_positions=_open_positions(book, names, day_dates),
    )


def _orders(placed: _Reader, resolved: _Reader) -> Orders:
    """Every order as decided, with how it ended (``pending`` if it has not)."""
    n_tickers = len(placed.names)
    placed_keys = placed.ints("signal_day") * n_tickers + placed.ints("ticker")
    resolved_keys = resolved.ints("signal_day") * n_tickers + resolved.ints("ticker")
    count = placed_keys.size
    status = np.full(count, ORDER_PENDING).astype(np.str_)
    fill_day = np.full(count, -1, dtype=np.int64)
    fill_price = np.full(count, np.nan)
    if resolved_keys.size:
        # each order ends at most once: match the two tables on (signal day, ticker)
        by_key = np.argsort(resolved_keys, kind="stable")
        at = np.minimum(np.searchsorted(resolved_keys[by_key], placed_keys), by_key.size - 1)
        match = by_key[at]
        found = resolved_keys[match] == placed_keys
        status = np.where(found, resolved.text("status")[match], status)
        fill_day = np.where(found, resolved.ints("fill_day")[match], fill_day)
        fill_price = np.where(found, resolved.floats("fill_price")[match], fill_price)
    fill_date = np.full(count, np.datetime64("NaT"), dtype="datetime64[D]")
    filled = fill_day >= 0
    fill_date[filled] = placed.day_dates[fill_day[filled]]
    return Orders(
        ticker=placed.tickers(),
        signal_date=placed.dates("signal_day"),
        notional=placed.floats("notional"),
        status=status.astype(np.str_),
        fill_date=fill_date,
        fill_price=fill_price,
    )


def _open_positions(
    book: _Book, names: npt.NDArray[np.str_], day_dates: DateArray
) -> OpenPositions:
    held = np.flatnonzero(book.held)
    return OpenPositions(
        ticker=names[held],
        signal_date=day_dates[book.signal_day[held]],
        entry_date=day_dates[book.entry_day[held]],
        shares=book.shares[held].copy(),
        entry_price=book.entry_raw[held] * book.buy_factor,
        entry_open=book.entry_raw[held].copy(),
        exit_due_day=book.exit_due[held].copy(),
        stop_triggered=book.stopped[held].copy(),
    )
