"""The one execution model: next-open fills, costs, fixed holding, position limits.

Shared by the backtest and (later) the paper trader, so the trading rules exist once.
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
  commission like any sale.
- Gross figures use the same trades and shares at the raw prices with no commission;
  a trade's ``costs`` are its commissions plus its slippage (shares × |fill − raw|), so
  gross − net final equity = Σ costs.
- Equity is marked at each day's close; a held ticker without a close that day is
  marked at its last close.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

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


@dataclass(frozen=True, eq=False)
class SimulationResult:
    """Per-day figures at each close (arrays of ``len(dates)``) and the trades.

    ``equity``/``cash`` are net; ``gross_equity``/``gross_cash`` the same trades at raw
    prices without commission. ``exposure`` is the held market value over net equity
    (0..1), ``positions`` the count held at the close, ``traded_notional`` the filled
    notional bought plus sold that day (net fills).
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
        self.ordered[ticker] = False
        fill = raw * self.buy_factor
        affordable = self.cash / (1.0 + self.commission)
        notional = min(float(self.order_notional[ticker]), affordable)
        if notional <= 0.0:
            return
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
            book.ordered[ticker] = False
            continue
        book.buy(ticker, float(market.open[day, ticker]), day)
        room -= int(book.held[ticker])


def _close_exits(book: _Book, market: _Market, day: int, last_day: bool) -> None:
    """Delisted positions (data ends today) and, on the last day, every position."""
    held = np.flatnonzero(book.held)
    if last_day:
        book.ordered[:] = False
        if held.size:
            reasons = np.full(held.size, EXIT_END_OF_BACKTEST)
            book.sell(held, market.mark[day, held], day, reasons)
        return
    # an order that found no bar for ORDER_EXPIRY_TRADING_DAYS mornings is cancelled (a
    # rule that needs no knowledge of whether the ticker will ever trade again)
    book.ordered &= day - book.order_day < ORDER_EXPIRY_TRADING_DAYS
    if held.size:
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
    book.ordered[chosen] = True
    book.order_notional[chosen] = size * equity
    book.order_day[chosen] = day
    book.order_rank[chosen] = day * len(book.held) + np.arange(chosen.size)


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
) -> SimulationResult:
    """Trade ``scores`` under ``rules`` over the dates × tickers price panel.

    ``open_``/``close`` are raw prices per share (NaN = no row that day); ``scores[t, j]``
    is the predicted ``holding_period``-day return (fraction) known at the close of
    trading day t. Returns the per-day net and gross figures and the trades (module
    docstring: the rules). Raises ``ValidationFailedError`` on mismatched shapes.
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
        _close_exits(book, market, day, last_day)
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
        if last_day:
            break
        _check_stops(book, market, day)
        _place_orders(book, market, scores, day, equity=equity, peak=peak)
    return _result(book, daily, rules, tickers, dates)


def _result(
    book: _Book, daily: FloatArray, rules: ExecutionRules, tickers: Sequence[str], dates: DateArray
) -> SimulationResult:
    equity, gross_equity, cash, gross_cash, value, traded, held = daily
    chunks = book.trades
    names = np.asarray(tickers, dtype=np.str_)
    day_dates = np.asarray(dates).astype("datetime64[D]")

    def on_dates(name: str) -> DateArray:
        return day_dates[chunks.get(name, np.int64).astype(np.int64)]

    def floats(name: str) -> FloatArray:
        return chunks.get(name, np.float64).astype(np.float64)

    trades = Trades(
        ticker=names[chunks.get("ticker", np.int64).astype(np.int64)],
        signal_date=on_dates("signal_day"),
        entry_date=on_dates("entry_day"),
        entry_price=floats("entry_price"),
        exit_date=on_dates("exit_day"),
        exit_price=floats("exit_price"),
        shares=floats("shares"),
        gross_pnl=floats("gross_pnl"),
        costs=floats("costs"),
        net_pnl=floats("net_pnl"),
        trade_return=floats("trade_return"),
        exit_reason=chunks.get("exit_reason", np.str_).astype(np.str_),
    )
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
    )
