"""Summary metrics of a backtest, with empyrical's conventions.

Conventions (the contract states them; the tests check them against empyrical to 1e-9):

- returns are the daily simple returns of the equity curve, ``equity[t] / equity[t-1] − 1``
  over consecutive trading days (one fewer than the days);
- ``TRADING_DAYS_PER_YEAR`` = 252 trading days a year; risk-free rate 0;
- volatility is the sample standard deviation (ddof 1) × √252; Sharpe is
  mean / std(ddof 1) × √252; Sortino is mean × 252 over the downside deviation against a
  required return of 0 (root mean square of ``min(r, 0)``, × √252);
- CAGR is ``(equity[-1] / equity[0]) ** (252 / len(returns)) − 1``; max drawdown is a
  negative fraction from the running peak (the first day's equity included); Calmar is
  CAGR / |max drawdown|;
- against a benchmark equity curve over the same days: beta = cov / var of the daily
  returns, alpha = ``(1 + mean(r − beta × b)) ** 252 − 1`` (annualised), tracking error =
  std(r − b, ddof 1) × √252 and information ratio = mean(r − b) / std(r − b, ddof 1) × √252
  (both annualised; empyrical's ``excess_sharpe`` × √252).

A figure that is undefined (too few days, zero dispersion, no losing trade) is NaN or
±inf exactly where empyrical's is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from quant_engine.backtest.execution import BPS, SimulationResult
from quant_engine.data.models import FloatArray

TRADING_DAYS_PER_YEAR = 252


@dataclass(frozen=True)
class PerformanceMetrics:
    """Return and risk of one equity curve; fractions, annualised where named so."""

    total_return: float
    cagr: float
    annual_volatility: float
    sharpe: float
    sortino: float
    max_drawdown: float
    """Negative fraction (−0.25 = 25 % below the running peak at worst)."""
    max_drawdown_days: int
    """Trading days of the longest spell below a previous peak (until regained or the end)."""
    calmar: float


@dataclass(frozen=True)
class TradeStats:
    """Per-trade figures over closed trades: ``win_rate`` (fraction with pnl > 0),
    ``profit_factor`` (Σ winning pnl / |Σ losing pnl|, inf without losses) and the mean
    trade return (fraction); NaN without trades."""

    n_trades: int
    win_rate: float
    profit_factor: float
    average_trade_return: float


@dataclass(frozen=True)
class BenchmarkComparison:
    """The strategy against a benchmark equity curve over the same trading days."""

    benchmark_total_return: float
    benchmark_cagr: float
    alpha: float
    """Annualised: ``(1 + mean daily alpha) ** 252 − 1``."""
    beta: float
    information_ratio: float
    """Annualised mean active return over the tracking error."""
    tracking_error: float
    """Annualised standard deviation (ddof 1) of the daily active return."""


@dataclass(frozen=True)
class SideSummary:
    """Everything reported once gross and once net."""

    performance: PerformanceMetrics
    trades: TradeStats
    annual_turnover: float
    average_exposure: float
    benchmark: BenchmarkComparison


@dataclass(frozen=True)
class BacktestSummary:
    gross: SideSummary
    net: SideSummary


def daily_returns(equity: FloatArray) -> FloatArray:
    """Simple returns between consecutive trading days (length ``len(equity) − 1``)."""
    values = np.asarray(equity, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return values[1:] / values[:-1] - 1.0


def _ratio(numerator: float, denominator: float) -> float:
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.float64(numerator) / np.float64(denominator))


def _std(values: FloatArray) -> float:
    return float(np.nanstd(values, ddof=1)) if len(values) >= 2 else math.nan


def cagr(returns: FloatArray) -> float:
    """Compound annual growth rate of daily ``returns`` (fraction per year)."""
    if len(returns) < 1:
        return math.nan
    ending = float(np.prod(1.0 + returns))
    return float(ending ** (TRADING_DAYS_PER_YEAR / len(returns)) - 1.0)


def max_drawdown(equity: FloatArray) -> tuple[float, int]:
    """Worst drop from the running peak (negative fraction) and the longest spell below a
    previous peak in trading days."""
    if len(equity) < 2:
        return math.nan, 0
    peak = np.fmax.accumulate(equity)
    drawdown = (equity - peak) / peak
    underwater = np.concatenate(([0], (equity < peak).astype(np.int8), [0]))
    edges = np.flatnonzero(np.diff(underwater))
    spells = edges[1::2] - edges[::2]
    return float(drawdown.min()), int(spells.max()) if spells.size else 0


def performance(equity: FloatArray) -> PerformanceMetrics:
    """Return and risk metrics of an equity curve sampled at each trading day's close."""
    returns = daily_returns(equity)
    annual = math.sqrt(TRADING_DAYS_PER_YEAR)
    std = _std(returns)
    mean = float(np.nanmean(returns)) if len(returns) else math.nan
    if len(returns) >= 2:
        downside = math.sqrt(float(np.nanmean(np.square(np.minimum(returns, 0.0))))) * annual
        sortino = _ratio(mean * TRADING_DAYS_PER_YEAR, downside)
    else:
        sortino = math.nan
    worst, worst_days = max_drawdown(equity)
    growth = cagr(returns)
    return PerformanceMetrics(
        total_return=float(np.prod(1.0 + returns) - 1.0) if len(returns) else math.nan,
        cagr=growth,
        annual_volatility=std * annual,
        sharpe=_ratio(mean, std) * annual,
        sortino=sortino,
        max_drawdown=worst,
        max_drawdown_days=worst_days,
        calmar=_ratio(growth, abs(worst)) if worst < 0 else math.nan,
    )


def trade_stats(pnl: FloatArray, returns: FloatArray) -> TradeStats:
    """Win rate, profit factor and mean return of trades with profits ``pnl`` (currency)
    and returns ``returns`` (fractions)."""
    if len(pnl) == 0:
        return TradeStats(0, math.nan, math.nan, math.nan)
    wins = float(pnl[pnl > 0].sum())
    losses = abs(float(pnl[pnl < 0].sum()))
    return TradeStats(
        n_trades=len(pnl),
        win_rate=float(np.mean(pnl > 0)),
        profit_factor=_ratio(wins, losses),
        average_trade_return=float(np.mean(returns)),
    )


def annual_turnover(traded_notional: FloatArray, equity: FloatArray) -> float:
    """One-way turnover per year: mean over trading days of (bought + sold) / 2 / equity,
    × 252 (1.0 = the whole portfolio replaced once a year)."""
    if len(equity) == 0:
        return math.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        daily = np.asarray(traded_notional) / 2.0 / np.asarray(equity)
    return float(np.mean(daily)) * TRADING_DAYS_PER_YEAR


def versus_benchmark(equity: FloatArray, benchmark_equity: FloatArray) -> BenchmarkComparison:
    """Alpha, beta, information ratio and tracking error of ``equity`` against
    ``benchmark_equity`` on the same trading days (NaN benchmark levels are forward-filled;
    days whose benchmark return is still undefined are left out of both)."""
    returns = daily_returns(equity)
    level = _forward_fill(np.asarray(benchmark_equity, dtype=np.float64))
    bench_all = daily_returns(level)
    known = np.isfinite(bench_all)
    strategy, bench = returns[known], bench_all[known]
    annual = math.sqrt(TRADING_DAYS_PER_YEAR)
    if len(strategy) < 2:
        beta = alpha = information = tracking = math.nan
    else:
        residual = bench - np.mean(bench)
        beta = _ratio(float(np.mean(residual * strategy)), float(np.mean(residual * residual)))
        alpha = float((1.0 + np.mean(strategy - beta * bench)) ** TRADING_DAYS_PER_YEAR - 1.0)
        active = strategy - bench
        active_std = _std(active)
        tracking = active_std * annual
        information = _ratio(float(np.mean(active)), active_std) * annual
    return BenchmarkComparison(
        benchmark_total_return=float(np.prod(1.0 + bench) - 1.0) if len(bench) else math.nan,
        benchmark_cagr=cagr(bench),
        alpha=alpha,
        beta=beta,
        information_ratio=information,
        tracking_error=tracking,
    )


def _forward_fill(values: FloatArray) -> FloatArray:
    finite = np.isfinite(values)
    index = np.where(finite, np.arange(len(values)), 0)
    np.maximum.accumulate(index, out=index)
    filled = values[index]
    filled[: int(np.argmax(finite)) if finite.any() else len(values)] = np.nan
    return filled


def summarize(result: SimulationResult, benchmark_equity: FloatArray) -> BacktestSummary:
    """Gross and net summary of a simulation against a benchmark equity curve on the
    simulation's trading days. Gross trade returns are over the raw entry notional."""
    trades = result.trades
    raw_entry = trades.entry_price / (1.0 + result.rules.slippage_bps * BPS)
    gross_returns = trades.gross_pnl / (trades.shares * raw_entry)
    exposure = float(np.mean(result.exposure)) if len(result.exposure) else math.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        gross_exposure = result.exposure * result.equity / result.gross_equity
    return BacktestSummary(
        gross=SideSummary(
            performance=performance(result.gross_equity),
            trades=trade_stats(trades.gross_pnl, gross_returns),
            annual_turnover=annual_turnover(result.traded_notional, result.gross_equity),
            average_exposure=float(np.mean(gross_exposure)) if len(gross_exposure) else math.nan,
            benchmark=versus_benchmark(result.gross_equity, benchmark_equity),
        ),
        net=SideSummary(
            performance=performance(result.equity),
            trades=trade_stats(trades.net_pnl, trades.trade_return),
            annual_turnover=annual_turnover(result.traded_notional, result.equity),
            average_exposure=exposure,
            benchmark=versus_benchmark(result.equity, benchmark_equity),
        ),
    )
