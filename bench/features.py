"""Benchmark: the feature panel of the 505-ticker S&P 500 folder, core and full features.

Imported once into a temporary store (not timed). Then, best of ``REPEATS`` each:

- ``load_panel`` (read every stock from the store and pivot it into dates × tickers
  arrays) against reading the same bars with ``Store.bars`` alone;
- ``compute_features`` in ``core`` and ``full`` mode against one simple rolling feature
  (daily returns and their 21-day rolling std in pandas) over the same panel, so the ratio
  reads as "costs as much as N simple rolling features".

Goals (2 cores): load + core ≤ 3 s, load + full ≤ 15 s.

Run: ``python -m bench.features``.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pandas as pd

from bench.table import print_table
from quant_engine.data import Store, import_directory
from quant_engine.features import Panel, compute_features, load_panel
from quant_engine.features.catalog import FeatureMode

DATA_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "sp500_5yr"
REPEATS = 3
GOALS_SECONDS: dict[FeatureMode, float] = {"core": 3.0, "full": 15.0}


def _best(work: Callable[[], object]) -> float:
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def _read_bars(root: Path) -> None:
    store = Store(root)
    for ticker in store.tickers():
        store.bars(ticker)


def _simple_rolling(panel: Panel) -> None:
    pd.DataFrame(panel.adj_close).pct_change(fill_method=None).rolling(21).std()


def run() -> list[dict[str, object]]:
    """Time panel loading and feature computation; empty when the data is absent."""
    if not sorted(DATA_DIR.glob("*.csv")):
        return []
    with tempfile.TemporaryDirectory(prefix="qe-bench-features-") as scratch:
        root = Path(scratch) / "store"
        import_directory(DATA_DIR, Store(root))
        panel = load_panel(Store(root))
        load_seconds = _best(lambda: load_panel(Store(root)))
        read_seconds = _best(lambda: _read_bars(root))
    shape = f"{len(panel.dates)} days × {len(panel.tickers)} tickers"
    rows: list[dict[str, object]] = [
        {
            "name": f"features: load_panel, {shape}",
            "seconds": load_seconds,
            "reference": "Store.bars of every ticker",
            "reference_seconds": read_seconds,
            "ratio": load_seconds / read_seconds,
        }
    ]
    compute_features(panel, "full")  # warm-up
    rolling_seconds = _best(lambda: _simple_rolling(panel))
    for mode, goal in GOALS_SECONDS.items():
        seconds = _best(partial(compute_features, panel, mode))
        total = seconds + load_seconds
        rows.append(
            {
                "name": f"features: compute {mode} (+ load {total:.2f} s, goal ≤ {goal:.0f} s)",
                "seconds": seconds,
                "reference": "one pandas rolling std of returns",
                "reference_seconds": rolling_seconds,
                "ratio": seconds / rolling_seconds,
            }
        )
    return rows


if __name__ == "__main__":
    print_table(run())
