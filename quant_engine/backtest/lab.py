"""Backtests over one home: request → out-of-sample scores → simulation → metrics →
artifacts; and the reads the API serves.

Blocking (pandas, LightGBM, file I/O): call from a job or a worker thread. Results are
JSON-ready mappings shaped like the contract's schemas.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections.abc import Callable, Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from quant_engine import __version__
from quant_engine.backtest.execution import ExecutionRules, SimulationResult, simulate
from quant_engine.backtest.metrics import SideSummary, summarize
from quant_engine.backtest.scoring import Scores, version_scores, version_scores_window
from quant_engine.backtest.store import BacktestStore
from quant_engine.backtest.walkforward import block_starts, walk_forward_scores
from quant_engine.core.errors import ArtifactCorruptError, ErrorDetail, ValidationFailedError
from quant_engine.data.cancel import CancelToken, ProgressCallback
from quant_engine.features import (
    EQUAL_WEIGHT,
    FeatureSet,
    Panel,
    as_date,
    load_panel,
    universe_mask,
)
from quant_engine.models.config import LightGBMParams, TrainConfig
from quant_engine.models.pipeline import DAYS_PER_YEAR, SURVIVORSHIP_WARNING, resolve_end
from quant_engine.models.research import Research

ENGINE_VERSION = f"quant_engine {__version__} backtest/1"
WALK_FORWARD = "walk_forward"
WALK_FORWARD_TRAINING_YEARS = 50
"""Walk-forward blocks train on all history before them (the request's ``years`` is the
backtest window, not the training lookback)."""
WALK_FORWARD_FOLDS = 2
"""CV folds inside each walk-forward retraining: the fewest the trainer accepts, since
only each block's final model is used."""


def _json_float(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


class BacktestLab:
    """Runs and reads backtests; artifacts under ``home/artifacts/backtests``."""

    def __init__(
        self,
        research: Research,
        home: Path,
        *,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.research = research
        self.store = BacktestStore(home / "artifacts" / "backtests")
        self._clock = clock

    # -------------------------------------------------------------- checks

    def check(self, params: Mapping[str, Any], panel: Panel | None = None) -> None:
        """Refuse, before any work is queued, what the data or registry cannot serve:
        unknown tickers or benchmark, a version without the horizon or feature mode, a
        window without an out-of-sample day. ``panel``: the stored panel when the caller
        has loaded it already (it is loaded here otherwise)."""
        manifest = self.research.store.manifest()
        known = set(manifest.tickers) if manifest else set()
        stocks = {
            t for t, info in (manifest.tickers.items() if manifest else ()) if info.kind == "stock"
        }
        unknown = sorted(set(params.get("tickers") or ()) - stocks)
        if unknown:
            raise ValidationFailedError(
                f"unknown tickers: {', '.join(unknown[:20])} (not stored stocks)",
                [
                    ErrorDetail(
                        loc=("body", "tickers"),
                        msg=f"not stored stocks: {', '.join(unknown[:20])}",
                    )
                ],
            )
        benchmark = str(params["benchmark"])
        if benchmark != "SP500" and benchmark not in known:
            raise ValidationFailedError(
                f"benchmark {benchmark} is not a stored series",
                [ErrorDetail(loc=("body", "benchmark"), msg="not stored")],
            )
        version = str(params["version"])
        if version == WALK_FORWARD:
            self._check_walk_forward(params, self._window(params, panel))
            return
        loaded = self.research.resolve(version)
        horizons = [record.horizon for record in loaded.horizons]
        if int(params["horizon"]) not in horizons:
            raise ValidationFailedError(
                f"{loaded.version} was trained for horizons {horizons}, not {params['horizon']}",
                [ErrorDetail(loc=("body", "horizon"), msg=f"must be one of {horizons}")],
            )
        if loaded.feature_mode != params["feature_mode"]:
            raise ValidationFailedError(
                f"{loaded.version} uses feature_mode {loaded.feature_mode}",
                [ErrorDetail(loc=("body", "feature_mode"), msg=f"must be {loaded.feature_mode}")],
            )
        version_scores_window(loaded, int(params["horizon"]), self._window(params, panel))

    def _window(self, params: Mapping[str, Any], panel: Panel | None) -> Panel:
        """``panel`` (the stored one when None) cut at the request's end."""
        if panel is None:
            panel = load_panel(self.research.store)
        return panel.cut(resolve_end(panel, _date(params.get("end"))))

    def _check_walk_forward(self, params: Mapping[str, Any], panel: Panel) -> None:
        """The window and the block settings fit the stored data (422 otherwise)."""
        settings = params.get("walk_forward") or {}
        try:
            starts = block_starts(
                len(panel.dates),
                retrain_every=int(settings.get("retrain_every", 63)),
                min_train_days=int(settings.get("min_train_days", 504)),
            )
        except ValidationFailedError as error:
            fields = [str(detail.loc[-1]) for detail in error.details] or ["min_train_days"]
            raise ValidationFailedError(
                error.message,
                [ErrorDetail(loc=("body", "walk_forward", f), msg=error.message) for f in fields],
            ) from error
        if starts[0] >= len(panel.dates) - 1:
            raise ValidationFailedError(
                "the walk-forward window has no out-of-sample day",
                [ErrorDetail(loc=("body", "walk_forward", "min_train_days"), msg="too long")],
            )

    # ----------------------------------------------------------------- run

    def run(
        self,
        params: Mapping[str, Any],
        *,
        cancel: CancelToken | None = None,
        progress: ProgressCallback | None = None,
    ) -> dict[str, Any]:
        """Run one backtest (``BacktestParams``); returns the ``BacktestResult``."""
        benchmark = str(params["benchmark"])
        panel = load_panel(self.research.store, benchmark=benchmark)
        self.check(params, panel)
        warnings: list[str] = []
        if panel.benchmark_name != benchmark:
            warnings.append(
                f"benchmark {benchmark} is not stored: using {EQUAL_WEIGHT}, the "
                "equal-weighted mean return of the stocks"
            )
        end = resolve_end(panel, _date(params.get("end")))
        # features over the whole stored panel (cached once per data and mode), then cut:
        # they are point in time, so this equals computing them on the cut data
        features = self.research.feature_set(panel, str(params["feature_mode"])).cut(end)
        panel = panel.cut(end)
        start_row = self._window_start(panel, int(params["years"]), warnings)
        scores = self._scores(params, panel, features, start_row, cancel=cancel, progress=progress)
        warnings.extend(scores.warnings)
        if scores.first_scored is None or scores.first_scored >= len(panel.dates) - 1:
            raise ValidationFailedError(
                "no out-of-sample day in the window",
                [ErrorDetail(loc=("body", "years"), msg="the window has no out-of-sample day")],
            )
        if not params["survivorship"]:
            warnings.append(SURVIVORSHIP_WARNING)
        rows = slice(scores.first_scored, len(panel.dates))
        signal = self._tradeable(params, panel, scores.values)[rows]
        # fills and marks on split/dividend-adjusted prices (equal to the raw ones unless
        # the source had an Adj Close column), so a corporate action is not a fake loss
        with np.errstate(divide="ignore", invalid="ignore"):
            factor = panel.adj_close / panel.close
        result = simulate(
            (panel.open * factor)[rows],
            panel.adj_close[rows],
            signal,
            _rules(params),
            panel.tickers,
            panel.dates[rows],
        )
        benchmark_equity = _benchmark_equity(
            panel.benchmark[rows], float(params["initial_capital"])
        )
        return self._record(
            params, panel, result, benchmark_equity, scores=scores, warnings=warnings
        )

    def _window_start(self, panel: Panel, years: int, warnings: list[str]) -> int:
        end = as_date(panel.dates[-1])
        wanted = end - dt.timedelta(days=round(years * DAYS_PER_YEAR))
        row = int(np.searchsorted(panel.dates, np.datetime64(wanted, "D"), side="right"))
        if row == 0:
            warnings.append(
                f"years={years} asks for data from {wanted}; the window starts at the first "
                f"stored date {as_date(panel.dates[0])}"
            )
        return row

    def _scores(
        self,
        params: Mapping[str, Any],
        panel: Panel,
        features: FeatureSet,
        start_row: int,
        *,
        cancel: CancelToken | None,
        progress: ProgressCallback | None,
    ) -> Scores:
        horizon = int(params["horizon"])
        if params["version"] != WALK_FORWARD:
            version = self.research.resolve(str(params["version"]))
            return version_scores(version, horizon, panel, features, start_row)
        settings = params.get("walk_forward") or {}
        config = TrainConfig(
            horizons=(horizon,),
            feature_mode=str(params["feature_mode"]),
            survivorship=bool(params["survivorship"]),
            full_universe=bool(params["full_universe"]) or bool(params.get("tickers")),
            years=WALK_FORWARD_TRAINING_YEARS,  # expanding: every day before the block
            folds=WALK_FORWARD_FOLDS,
            seed=int(settings.get("seed", 0)),
            lightgbm=LightGBMParams(**(settings.get("lightgbm") or {})),
        )
        result = walk_forward_scores(
            panel,
            features,
            config,
            horizon=horizon,
            retrain_every=int(settings.get("retrain_every", 63)),
            min_train_days=int(settings.get("min_train_days", 504)),
            first_row=start_row,
            cancel=cancel,
            progress=progress,
        )
        versions = tuple(f"walk_forward:{as_date(panel.dates[b.start])}" for b in result.blocks)
        first = result.blocks[0].start if result.blocks else None
        return Scores(result.scores, first, versions, result.warnings)

    def _tradeable(self, params: Mapping[str, Any], panel: Panel, scores: np.ndarray) -> np.ndarray:
        """Scores only where the ticker is in the request's universe that day (point in
        time, or survivorship-biased when asked; the liquidity cut unless ``full_universe``
        or explicit ``tickers``) and trades at the close."""
        tickers = params.get("tickers")
        mask = universe_mask(
            panel,
            survivorship=bool(params["survivorship"]),
            # named tickers are traded whatever their liquidity rank
            full_universe=bool(params["full_universe"]) or bool(tickers),
        ) & np.isfinite(panel.close)
        if tickers:
            wanted = np.isin(np.asarray(panel.tickers), list(tickers))
            mask &= wanted[np.newaxis, :]
        return np.where(mask, scores, np.nan)

    def _record(
        self,
        params: Mapping[str, Any],
        panel: Panel,
        result: SimulationResult,
        benchmark_equity: np.ndarray,
        *,
        scores: Scores,
        warnings: list[str],
    ) -> dict[str, Any]:
        backtest_id = str(uuid.uuid4())
        summary = summarize(result, benchmark_equity)
        runs = self.store.count_run(panel.universe_fingerprint)
        document: dict[str, Any] = {
            "backtest_id": backtest_id,
            "created_at": self._clock().isoformat(),
            "request": dict(params),
            "window_start": as_date(result.dates[0]).isoformat(),
            "window_end": as_date(result.dates[-1]).isoformat(),
            "versions": list(scores.versions),
            "universe_fingerprint": panel.universe_fingerprint,
            "engine_version": ENGINE_VERSION,
            "warnings": warnings,
            "backtests_on_data": runs,
            "gross": _side(summary.gross, result.gross_equity),
            "net": _side(summary.net, result.equity),
            "benchmark": {
                "name": panel.benchmark_name,
                "total_return": _json_float(summary.net.benchmark.benchmark_total_return),
                "cagr": _json_float(summary.net.benchmark.benchmark_cagr),
                "alpha": _json_float(summary.net.benchmark.alpha),
                "beta": _json_float(summary.net.benchmark.beta),
                "information_ratio": _json_float(summary.net.benchmark.information_ratio),
                "tracking_error": _json_float(summary.net.benchmark.tracking_error),
            },
        }
        self.store.save(
            backtest_id, document, _equity_frame(result, benchmark_equity), _trades(result)
        )
        net = document["net"]
        return {
            "backtest_id": backtest_id,
            "net_total_return": net["total_return"],
            "net_sharpe": net["sharpe"],
            "trades": net["trades"],
            "warnings": warnings,
        }

    # ---------------------------------------------------------------- reads

    def list(self, limit: int, cursor: str | None) -> dict[str, Any]:
        ids = self.store.ids_newest_first()
        offset = int(cursor) if cursor is not None else 0
        page = ids[offset : offset + limit]
        following = offset + limit
        return {
            "items": [self.store.summary(backtest_id) for backtest_id in page],
            "next_cursor": str(following) if following < len(ids) else None,
        }

    def summary(self, backtest_id: str) -> dict[str, Any]:
        return self.store.summary(backtest_id)

    def equity(self, backtest_id: str) -> dict[str, Any]:
        frame = self.store.equity(backtest_id)
        points = [
            {
                "date": str(row["date"])[:10],
                "net": float(row["net"]),
                "gross": float(row["gross"]),
                "benchmark": _json_float(float(row["benchmark"])),
                "drawdown": float(row["drawdown"]),
            }
            for row in frame.to_dict("records")
        ]
        return {"backtest_id": backtest_id, "points": points}

    def trades(self, backtest_id: str, limit: int, cursor: str | None) -> dict[str, Any]:
        frame = self.store.trades(backtest_id)
        offset = int(cursor) if cursor is not None else 0
        page = frame.iloc[offset : offset + limit]
        following = offset + limit
        items = [
            {
                "ticker": str(row["ticker"]),
                "entry_date": str(row["entry_date"])[:10],
                "entry_price": float(row["entry_price"]),
                "exit_date": str(row["exit_date"])[:10],
                "exit_price": float(row["exit_price"]),
                "shares": float(row["shares"]),
                "gross_pnl": float(row["gross_pnl"]),
                "costs": float(row["costs"]),
                "net_pnl": float(row["net_pnl"]),
                "return": float(row["return"]),
                "exit_reason": str(row["exit_reason"]),
            }
            for row in page.to_dict("records")
        ]
        return {
            "items": items,
            "next_cursor": str(following) if following < len(frame) else None,
            "total": len(frame),
        }

    def delete(self, backtest_id: str) -> dict[str, Any]:
        self.store.delete(backtest_id)
        return {"backtest_id": backtest_id, "deleted": True}

    def latest(self) -> dict[str, Any] | None:
        """The newest readable summary (a corrupt one is skipped; the store logged it)."""
        for backtest_id in self.store.ids_newest_first():
            try:
                return self.store.summary(backtest_id)
            except ArtifactCorruptError:
                continue
        return None


def _date(value: object) -> dt.date | None:
    return dt.date.fromisoformat(value) if isinstance(value, str) else None


def _rules(params: Mapping[str, Any]) -> ExecutionRules:
    risk = params.get("risk") or {}
    managed = bool(params.get("risk_management"))
    return ExecutionRules(
        holding_period=int(params["holding_period"]),
        max_positions=int(params["max_positions"]),
        entry_threshold=float(params["entry_threshold"]),
        position_size=float(params["position_size"]),
        commission_bps=float(params["commission_bps"]),
        slippage_bps=float(params["slippage_bps"]),
        initial_capital=float(params["initial_capital"]),
        stop_loss=float(risk.get("stop_loss", 0.08)) if managed else None,
        drawdown_brake=float(risk.get("drawdown_brake", 0.15)) if managed else None,
    )


def _benchmark_equity(levels: np.ndarray, capital: float) -> np.ndarray:
    """The benchmark scaled to ``capital`` at its first known level (NaN before it)."""
    finite = np.flatnonzero(np.isfinite(levels))
    if finite.size == 0:
        return np.full(len(levels), np.nan)
    return np.asarray(levels / levels[finite[0]] * capital, dtype=np.float64)


def _side(side: SideSummary, equity: np.ndarray) -> dict[str, Any]:
    performance = asdict(side.performance)
    return {
        **{
            key: _json_float(value) if key != "max_drawdown_days" else int(value)
            for key, value in performance.items()
        },
        "win_rate": _json_float(side.trades.win_rate),
        "profit_factor": _json_float(side.trades.profit_factor),
        "average_trade_return": _json_float(side.trades.average_trade_return),
        "annual_turnover": _json_float(side.annual_turnover),
        "average_exposure": _json_float(side.average_exposure),
        "trades": int(side.trades.n_trades),
        "final_equity": float(equity[-1]),
    }


def _equity_frame(result: SimulationResult, benchmark_equity: np.ndarray) -> pd.DataFrame:
    peak = np.maximum.accumulate(result.equity)
    return pd.DataFrame(
        {
            "date": result.dates.astype("datetime64[D]").astype(str),
            "net": result.equity,
            "gross": result.gross_equity,
            "benchmark": benchmark_equity,
            "drawdown": np.minimum(result.equity / peak - 1.0, 0.0),
        }
    )


def _trades(result: SimulationResult) -> pd.DataFrame:
    frame = result.trades.to_frame().drop(columns=["signal_date"])
    for column in ("entry_date", "exit_date"):
        frame[column] = np.asarray(frame[column]).astype("datetime64[D]").astype(str)
    return frame
