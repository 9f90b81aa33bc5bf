"""Summary metrics against empyrical (the reference named in the contract) to 1e-9, and
the figures empyrical does not have, by hand."""

from __future__ import annotations

import math
from pathlib import Path

import empyrical
import numpy as np
import numpy.typing as npt
import pandas as pd
import pytest

from quant_engine.backtest.execution import ExecutionRules, simulate
from quant_engine.backtest.metrics import (
    annual_turnover,
    max_drawdown,
    performance,
    summarize,
    trade_stats,
    versus_benchmark,
)

FloatArray = npt.NDArray[np.float64]
SP500 = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "sp500_5yr"
TOLERANCE = 1e-9


def _fixture_curves() -> tuple[FloatArray, FloatArray]:
    rng = np.random.default_rng(11)
    strategy = 1e6 * np.cumprod(1.0 + rng.normal(0.0005, 0.012, 400))
    benchmark = 100.0 * np.cumprod(1.0 + rng.normal(0.0003, 0.009, 400))
    return strategy, benchmark


def _real_curves() -> tuple[FloatArray, FloatArray]:
    def close(ticker: str) -> pd.Series:
        frame = pd.read_csv(SP500 / f"{ticker}_data.csv", parse_dates=["date"])
        return frame.set_index("date")["close"]

    both = pd.concat([close("AAPL"), close("MSFT")], axis=1, join="inner").dropna()
    return both.iloc[:, 0].to_numpy(), both.iloc[:, 1].to_numpy()


def _assert_matches_empyrical(equity: FloatArray, benchmark: FloatArray) -> None:
    returns = pd.Series(equity).pct_change().dropna().to_numpy()
    bench = pd.Series(benchmark).pct_change().dropna().to_numpy()
    metrics = performance(equity)
    expected = {
        "total_return": empyrical.cum_returns_final(returns),
        "cagr": empyrical.annual_return(returns),
        "annual_volatility": empyrical.annual_volatility(returns),
        "sharpe": empyrical.sharpe_ratio(returns),
        "sortino": empyrical.sortino_ratio(returns),
        "max_drawdown": empyrical.max_drawdown(returns),
        "calmar": empyrical.calmar_ratio(returns),
    }
    for name, value in expected.items():
        assert getattr(metrics, name) == pytest.approx(value, rel=TOLERANCE, abs=TOLERANCE), name
    comparison = versus_benchmark(equity, benchmark)
    alpha, beta = empyrical.alpha_beta_aligned(returns, bench)
    annual = math.sqrt(252)
    expected_vs = {
        "benchmark_total_return": empyrical.cum_returns_final(bench),
        "benchmark_cagr": empyrical.annual_return(bench),
        "alpha": alpha,
        "beta": beta,
        "information_ratio": empyrical.excess_sharpe(returns, bench) * annual,
        "tracking_error": np.std(returns - bench, ddof=1) * annual,
    }
    for name, value in expected_vs.items():
        assert getattr(comparison, name) == pytest.approx(value, rel=TOLERANCE, abs=TOLERANCE), name


def test_curve_metrics_match_empyrical_on_a_fixture() -> None:
    _assert_matches_empyrical(*_fixture_curves())


@pytest.mark.skipif(not SP500.is_dir(), reason="../shared/data/sp500_5yr absent")
def test_curve_metrics_match_empyrical_on_a_real_equity_curve() -> None:
    _assert_matches_empyrical(*_real_curves())


def test_summary_of_a_simulation_matches_empyrical_gross_and_net() -> None:
    rng = np.random.default_rng(5)
    close = 30.0 * np.exp(np.cumsum(rng.normal(0.0003, 0.02, (300, 15)), axis=0))
    open_ = close * np.exp(rng.normal(0.0, 0.005, close.shape))
    scores = rng.normal(0.01, 0.02, close.shape)
    dates = np.asarray(pd.bdate_range("2019-01-01", periods=300).values.astype("datetime64[D]"))
    result = simulate(open_, close, scores, ExecutionRules(), [f"T{j}" for j in range(15)], dates)
    benchmark = close.mean(axis=1)
    summary = summarize(result, benchmark)
    for side, equity in (("net", result.equity), ("gross", result.gross_equity)):
        returns = pd.Series(equity).pct_change().dropna().to_numpy()
        metrics = getattr(summary, side).performance
        assert metrics.sharpe == pytest.approx(empyrical.sharpe_ratio(returns), rel=TOLERANCE)
        assert metrics.sortino == pytest.approx(empyrical.sortino_ratio(returns), rel=TOLERANCE)
        assert metrics.max_drawdown == pytest.approx(empyrical.max_drawdown(returns), rel=TOLERANCE)
        assert metrics.cagr == pytest.approx(empyrical.annual_return(returns), rel=TOLERANCE)
    assert summary.net.trades.n_trades == len(result.trades)
    assert summary.net.performance.total_return < summary.gross.performance.total_return
    assert summary.net.average_exposure == pytest.approx(float(result.exposure.mean()))


def test_max_drawdown_and_its_duration_by_hand() -> None:
    # Peak 120 on day 1; below it on days 2..5 (4 trading days), regained on day 6.
    equity = np.array([100.0, 120.0, 90.0, 100.0, 110.0, 119.0, 125.0, 124.0])
    worst, days = max_drawdown(equity)
    assert worst == pytest.approx(90.0 / 120.0 - 1.0, rel=1e-15)
    assert days == 4
    assert max_drawdown(np.array([100.0, 101.0, 102.0])) == (0.0, 0)


def test_trade_stats_by_hand() -> None:
    pnl = np.array([30.0, -10.0, 20.0, -5.0])
    stats = trade_stats(pnl, np.array([0.03, -0.01, 0.02, -0.005]))
    assert stats.n_trades == 4
    assert stats.win_rate == 0.5
    assert stats.profit_factor == pytest.approx(50.0 / 15.0, rel=1e-15)
    assert stats.average_trade_return == pytest.approx(0.035 / 4, rel=1e-15)
    assert trade_stats(np.array([1.0]), np.array([0.01])).profit_factor == math.inf
    assert math.isnan(trade_stats(np.empty(0), np.empty(0)).win_rate)


def test_annual_turnover_by_hand() -> None:
    # 100 bought and 100 sold on one of four days with equity 1000: 0.1 / 4 per day.
    traded = np.array([0.0, 200.0, 0.0, 0.0])
    assert annual_turnover(traded, np.full(4, 1000.0)) == pytest.approx(0.1 / 4 * 252, rel=1e-15)
