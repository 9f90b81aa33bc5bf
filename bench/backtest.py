"""Benchmark: the backtest execution model on the 505-ticker S&P 500 folder.

Imported once into a temporary store and loaded as a panel (not timed). Seeded random
scores stand in for predictions; with ``max_positions=100`` and a 10-day holding period
they produce about 12,600 trades (filled entry orders) over 1,259 trading days. Best of ``REPEATS``:

- ``simulate`` (the engine: per-day numpy over the panel) against
- a plain pandas day-by-day loop of the same rules (dicts of positions, ``DataFrame.iloc``
  rows), which must end at the same net equity — it doubles as an independent check.

Goal (2 cores): ``simulate`` ≤ 150 ms.

Run: ``python -m bench.backtest``.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from bench.table import print_table
from quant_engine.backtest import ExecutionRules, SimulationResult, simulate
from quant_engine.data import Store, import_directory
from quant_engine.data.models import FloatArray
from quant_engine.features import Panel, load_panel

DATA_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "sp500_5yr"
REPEATS = 3
GOAL_SECONDS = 0.150
SEED = 0
RULES = ExecutionRules(holding_period=10, max_positions=100, position_size=0.01)
BPS = 1e-4


def _best(work: Callable[[], object]) -> tuple[float, object]:
    times, value = [], None
    for _ in range(REPEATS):
        start = time.perf_counter()
        value = work()
        times.append(time.perf_counter() - start)
    return min(times), value


def _scores(panel: Panel) -> FloatArray:
    rng = np.random.default_rng(SEED)
    scores = rng.normal(0.0, 0.02, panel.close.shape)
    scores[~np.isfinite(panel.close)] = np.nan
    return scores


@dataclass
class _Position:
    shares: float
    due: int


def pandas_loop(panel: Panel, scores: FloatArray, rules: ExecutionRules) -> float:
    """The same rules (no stop-loss, no brake) as a plain day-by-day pandas loop; returns
    the final net equity."""
    opens = pd.DataFrame(panel.open, columns=panel.tickers)
    closes = pd.DataFrame(panel.close, columns=panel.tickers)
    marks = closes.ffill()
    tradable = opens.notna() & closes.notna()
    signals = pd.DataFrame(scores, columns=panel.tickers)
    last_bar = tradable.apply(lambda column: column[column].index.max()).fillna(-1)
    buy, sell = 1 + rules.slippage_bps * BPS, 1 - rules.slippage_bps * BPS
    commission = rules.commission_bps * BPS
    cash, held, orders = rules.initial_capital, dict[str, _Position](), dict[str, float]()
    n_days = len(panel.dates)
    for day in range(n_days):
        open_row, close_row, can_trade = opens.iloc[day], closes.iloc[day], tradable.iloc[day]
        for ticker in [t for t, p in held.items() if p.due <= day and can_trade[t]]:
            proceeds = held.pop(ticker).shares * open_row[ticker] * sell
            cash += proceeds * (1 - commission)
        for ticker in list(orders):
            if not can_trade[ticker]:
                continue
            notional = min(orders.pop(ticker), cash / (1 + commission))
            if len(held) < rules.max_positions and notional > 0:
                held[ticker] = _Position(
                    notional / (open_row[ticker] * buy), day + rules.holding_period
                )
                cash = max(cash - notional * (1 + commission), 0.0)
        if day == n_days - 1:
            for ticker, position in held.items():
                cash += (
                    position.shares
                    * marks.iat[day, marks.columns.get_loc(ticker)]
                    * sell
                    * (1 - commission)
                )
            return cash
        orders = {t: v for t, v in orders.items() if last_bar[t] > day}
        for ticker in [t for t in held if last_bar[t] == day]:
            cash += held.pop(ticker).shares * close_row[ticker] * sell * (1 - commission)
        mark_row = marks.iloc[day]
        equity = cash + sum(p.shares * mark_row[t] for t, p in held.items())
        leaving = sum(p.due <= day + 1 for p in held.values())
        slots = rules.max_positions - (len(held) - leaving) - len(orders)
        row = signals.iloc[day]
        wanted = row[(row >= rules.entry_threshold) & (last_bar > day)]
        wanted = wanted[~wanted.index.isin(list(held)) & ~wanted.index.isin(list(orders))]
        for ticker in wanted.sort_values(ascending=False, kind="stable").index[: max(slots, 0)]:
            orders[ticker] = rules.position_size * equity
    return cash


def run() -> list[dict[str, object]]:
    """Time ``simulate`` against the pandas loop; empty when the data is absent."""
    if not sorted(DATA_DIR.glob("*.csv")):
        return []
    with tempfile.TemporaryDirectory(prefix="qe-bench-backtest-") as scratch:
        root = Path(scratch) / "store"
        import_directory(DATA_DIR, Store(root))
        panel = load_panel(Store(root))
    scores = _scores(panel)

    def engine() -> SimulationResult:
        return simulate(panel.open, panel.close, scores, RULES, panel.tickers, panel.dates)

    seconds, result = _best(engine)
    assert isinstance(result, SimulationResult)
    reference_seconds, reference_equity = _best(lambda: pandas_loop(panel, scores, RULES))
    gap = abs(float(result.equity[-1]) - float(str(reference_equity)))
    if gap > 1e-9 * float(result.equity[-1]):
        raise AssertionError(f"engine and pandas loop disagree on final equity by {gap:.6f}")
    shape = f"{len(panel.dates)} days × {len(panel.tickers)} tickers"
    return [
        {
            "name": (
                f"backtest: simulate, {shape}, {len(result.trades)} trades "
                f"(goal ≤ {GOAL_SECONDS * 1000:.0f} ms)"
            ),
            "seconds": seconds,
            "reference": "pandas day-by-day loop, same rules",
            "reference_seconds": reference_seconds,
            "ratio": seconds / reference_seconds,
        }
    ]


if __name__ == "__main__":
    print_table(run())
