"""The stock universe as one dates × tickers panel of float64 arrays.

A :class:`Panel` is what every research engine (features, labels, universe, training,
backtests) computes on: one row per trading day of the data, one column per stock.
Dates are the union of the stocks' stored dates, so a ticker that did not trade on a day
(not yet listed, delisted, or a gap in its history) holds NaN on that row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from quant_engine.core.errors import UnavailableError
from quant_engine.data.models import Bars, FloatArray, TickerInfo
from quant_engine.data.store import Store

EQUAL_WEIGHT = "EQUAL_WEIGHT"
"""Name of the benchmark built from the stocks when the store has no benchmark series."""

DEFAULT_BENCHMARK = "SP500"

NDArrayT = TypeVar("NDArrayT", bound=np.ndarray)


def as_date(value: np.datetime64) -> dt.date:
    """A trading day of a ``datetime64`` date axis as a calendar ``date``."""
    return dt.date.fromisoformat(str(value.astype("datetime64[D]")))


_PRICE_FIELDS = ("open", "high", "low", "close", "adj_close", "volume")


@dataclass(frozen=True, eq=False)
class Panel:
    """dates × tickers arrays of the stock universe.

    ``dates`` is ``datetime64[D]`` ascending (trading days: the union of the stocks'
    stored dates); ``tickers`` are the ``kind == "stock"`` tickers, sorted (benchmark and
    index series are excluded). ``open``/``high``/``low``/``close``/``adj_close`` are prices
    per share (source currency), ``volume`` is shares; each is float64 of shape
    ``(len(dates), len(tickers))``, NaN where a ticker has no row that day.
    ``adj_close`` equals ``close`` unless the source had an Adj Close column.
    ``sectors`` holds each ticker's sector (None when unknown, e.g. in directory mode).
    ``benchmark`` is the benchmark's close level aligned to ``dates`` (NaN where it has no
    row); ``benchmark_name`` names it, ``EQUAL_WEIGHT`` when it was built from the stocks
    (see :func:`equal_weight_benchmark`). ``universe_fingerprint`` is the store
    manifest's fingerprint of the data the panel was loaded from.
    """

    dates: npt.NDArray[np.datetime64]
    tickers: tuple[str, ...]
    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    adj_close: FloatArray
    volume: FloatArray
    sectors: tuple[str | None, ...]
    benchmark: FloatArray
    benchmark_name: str
    universe_fingerprint: str

    @property
    def has_sectors(self) -> bool:
        """True when every ticker has a known sector (and there is at least one ticker)."""
        return bool(self.sectors) and all(sector is not None for sector in self.sectors)

    def cut(self, end: dt.date) -> Panel:
        """The same panel restricted to dates ``<= end`` (tickers unchanged)."""
        rows = int(np.searchsorted(self.dates, np.datetime64(end, "D"), side="right"))
        return Panel(
            dates=self.dates[:rows],
            tickers=self.tickers,
            open=self.open[:rows],
            high=self.high[:rows],
            low=self.low[:rows],
            close=self.close[:rows],
            adj_close=self.adj_close[:rows],
            volume=self.volume[:rows],
            sectors=self.sectors,
            benchmark=self.benchmark[:rows],
            benchmark_name=self.benchmark_name,
            universe_fingerprint=self.universe_fingerprint,
        )


def load_panel(
    store: Store, *, end: dt.date | None = None, benchmark: str = DEFAULT_BENCHMARK
) -> Panel:
    """Read every stock of ``store`` (rows dated ``<= end`` when given) into a Panel.

    The benchmark is the close of the store's series named ``benchmark`` (a benchmark
    series such as ``SP500`` in sample mode, or any stored ticker); when the store
    has no such series (directory mode: a folder of stock files has no index), it is the
    equal-weighted stock index of :func:`equal_weight_benchmark`, named ``EQUAL_WEIGHT``.

    Raises ``UnavailableError`` when the store holds no data yet (no manifest), and
    ``ArtifactCorruptError`` when stored data cannot be read.
    """
    manifest = store.manifest()
    if manifest is None:
        raise UnavailableError("the market-data store is empty: import data first")
    stocks = sorted(
        (info for info in manifest.tickers.values() if info.kind == "stock"),
        key=lambda info: info.ticker,
    )
    bars = [store.bars(info.ticker, end=end) for info in stocks]
    dates, columns = _pivot(bars)
    close, adj_close = columns["close"], columns["adj_close"]
    if benchmark in manifest.tickers:
        level = _align(store.bars(benchmark, end=end), dates)
        name = benchmark
    else:
        level = equal_weight_benchmark(adj_close)
        name = EQUAL_WEIGHT
    return Panel(
        dates=_read_only(dates),
        tickers=tuple(info.ticker for info in stocks),
        open=_read_only(columns["open"]),
        high=_read_only(columns["high"]),
        low=_read_only(columns["low"]),
        close=_read_only(close),
        adj_close=_read_only(adj_close),
        volume=_read_only(columns["volume"]),
        sectors=tuple(_sector(info) for info in stocks),
        benchmark=_read_only(level),
        benchmark_name=name,
        universe_fingerprint=manifest.universe_fingerprint,
    )


def equal_weight_benchmark(adj_close: FloatArray) -> FloatArray:
    """Equal-weighted index level of the stocks, 1.0 on the first date.

    The daily return on row t is the mean, over the stocks with a finite ``adj_close`` on
    both rows t-1 and t, of ``adj_close[t] / adj_close[t-1] - 1`` (simple returns, equal
    weights, rebalanced daily); the level is those returns compounded. A day on which no
    stock has a return keeps the previous level. Causal: row t uses rows <= t only.
    """
    rows = adj_close.shape[0]
    if rows == 0:
        return np.empty(0, dtype=np.float64)
    returns = daily_returns(adj_close)[1:]
    finite = np.isfinite(returns)
    counts = finite.sum(axis=1)
    sums = np.where(finite, returns, 0.0).sum(axis=1)
    mean = np.divide(sums, counts, out=np.zeros(rows - 1, dtype=np.float64), where=counts > 0)
    return np.concatenate(([1.0], np.cumprod(1.0 + mean)))


def daily_returns(prices: FloatArray) -> FloatArray:
    """Simple return from the previous row, ``p[t] / p[t-1] - 1`` (fraction per trading
    day); NaN on the first row and wherever either price is missing. Works on 1-D and
    2-D (dates first) arrays."""
    returns = np.full(prices.shape, np.nan, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        returns[1:] = prices[1:] / prices[:-1] - 1.0
    returns[~np.isfinite(returns)] = np.nan
    return returns


def _pivot(bars: list[Bars]) -> tuple[npt.NDArray[np.datetime64], dict[str, FloatArray]]:
    """Union of the dates and one dates × tickers array per price field (NaN = no row)."""
    lengths = np.array([len(item) for item in bars], dtype=np.int64)
    if not bars or lengths.sum() == 0:
        empty_dates = np.empty(0, dtype="datetime64[D]")
        shape = (0, len(bars))
        return empty_dates, {field: np.empty(shape, dtype=np.float64) for field in _PRICE_FIELDS}
    all_dates = np.concatenate([item.date for item in bars])
    dates = np.unique(all_dates)
    rows = np.searchsorted(dates, all_dates)
    cols = np.repeat(np.arange(len(bars)), lengths)
    columns: dict[str, FloatArray] = {}
    for field in _PRICE_FIELDS:
        values = np.full((len(dates), len(bars)), np.nan, dtype=np.float64)
        values[rows, cols] = np.concatenate([getattr(item, field) for item in bars])
        columns[field] = values
    return dates, columns


def _align(series: Bars, dates: npt.NDArray[np.datetime64]) -> FloatArray:
    """``series.close`` on ``dates`` (NaN where the series has no row that day)."""
    level = np.full(len(dates), np.nan, dtype=np.float64)
    if len(series) == 0 or len(dates) == 0:
        return level
    where = np.searchsorted(series.date, dates)
    clipped = np.minimum(where, len(series) - 1)
    found = series.date[clipped] == dates
    level[found] = series.close[clipped[found]]
    return level


def _sector(info: TickerInfo) -> str | None:
    return info.sector


def _read_only(array: NDArrayT) -> NDArrayT:
    """``array`` made read-only: a panel is shared by every computation on it."""
    array.setflags(write=False)
    return array
