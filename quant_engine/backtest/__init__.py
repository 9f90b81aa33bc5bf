"""Pure backtest engine: the execution model, summary metrics and the walk-forward driver.

numpy, pandas and scipy over the dates × tickers panel; imports only
:mod:`quant_engine.core`, :mod:`quant_engine.data`, :mod:`quant_engine.features` and
:mod:`quant_engine.models` — no web framework and no generated contract. The walk-forward
driver (which pulls in LightGBM) is imported from :mod:`quant_engine.backtest.walkforward`
so the paper trader can use the execution model alone.
"""

from quant_engine.backtest.execution import (
    EXIT_REASONS,
    ExecutionRules,
    SimulationResult,
    Trades,
    simulate,
)
from quant_engine.backtest.metrics import (
    TRADING_DAYS_PER_YEAR,
    BacktestSummary,
    BenchmarkComparison,
    PerformanceMetrics,
    SideSummary,
    TradeStats,
    performance,
    summarize,
    trade_stats,
    versus_benchmark,
)

__all__ = [
    "EXIT_REASONS",
    "TRADING_DAYS_PER_YEAR",
    "BacktestSummary",
    "BenchmarkComparison",
    "ExecutionRules",
    "PerformanceMetrics",
    "SideSummary",
    "SimulationResult",
    "TradeStats",
    "Trades",
    "performance",
    "simulate",
    "summarize",
    "trade_stats",
    "versus_benchmark",
]
