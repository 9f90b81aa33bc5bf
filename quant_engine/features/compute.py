"""Features over the whole dates × tickers panel, point in time.

Every feature at date t uses panel rows dated <= t only: windows are trailing (pandas
``rolling`` / ``ewm``, which are causal and sequential from the first row, so the value at
t is bit-identical whether or not rows after t exist), and cross-sectional steps (ranks,
sector means) use one date's row only. Nothing is centred, back-filled or normalised over
the sample.

NaN policy (documented once, applied to every feature):

- a feature is NaN on a date where the ticker has no row (``close`` is NaN);
- rolling windows require the full window (``min_periods = window``): one missing row
  inside the window makes the value NaN until the window has passed the gap;
- returns are between consecutive panel rows (trading days of the data); a return whose
  previous row is missing is NaN, never bridged over the gap;
- exponential averages (RSI, MACD) skip missing rows (``ignore_na=True``) and carry their
  state over a gap; they need ``lookback`` valid rows before their first value;
- divisions by zero (flat prices, zero volume) give NaN, never inf.

Returns are computed on ``adj_close``, which equals ``close`` unless the source had an
Adj Close column; price-level features use the raw open/high/low/close.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from pandas.core.window.rolling import Rolling

from quant_engine.data.models import FloatArray
from quant_engine.features.catalog import (
    RANK_PREFIX,
    SECTOR_FEATURE,
    FeatureMode,
    feature_specs,
)
from quant_engine.features.panel import Panel, daily_returns

TRADING_DAYS_PER_YEAR = 252
"""Annualization: volatilities are multiplied by sqrt(252 trading days)."""
ANNUALIZE_VOL = math.sqrt(TRADING_DAYS_PER_YEAR)
RSI_DAYS = 14
MACD_FAST_DAYS, MACD_SLOW_DAYS, MACD_SIGNAL_DAYS = 12, 26, 9
HIGH_WINDOW_DAYS = 252
BETA_DAYS = 63
IDIO_DAYS = 21
MOMENTUM_DAYS, MOMENTUM_SKIP_DAYS = 252, 21
AMIHUD_SCALE = 1e9
"""Amihud illiquidity is |return| per dollar traded, ≈ 1e-10 for a large stock: scaled by
1e9 so typical values are O(0.01..10)."""


@dataclass(frozen=True, eq=False)
class FeatureSet:
    """Feature values of a panel: ``values[date, ticker, feature]`` (float64, NaN where a
    feature is not computable), with the panel's ``dates`` and ``tickers`` and the feature
    ``names`` in catalogue order."""

    names: tuple[str, ...]
    values: npt.NDArray[np.float64]
    dates: npt.NDArray[np.datetime64]
    tickers: tuple[str, ...]

    def cut(self, end: dt.date) -> FeatureSet:
        """The same features restricted to dates ``<= end``."""
        rows = int(np.searchsorted(self.dates, np.datetime64(end, "D"), side="right"))
        return FeatureSet(self.names, self.values[:rows], self.dates[:rows], self.tickers)

    def feature(self, name: str) -> FloatArray:
        """The dates × tickers array of one feature (a view); ``KeyError`` if absent."""
        if name not in self.names:
            raise KeyError(name)
        return self.values[:, :, self.names.index(name)]


def compute_features(panel: Panel, mode: FeatureMode) -> FeatureSet:
    """Compute the features of ``mode`` (see :func:`feature_specs`) on ``panel``.

    The sector feature is included in ``full`` mode only when ``panel.has_sectors``.
    """
    specs = feature_specs(mode, has_sectors=panel.has_sectors)
    inputs = _Inputs(panel)
    values = np.empty((len(panel.dates), len(panel.tickers), len(specs)), dtype=np.float64)
    computed: dict[str, FloatArray] = {}
    for index, spec in enumerate(specs):
        if spec.name.startswith(RANK_PREFIX):
            result = cross_sectional_rank(computed[spec.name.removeprefix(RANK_PREFIX)])
        else:
            result = _FORMULAS[spec.name](inputs)
        result = np.where(inputs.traded & np.isfinite(result), result, np.nan)
        computed[spec.name] = result
        values[:, :, index] = result
    values.setflags(write=False)
    return FeatureSet(
        names=tuple(spec.name for spec in specs),
        values=values,
        dates=panel.dates,
        tickers=panel.tickers,
    )


class _Inputs:
    """The panel and intermediates several features share (computed once)."""

    def __init__(self, panel: Panel) -> None:
        self.panel = panel
        self.traded = np.isfinite(panel.close)
        self.returns = daily_returns(panel.adj_close)
        market = daily_returns(panel.benchmark)[:, np.newaxis]
        # stock and benchmark returns on the same rows only: NaN where either is missing
        both = np.isfinite(self.returns) & np.isfinite(market)
        self.paired_returns = np.where(both, self.returns, np.nan)
        self.paired_market = np.where(both, market, np.nan)
        self._beta: FloatArray | None = None

    @property
    def beta(self) -> FloatArray:
        """``beta_63d``, computed on first use (``idio_vol_21d`` needs it too)."""
        if self._beta is None:
            self._beta = beta_63d(self)
        return self._beta


# ------------------------------------------------------------------------ helpers


def _rolling(values: FloatArray, window: int) -> Rolling[pd.DataFrame]:
    """Trailing window of ``window`` rows over every column, full window required."""
    return pd.DataFrame(values).rolling(window, min_periods=window)


def _array(frame: pd.DataFrame) -> FloatArray:
    return np.asarray(frame.to_numpy(dtype=np.float64), dtype=np.float64)


def _divide(numerator: FloatArray, denominator: FloatArray) -> FloatArray:
    """``numerator / denominator``, NaN where the denominator is 0 or NaN."""
    usable = np.isfinite(denominator) & (denominator != 0)
    out = np.full(np.broadcast(numerator, denominator).shape, np.nan, dtype=np.float64)
    np.divide(numerator, denominator, out=out, where=usable)
    return out


def period_return(prices: FloatArray, days: int) -> FloatArray:
    """``p[t] / p[t-days] - 1`` along the dates axis; NaN for the first ``days`` rows."""
    out = np.full(prices.shape, np.nan, dtype=np.float64)
    out[days:] = _divide(prices[days:], prices[:-days]) - 1.0
    return out


def _ewm(values: FloatArray, *, alpha: float, min_periods: int) -> FloatArray:
    """Recursive exponential average ``y = (1 - alpha) * y_prev + alpha * x`` seeded with
    the first valid value, skipping NaN rows; NaN until ``min_periods`` valid rows."""
    frame = pd.DataFrame(values).ewm(
        alpha=alpha, adjust=False, ignore_na=True, min_periods=min_periods
    )
    return np.where(np.isfinite(values), _array(frame.mean()), np.nan)


def _span_alpha(span: int) -> float:
    return 2.0 / (span + 1.0)


# ----------------------------------------------------------------------- formulas


def _ret(days: int) -> Callable[[_Inputs], FloatArray]:
    def ret(inputs: _Inputs) -> FloatArray:
        """``adj_close[t] / adj_close[t-days] - 1`` (simple return, fraction)."""
        return period_return(inputs.panel.adj_close, days)

    ret.__name__ = f"ret_{days}d"
    return ret


def _vol(days: int) -> Callable[[_Inputs], FloatArray]:
    def vol(inputs: _Inputs) -> FloatArray:
        """Sample std (ddof=1) of the last ``days`` daily returns, times sqrt(252):
        annualized realized volatility (fraction per year)."""
        return _array(_rolling(inputs.returns, days).std(ddof=1)) * ANNUALIZE_VOL

    vol.__name__ = f"vol_{days}d"
    return vol


def wilder_average(values: FloatArray, days: int) -> FloatArray:
    """Wilder's smoothing: the first value is the simple mean of the first ``days`` valid
    consecutive rows, then ``avg[t] = (avg[t-1] * (days - 1) + x[t]) / days``; missing rows
    are skipped (the average carries over them)."""
    seed = _array(_rolling(values, days).mean())
    seeded = np.maximum.accumulate(np.isfinite(seed), axis=0)
    first = seeded.copy()
    first[1:] &= ~seeded[:-1]
    start = np.where(first, seed, np.where(seeded, values, np.nan))
    return _ewm(start, alpha=1.0 / days, min_periods=1)


def rsi_14(inputs: _Inputs) -> FloatArray:
    """Wilder RSI over 14 days, 0..100: with ``d = adj_close[t] - adj_close[t-1]``,
    ``G`` = Wilder average of ``max(d, 0)``, ``L`` = Wilder average of ``max(-d, 0)``,
    ``RSI = 100 * G / (G + L)`` (= 100 - 100 / (1 + G / L)); NaN when ``G + L == 0``."""
    prices = inputs.panel.adj_close
    change = np.full(prices.shape, np.nan, dtype=np.float64)
    change[1:] = prices[1:] - prices[:-1]
    gain = wilder_average(
        np.where(change > 0, change, np.where(change <= 0, 0.0, np.nan)), RSI_DAYS
    )
    loss = wilder_average(
        np.where(change < 0, -change, np.where(change >= 0, 0.0, np.nan)), RSI_DAYS
    )
    return 100.0 * _divide(gain, gain + loss)


def macd_hist(inputs: _Inputs) -> FloatArray:
    """MACD(12, 26, 9) histogram over close: ``macd = EMA12(close) - EMA26(close)``,
    ``signal = EMA9(macd)``, value ``(macd - signal) / close`` (fraction of the price).
    EMAs are recursive with ``alpha = 2 / (span + 1)``, seeded with the first value;
    macd needs 26 valid closes, the signal 9 valid macd values (34 rows in all)."""
    close = inputs.panel.close
    fast = _ewm(close, alpha=_span_alpha(MACD_FAST_DAYS), min_periods=MACD_FAST_DAYS)
    slow = _ewm(close, alpha=_span_alpha(MACD_SLOW_DAYS), min_periods=MACD_SLOW_DAYS)
    macd = fast - slow
    signal = _ewm(macd, alpha=_span_alpha(MACD_SIGNAL_DAYS), min_periods=MACD_SIGNAL_DAYS)
    return _divide(macd - signal, close)


def volume_z_21d(inputs: _Inputs) -> FloatArray:
    """``(volume[t] - mean) / std`` with the mean and sample std (ddof=1) of the last 21
    volumes including t (shares; NaN when the std is 0)."""
    volume = inputs.panel.volume
    window = _rolling(volume, 21)
    return _divide(volume - _array(window.mean()), _array(window.std(ddof=1)))


def dist_252d_high(inputs: _Inputs) -> FloatArray:
    """``close[t] / max(close[t-251..t]) - 1``: distance below the 252-day high (<= 0)."""
    close = inputs.panel.close
    return _divide(close, _array(_rolling(close, HIGH_WINDOW_DAYS).max())) - 1.0


def beta_63d(inputs: _Inputs) -> FloatArray:
    """Beta of the daily returns to the benchmark's over the last 63 rows:
    ``cov(r, m) / var(m)`` (ordinary least squares slope with intercept), over rows where
    both returns exist; NaN when the benchmark did not move."""
    r, m = inputs.paired_returns, inputs.paired_market
    mean_r = _array(_rolling(r, BETA_DAYS).mean())
    mean_m = _array(_rolling(m, BETA_DAYS).mean())
    cov = _array(_rolling(r * m, BETA_DAYS).mean()) - mean_r * mean_m
    var = _array(_rolling(m * m, BETA_DAYS).mean()) - mean_m * mean_m
    return _divide(cov, var)


def idio_vol_21d(inputs: _Inputs) -> FloatArray:
    """Idiosyncratic volatility: with ``b = beta_63d[t]``, the sample std (ddof=1) of the
    residuals ``r[s] - b * m[s]`` for the last 21 rows s <= t, times sqrt(252)
    (annualized). Computed as ``sqrt(var(r) - 2 b cov(r, m) + b**2 var(m))``."""
    r, m, beta = inputs.paired_returns, inputs.paired_market, inputs.beta
    mean_r = _array(_rolling(r, IDIO_DAYS).mean())
    mean_m = _array(_rolling(m, IDIO_DAYS).mean())
    bessel = IDIO_DAYS / (IDIO_DAYS - 1)
    cov = (_array(_rolling(r * m, IDIO_DAYS).mean()) - mean_r * mean_m) * bessel
    var_r = _array(_rolling(r, IDIO_DAYS).var(ddof=1))
    var_m = _array(_rolling(m, IDIO_DAYS).var(ddof=1))
    residual_var = var_r - 2.0 * beta * cov + beta * beta * var_m
    return np.sqrt(np.maximum(residual_var, 0.0)) * ANNUALIZE_VOL


def mom_12_1(inputs: _Inputs) -> FloatArray:
    """12-1 momentum: ``adj_close[t-21] / adj_close[t-252] - 1`` (the 252-day return
    without its last 21 days)."""
    prices = inputs.panel.adj_close
    out = np.full(prices.shape, np.nan, dtype=np.float64)
    out[MOMENTUM_DAYS:] = (
        _divide(
            prices[MOMENTUM_DAYS - MOMENTUM_SKIP_DAYS : -MOMENTUM_SKIP_DAYS],
            prices[:-MOMENTUM_DAYS],
        )
        - 1.0
    )
    return out


def max_ret_21d(inputs: _Inputs) -> FloatArray:
    """Largest daily return of the last 21 rows (fraction)."""
    return _array(_rolling(inputs.returns, 21).max())


def skew_63d(inputs: _Inputs) -> FloatArray:
    """Sample skewness of the last 63 daily returns, bias-corrected (adjusted
    Fisher-Pearson G1, as ``scipy.stats.skew(bias=False)``)."""
    return _array(_rolling(inputs.returns, 63).skew())


def overnight_gap(inputs: _Inputs) -> FloatArray:
    """``open[t] / close[t-1] - 1`` on raw prices (fraction)."""
    panel = inputs.panel
    out = np.full(panel.close.shape, np.nan, dtype=np.float64)
    out[1:] = _divide(panel.open[1:], panel.close[:-1]) - 1.0
    return out


def intraday_range(inputs: _Inputs) -> FloatArray:
    """``(high[t] - low[t]) / close[t]`` on raw prices (fraction)."""
    panel = inputs.panel
    return _divide(panel.high - panel.low, panel.close)


def amihud_21d(inputs: _Inputs) -> FloatArray:
    """Amihud illiquidity: mean over the last 21 rows of ``|r[t]| / (close[t] * volume[t])``
    (return per dollar traded, raw close), times 1e9; a zero-volume day makes it NaN."""
    panel = inputs.panel
    per_day = _divide(np.abs(inputs.returns), panel.close * panel.volume)
    return _array(_rolling(per_day, 21).mean()) * AMIHUD_SCALE


def sector_rel_ret_21d(inputs: _Inputs) -> FloatArray:
    """``ret_21d`` minus the mean ``ret_21d`` of the ticker's sector on the same date
    (over the sector's tickers with a finite value, the ticker included)."""
    ret = period_return(inputs.panel.adj_close, 21)
    sectors = np.array([str(sector) for sector in inputs.panel.sectors])
    sector_mean = np.full(ret.shape, np.nan, dtype=np.float64)
    for sector in np.unique(sectors):  # one pass per sector (a handful), never per ticker
        members = np.flatnonzero(sectors == sector)
        block = ret[:, members]
        finite = np.isfinite(block)
        total = np.where(finite, block, 0.0).sum(axis=1)
        mean = _divide(total, finite.sum(axis=1).astype(np.float64))
        sector_mean[:, members] = mean[:, np.newaxis]
    return ret - sector_mean


def cross_sectional_rank(values: FloatArray) -> FloatArray:
    """Percentile rank in [0, 1] of each value among the finite values of its date:
    ``(rank - 1) / (count - 1)`` with ranks 1..count, ties averaged; 0.5 when only one
    ticker has a value; NaN where the value is NaN."""
    finite = np.isfinite(values)
    ranks = _array(pd.DataFrame(np.where(finite, values, np.nan)).rank(axis=1, method="average"))
    count = finite.sum(axis=1, keepdims=True).astype(np.float64)
    spread = _divide(ranks - 1.0, np.broadcast_to(count - 1.0, ranks.shape).copy())
    return np.where(finite & (count == 1.0), 0.5, spread)


_FORMULAS: dict[str, Callable[[_Inputs], FloatArray]] = {
    "ret_1d": _ret(1),
    "ret_5d": _ret(5),
    "ret_21d": _ret(21),
    "ret_63d": _ret(63),
    "vol_21d": _vol(21),
    "vol_63d": _vol(63),
    "rsi_14": rsi_14,
    "macd_hist": macd_hist,
    "volume_z_21d": volume_z_21d,
    "dist_252d_high": dist_252d_high,
    "beta_63d": lambda inputs: inputs.beta,
    "idio_vol_21d": idio_vol_21d,
    "mom_12_1": mom_12_1,
    "max_ret_21d": max_ret_21d,
    "skew_63d": skew_63d,
    "overnight_gap": overnight_gap,
    "intraday_range": intraday_range,
    "amihud_21d": amihud_21d,
    SECTOR_FEATURE: sector_rel_ret_21d,
}
"""Feature name → the function computing it (its docstring holds the formula)."""
