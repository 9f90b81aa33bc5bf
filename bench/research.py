"""Benchmark: the whole ``train`` job and ``generateSignals`` on the 505-ticker S&P 500 folder.

The folder is imported into a temporary home (not timed). Then:

- a ``train`` job with the defaults (core features, horizon 5, 5 folds, 200 trees, each
  date's 100 most liquid tickers; ``years=15`` clips to the folder's 5 years) runs in a
  child process, so its peak resident memory is its own (``ru_maxrss``). Reference: one
  bare ``lightgbm.train`` with the same parameters on the same final-model rows, timed in
  that child — the ratio reads "the job costs N bare fits" (it makes folds + 1 of them,
  plus features, labels and the registry). Goals: ≤ 60 s, ≤ 2 GiB.
- ``predict`` (what a ``generateSignals`` job runs) for every ticker at the last date,
  features cached, best of three. Reference: ``load_panel`` alone. Goal: ≤ 2 s.

The job's cross-validated rank IC and ICIR are printed too (they are the numbers the
README reports). Run: ``python -m bench.research``.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np

from bench.table import print_table
from quant_engine.data import Store, import_directory
from quant_engine.features import load_panel
from quant_engine.models.pipeline import prepare_training
from quant_engine.models.research import Research, train_config
from quant_engine.models.trainer import Scaler, lightgbm_params, winsorize_per_date

DATA_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "sp500_5yr"
TRAIN_PARAMS: dict[str, Any] = {
    "horizons": [5],
    "feature_mode": "core",
    "survivorship": True,
    "full_universe": False,
    "years": 15,
    "end": None,
    "folds": 5,
    "embargo_days": 5,
    "seed": 0,
    "lightgbm": {
        "num_leaves": 31,
        "learning_rate": 0.05,
        "n_estimators": 200,
        "min_data_in_leaf": 200,
        "feature_fraction": 0.8,
    },
}
GOAL_TRAIN_SECONDS = 60.0
GOAL_TRAIN_BYTES = 2 * 1024**3
GOAL_SIGNALS_SECONDS = 2.0


def _bare_fit_seconds(research: Research) -> float:
    """One lightgbm.train on the final model's rows, with the job's parameters."""
    panel = research.panel()
    config = train_config(TRAIN_PARAMS)
    prepared = prepare_training(panel, research.feature_set(panel, "core"), config)
    data = prepared.data
    rows = data.mask & np.isfinite(data.labels[5])
    date_index, ticker_index = np.nonzero(rows)
    labels = winsorize_per_date(
        date_index, ticker_index, data.labels[5][rows], lower=1.0, upper=99.0
    )
    features = data.features[rows]
    scaler = Scaler.fit(data.feature_names, features)
    dataset = lgb.Dataset(scaler.transform(features), labels, free_raw_data=True)
    start = time.perf_counter()
    lgb.train(lightgbm_params(config), dataset, num_boost_round=config.lightgbm.n_estimators)
    return time.perf_counter() - start


def _train_child(home: str) -> None:
    """Child process: import, train, print one JSON line with the measurements."""
    home_path = Path(home)
    store = Store(home_path / "store")
    import_directory(DATA_DIR, store)
    research = Research(store, home_path)
    start = time.perf_counter()
    result = research.train(TRAIN_PARAMS)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    overall = result["horizons"][0]["overall"]
    print(
        json.dumps(
            {
                "seconds": seconds,
                "peak_bytes": peak,
                "bare_fit_seconds": _bare_fit_seconds(research),
                "rank_ic": overall["rank_ic"],
                "icir": overall["icir"],
                "ic": overall["ic"],
                "hit_rate": overall["hit_rate"],
                "n_dates": overall["n_dates"],
                "folds": [f["metrics"]["rank_ic"] for f in result["horizons"][0]["folds"]],
                "window": [result["training_start"], result["training_end"]],
            }
        )
    )


def _best_of(work: Any, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def run() -> list[dict[str, object]]:
    """Time the train job and signal generation; empty when the data is absent."""
    if not sorted(DATA_DIR.glob("*.csv")):
        return []
    with tempfile.TemporaryDirectory(prefix="qe-bench-research-") as home:
        child = subprocess.run(
            [sys.executable, "-m", "bench.research", "--train-child", home],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).resolve().parents[1],
        )
        measured = json.loads(child.stdout.strip().splitlines()[-1])
        research = Research(Store(Path(home) / "store"), Path(home))
        predict = {"version": "champion", "horizon": 5, "as_of": None, "tickers": None}
        research.predict(predict)  # warm: features cached on disk and in the page cache
        signals_seconds = _best_of(lambda: research.predict(predict))
        load_seconds = _best_of(lambda: load_panel(research.store))
    print(
        "train job on sp500_5yr (core, h=5, 5 folds): window {} .. {}, CV rank IC {:.4f}, "
        "ICIR {:.3f}, IC {:.4f}, hit rate {:.3f} over {} dates; rank IC per fold {}".format(
            *measured["window"],
            measured["rank_ic"],
            measured["icir"],
            measured["ic"],
            measured["hit_rate"],
            measured["n_dates"],
            ", ".join(f"{value:.4f}" for value in measured["folds"]),
        ),
        file=sys.stderr,
    )
    peak_gib = measured["peak_bytes"] / 1024**3
    return [
        {
            "name": (
                f"train job, 505 tickers (goal ≤ {GOAL_TRAIN_SECONDS:.0f} s; peak RSS "
                f"{peak_gib:.2f} GiB, goal ≤ 2 GiB)"
            ),
            "seconds": measured["seconds"],
            "reference": "one bare lightgbm.train, same rows",
            "reference_seconds": measured["bare_fit_seconds"],
            "ratio": measured["seconds"] / measured["bare_fit_seconds"],
        },
        {
            "name": f"generateSignals, every ticker (goal ≤ {GOAL_SIGNALS_SECONDS:.0f} s)",
            "seconds": signals_seconds,
            "reference": "load_panel alone",
            "reference_seconds": load_seconds,
            "ratio": signals_seconds / load_seconds,
        },
    ]


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--train-child":
        _train_child(sys.argv[2])
    else:
        print_table(run())
