"""Backtests from request to artifacts: every request field changes the result the way it
should, results are reproducible, and only out-of-sample scores are traded."""

from __future__ import annotations

import math
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from quant_engine.backtest.lab import BacktestLab
from quant_engine.core.errors import ValidationFailedError
from quant_engine.data import Store, import_directory
from quant_engine.features import load_panel
from quant_engine.models.research import Research
from tests.conftest import SHARED_DATA

SP500 = SHARED_DATA / "sp500_5yr"

TRAINING = {
    "horizons": [5, 10],
    "feature_mode": "core",
    "survivorship": True,
    "full_universe": False,
    "years": 3,
    "end": "2016-12-30",
    "folds": 2,
    "embargo_days": 5,
    "seed": 0,
    "lightgbm": {
        "num_leaves": 15,
        "learning_rate": 0.05,
        "n_estimators": 20,
        "min_data_in_leaf": 50,
        "feature_fraction": 0.8,
    },
}
TINY_LIGHTGBM = {
    "num_leaves": 7,
    "learning_rate": 0.1,
    "n_estimators": 10,
    "min_data_in_leaf": 50,
    "feature_fraction": 0.8,
}
BASE: dict[str, Any] = {
    "version": "v1",
    "walk_forward": None,
    "horizon": 10,
    "tickers": None,
    "full_universe": False,
    "survivorship": True,
    "feature_mode": "core",
    "years": 2,
    "end": None,
    "holding_period": 10,
    "max_positions": 10,
    "entry_threshold": 0.0,
    "position_size": 0.1,
    "risk_management": False,
    "risk": {"stop_loss": 0.08, "drawdown_brake": 0.15},
    "commission_bps": 1.0,
    "slippage_bps": 5.0,
    "initial_capital": 1_000_000.0,
    "benchmark": "SP500",
}


@dataclass
class Bench:
    lab: BacktestLab

    def run(self, **changes: Any) -> dict[str, Any]:
        result = self.lab.run({**BASE, **changes})
        return self.lab.summary(result["backtest_id"])

    def trades(self, summary: dict[str, Any]) -> list[dict[str, Any]]:
        return self.lab.trades(summary["backtest_id"], 100_000, None)["items"]

    def equity(self, summary: dict[str, Any]) -> list[dict[str, Any]]:
        return self.lab.equity(summary["backtest_id"])["points"]


@pytest.fixture(scope="module")
def bench(sample_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Bench:
    home = tmp_path_factory.mktemp("backtests") / "home"
    shutil.copytree(sample_store, home / "store")
    research = Research(Store(home / "store"), home)
    research.train(TRAINING)
    return Bench(BacktestLab(research, home))


@pytest.fixture(scope="module")
def base(bench: Bench) -> dict[str, Any]:
    return bench.run()


def test_costs_are_the_gap_between_gross_and_net(bench: Bench, base: dict[str, Any]) -> None:
    trades = bench.trades(base)
    assert base["net"]["trades"] == len(trades) > 0
    costs = math.fsum(trade["costs"] for trade in trades)
    gap = base["gross"]["final_equity"] - base["net"]["final_equity"]
    assert gap == pytest.approx(costs, rel=1e-9)


def test_only_days_after_the_training_end_plus_horizon_are_traded(
    bench: Bench, base: dict[str, Any]
) -> None:
    # v1 was trained to 2016-12-30 (row e): the first usable signal is row e + 1 + 10
    assert base["window_start"] == "2017-01-18"
    assert any("out-of-sample part of v1" in w for w in base["warnings"])
    assert min(trade["entry_date"] for trade in bench.trades(base)) > "2017-01-18"


def test_same_request_gives_identical_numbers(bench: Bench, base: dict[str, Any]) -> None:
    again = bench.run()
    for side in ("gross", "net"):
        assert again[side] == base[side]
    assert bench.trades(again) == bench.trades(base)
    assert bench.equity(again) == bench.equity(base)
    assert again["backtests_on_data"] > base["backtests_on_data"]  # the overfitting gauge


def _max_held(bench: Bench, summary: dict[str, Any]) -> int:
    trades = bench.trades(summary)
    days = sorted({t["entry_date"] for t in trades} | {t["exit_date"] for t in trades})
    return max(sum(1 for t in trades if t["entry_date"] <= day < t["exit_date"]) for day in days)


def test_max_positions_one_never_holds_two(bench: Bench) -> None:
    assert _max_held(bench, bench.run(max_positions=1)) == 1


@pytest.mark.parametrize(
    ("change", "expect"),
    [
        ({"commission_bps": 50.0}, "lower_net"),
        ({"slippage_bps": 50.0}, "lower_net"),
        ({"entry_threshold": 0.5}, "no_trades"),
        ({"holding_period": 3}, "more_trades"),
        ({"max_positions": 3}, "fewer_trades"),
        ({"position_size": 0.02}, "lower_exposure"),
        ({"initial_capital": 10_000.0}, "scaled_equity"),
        ({"tickers": ["SYNTEC01", "SYNFIN01", "SYNHLT01"]}, "only_those_tickers"),
        ({"years": 1}, "later_start"),
        ({"end": "2018-06-29"}, "earlier_end"),
        ({"horizon": 5}, "different_trades"),
        ({"benchmark": "NASDAQ"}, "other_benchmark"),
        ({"survivorship": False}, "biased_warning"),
        ({"risk_management": True, "risk": {"stop_loss": 0.01, "drawdown_brake": 0.15}}, "stops"),
        ({"risk_management": True, "risk": {"stop_loss": 0.5, "drawdown_brake": 0.01}}, "braked"),
    ],
    ids=lambda value: next(iter(value)) if isinstance(value, dict) else value,
)
def test_each_request_field_changes_the_result(
    bench: Bench, base: dict[str, Any], change: dict[str, Any], expect: str
) -> None:
    changed = bench.run(**change)
    trades, base_trades = bench.trades(changed), bench.trades(base)
    checks = {
        "lower_net": lambda: (
            changed["net"]["final_equity"] < base["net"]["final_equity"]
            and changed["gross"]["final_equity"] - changed["net"]["final_equity"]
            > base["gross"]["final_equity"] - base["net"]["final_equity"]
        ),
        "no_trades": lambda: len(trades) == 0,
        "more_trades": lambda: len(trades) > len(base_trades),
        "fewer_trades": lambda: len(trades) < len(base_trades),
        "lower_exposure": lambda: (
            changed["net"]["average_exposure"] < base["net"]["average_exposure"]
        ),
        "scaled_equity": lambda: bench.equity(changed)[0]["net"] == pytest.approx(10_000.0),
        "only_those_tickers": lambda: (
            {t["ticker"] for t in trades} <= {"SYNTEC01", "SYNFIN01", "SYNHLT01"}
            and len(trades) > 0
        ),
        "later_start": lambda: changed["window_start"] > base["window_start"],
        "earlier_end": lambda: changed["window_end"] == "2018-06-29",
        "different_trades": lambda: trades != base_trades,
        "other_benchmark": lambda: (
            changed["benchmark"]["name"] == "NASDAQ"
            and changed["benchmark"]["total_return"] != base["benchmark"]["total_return"]
        ),
        "biased_warning": lambda: any("survivorship-biased" in w for w in changed["warnings"]),
        "stops": lambda: any(t["exit_reason"] == "stop_loss" for t in trades),
        "braked": lambda: changed["net"]["average_exposure"] < base["net"]["average_exposure"],
    }
    assert checks[expect]()


def test_walk_forward_retrains_per_block_and_is_reproducible(bench: Bench) -> None:
    settings = {"retrain_every": 126, "min_train_days": 252, "seed": 0, "lightgbm": TINY_LIGHTGBM}
    first = bench.run(version="walk_forward", years=2, walk_forward=settings)
    assert len(first["versions"]) == 4  # two years of 126-day blocks
    assert all(v.startswith("walk_forward:") for v in first["versions"])
    again = bench.run(version="walk_forward", years=2, walk_forward=settings)
    assert again["net"] == first["net"]
    reseeded = bench.run(version="walk_forward", years=2, walk_forward={**settings, "seed": 5})
    assert bench.trades(reseeded) != bench.trades(first)
    shorter = bench.run(
        version="walk_forward", years=2, walk_forward={**settings, "retrain_every": 252}
    )
    assert len(shorter["versions"]) == 2


def test_checks_refuse_what_the_version_cannot_serve(bench: Bench) -> None:
    with pytest.raises(ValidationFailedError, match=r"horizons \[5, 10\]"):
        bench.lab.check({**BASE, "horizon": 21})
    with pytest.raises(ValidationFailedError, match="feature_mode core"):
        bench.lab.check({**BASE, "feature_mode": "full"})
    with pytest.raises(ValidationFailedError, match="unknown tickers: ZZZZ"):
        bench.lab.check({**BASE, "tickers": ["SYNTEC01", "ZZZZ"]})
    with pytest.raises(ValidationFailedError, match="benchmark QQQQ"):
        bench.lab.check({**BASE, "benchmark": "QQQQ"})


def test_equity_points_cover_the_window_with_drawdown(bench: Bench, base: dict[str, Any]) -> None:
    points = bench.equity(base)
    assert points[0]["date"] == base["window_start"]
    assert points[-1]["date"] == base["window_end"]
    net = np.array([p["net"] for p in points])
    drawdown = np.array([p["drawdown"] for p in points])
    np.testing.assert_allclose(drawdown, net / np.maximum.accumulate(net) - 1.0, atol=1e-12)
    assert points[0]["benchmark"] == pytest.approx(BASE["initial_capital"])


def test_walk_forward_feature_mode_and_min_train_days_change_the_result(bench: Bench) -> None:
    settings = {"retrain_every": 252, "min_train_days": 252, "seed": 0, "lightgbm": TINY_LIGHTGBM}
    early = {"version": "walk_forward", "years": 15, "end": "2001-12-31"}
    core = bench.run(**early, walk_forward=settings)
    full = bench.run(**early, walk_forward=settings, feature_mode="full")
    later = bench.run(**early, walk_forward={**settings, "min_train_days": 504})
    assert bench.trades(full) != bench.trades(core)
    assert later["window_start"] > core["window_start"]
    assert len(later["versions"]) == len(core["versions"]) - 1


@pytest.mark.skipif(not SP500.is_dir(), reason="../shared/data/sp500_5yr absent")
def test_full_universe_widens_what_can_be_traded(tmp_path: Path) -> None:
    """The sample has 50 stocks (all within the top 100); on the 505 S&P 500 files the
    default trades only each day's 100 most liquid names."""
    store = Store(tmp_path / "store")
    import_directory(SP500, store)
    lab = BacktestLab(Research(store, tmp_path / "home"), tmp_path / "home")
    panel = load_panel(store)
    scores = np.zeros(panel.close.shape)
    liquid = lab._tradeable({**BASE, "full_universe": False}, panel, scores)
    everything = lab._tradeable({**BASE, "full_universe": True}, panel, scores)
    assert int(np.isfinite(liquid).sum(axis=1).max()) == 100
    assert int(np.isfinite(everything).sum(axis=1).max()) > 450
