"""The autopilot cycle: refresh, train a challenger, decide, signal, trade on paper, track.

One cycle runs at an **as-of date**. In ``live`` mode it is the last stored date (new data
moves it). In ``replay`` mode a clock starts at ``replay_start`` and each successful cycle
advances it by ``step_days`` trading days, so the loop runs over history as it would have
run live. Nothing in a cycle reads a price after its as-of date except the fills and
marks of days the clock has reached:

- training uses ``end = as_of`` (the training pipeline cuts the panel there, labels
  included);
- signals are scored on the features of the as-of row (features use rows up to it);
- the paper account trades the rows up to as-of only (fills at opens the clock reached);
- matured signals are scored on the panel cut at as-of.

Blocking: the ``autopilot`` job runs :meth:`Autopilot.run_cycle` in a worker thread.
The configuration and the replay clock live in ``state/autopilot.json`` (atomic writes);
the cycles and their steps in ``state/autopilot.db`` (SQLite WAL), updated after every
step so a running cycle can be watched and a killed one is seen as such.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import json
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from quant_engine.autopilot.paper import PAPER_RULES, PaperAccount, tracker_fills
from quant_engine.backtest.execution import ExecutionRules
from quant_engine.core.atomic import atomic_write_bytes
from quant_engine.core.errors import (
    ArtifactCorruptError,
    ConflictError,
    ErrorDetail,
    NotFoundError,
    UnavailableError,
    ValidationFailedError,
)
from quant_engine.data.cancel import CancelToken, ProgressCallback
from quant_engine.features import Panel, as_date
from quant_engine.models.config import LightGBMParams
from quant_engine.models.monitoring import Monitor
from quant_engine.models.research import PredictionFailed, Research
from quant_engine.models.trainer import TrainingCancelled
from quant_engine.tracking import ExecutionTracker, TrackingDatabase
from quant_engine.tracking.timestamps import from_stored, to_stored

logger = logging.getLogger(__name__)

Mode = Literal["live", "replay"]
StepStatus = Literal["pending", "running", "succeeded", "skipped", "failed", "cancelled"]
STEPS = ("data_refresh", "train", "governance", "signals", "paper", "tracking")
CONFIG_FILE = "autopilot.json"
CYCLES_DATABASE = "autopilot.db"
MIN_INTERVAL = {"replay": 60, "live": 3600}
DEFAULT_INTERVAL = {"replay": 300, "live": 3600}
DEFAULT_REPLAY_LOOKBACK = 252  # trading days before the last stored date
DEFAULT_TRAINING: dict[str, Any] = {
    "horizons": [5],
    "feature_mode": "core",
    "survivorship": True,
    "full_universe": False,
    "years": 3,
    "end": None,
    "folds": 3,
    "embargo_days": 5,
    "seed": 0,
    "lightgbm": {**dataclasses.asdict(LightGBMParams()), "n_estimators": 100},
}
"""Training of the first version when there is no champion yet: three years, three folds,
100 trees, so that a cycle on the sample takes seconds."""
CYCLES_SCHEMA = """
CREATE TABLE IF NOT EXISTS cycles (
    job_id TEXT PRIMARY KEY,
    mode TEXT NOT NULL,
    as_of TEXT,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL,
    steps TEXT NOT NULL,
    error TEXT
);
CREATE INDEX IF NOT EXISTS cycles_started ON cycles (started_at);
"""


class CycleCancelled(Exception):  # noqa: N818 - mirrors TrainingCancelled
    """The cycle was cancelled between or inside steps."""


class StepFailed(Exception):  # noqa: N818 - a step's failure, carrying the step's name
    """A step failed; ``cause`` is the engine error."""

    def __init__(self, step: str, cause: Exception) -> None:
        message = getattr(cause, "message", None) or str(cause)
        super().__init__(f"step {step} failed: {message}")
        self.step = step
        self.cause = cause


@dataclass
class StepRecord:
    name: str
    status: StepStatus = "pending"
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    duration_seconds: float | None = None
    outcome: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "duration_seconds": self.duration_seconds,
            "outcome": self.outcome,
        }


@dataclass(frozen=True)
class AutopilotConfig:
    """What the autopilot does; persisted in ``state/autopilot.json``."""

    enabled: bool = False
    mode: Mode = "replay"
    interval_seconds: int = 300
    replay_start: dt.date | None = None
    step_days: int = 5
    training: Mapping[str, Any] = field(default_factory=lambda: dict(DEFAULT_TRAINING))
    trading: ExecutionRules = PAPER_RULES

    def as_dict(self) -> dict[str, Any]:
        return {
            "enabled": self.enabled,
            "mode": self.mode,
            "interval_seconds": self.interval_seconds,
            "replay_start": self.replay_start.isoformat() if self.replay_start else None,
            "step_days": self.step_days,
            "training": dict(self.training),
            "trading": _trading_dict(self.trading),
        }


TRADING_FIELDS = (
    "max_positions",
    "position_size",
    "entry_threshold",
    "holding_period",
    "commission_bps",
    "slippage_bps",
    "initial_capital",
)


def _trading_dict(rules: ExecutionRules) -> dict[str, Any]:
    return {name: getattr(rules, name) for name in TRADING_FIELDS}


def check_config(config: AutopilotConfig) -> None:
    """The rules the schema cannot say: the interval's minimum depends on the mode."""
    minimum = MIN_INTERVAL[config.mode]
    if config.interval_seconds < minimum:
        raise ValidationFailedError(
            f"interval_seconds must be at least {minimum} in {config.mode} mode",
            [ErrorDetail(("body", "interval_seconds"), f">= {minimum} in {config.mode} mode")],
        )


@dataclass(frozen=True)
class CycleRecord:
    job_id: str
    mode: Mode
    as_of: dt.date | None
    started_at: dt.datetime
    finished_at: dt.datetime | None
    status: str
    steps: tuple[dict[str, Any], ...]
    error: str | None


class Autopilot:
    """Configuration, replay clock, cycles and the paper account of one home."""

    def __init__(
        self,
        research: Research,
        monitor: Monitor,
        execution: ExecutionTracker,
        state_dir: Path,
        *,
        refresh: Callable[[CancelToken, ProgressCallback], str],
        default_mode: Mode,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.research = research
        self.monitor = monitor
        self.execution = execution
        self.paper = PaperAccount(state_dir / "paper.db")
        self.cycles_db = TrackingDatabase(state_dir / CYCLES_DATABASE, CYCLES_SCHEMA)
        self._config_path = state_dir / CONFIG_FILE
        self._refresh = refresh
        self._default_mode = default_mode
        self._clock = clock
        self._lock = threading.Lock()
        self._days: tuple[str, tuple[dt.date, ...], str] | None = None

    # ---------------------------------------------------------------- configuration

    def _read(self) -> dict[str, Any]:
        try:
            payload = self._config_path.read_bytes()
        except FileNotFoundError:
            return {}
        except OSError as error:
            raise ArtifactCorruptError(f"{CONFIG_FILE} cannot be read: {error}") from error
        try:
            document = json.loads(payload)
            if not isinstance(document, dict):
                raise ValueError("not an object")
        except ValueError as error:
            raise ArtifactCorruptError(f"{CONFIG_FILE} is unreadable: {error}") from error
        return document

    def _write(self, document: Mapping[str, Any]) -> None:
        atomic_write_bytes(self._config_path, json.dumps(document, indent=1).encode())

    def config(self) -> AutopilotConfig:
        """The stored configuration (defaults until the first update)."""
        stored = self._read().get("config")
        if not isinstance(stored, dict):
            return AutopilotConfig(
                mode=self._default_mode, interval_seconds=DEFAULT_INTERVAL[self._default_mode]
            )
        try:
            start = stored.get("replay_start")
            return AutopilotConfig(
                enabled=bool(stored["enabled"]),
                mode=stored["mode"],
                interval_seconds=int(stored["interval_seconds"]),
                replay_start=dt.date.fromisoformat(start) if start else None,
                step_days=int(stored["step_days"]),
                training=dict(stored["training"]),
                trading=ExecutionRules(**stored["trading"]),
            )
        except (KeyError, TypeError, ValueError, ValidationFailedError) as error:
            raise ArtifactCorruptError(f"{CONFIG_FILE} has an invalid config: {error}") from error

    def update_config(self, changes: Mapping[str, Any]) -> AutopilotConfig:
        """Apply ``changes`` (fields of :class:`AutopilotConfig`; ``trading`` as a
        mapping). A new mode or replay start moves the replay clock back."""
        with self._lock:
            document = self._read()
            current = self.config()
            values = dataclasses.asdict(current)
            values["trading"] = current.trading
            for name, value in changes.items():
                if name == "trading":
                    values["trading"] = dataclasses.replace(current.trading, **value)
                else:
                    values[name] = value
            updated = AutopilotConfig(**values)
            check_config(updated)
            document["config"] = updated.as_dict()
            if updated.mode != current.mode or updated.replay_start != current.replay_start:
                document.pop("replay_as_of", None)
            self._write(document)
            return updated

    def last_run_at(self) -> dt.datetime | None:
        value = self._read().get("last_run_at")
        return dt.datetime.fromisoformat(value) if isinstance(value, str) else None

    def mark_run(self, at: dt.datetime) -> None:
        with self._lock:
            document = self._read()
            document["last_run_at"] = at.isoformat()
            self._write(document)

    # ---------------------------------------------------------------- the clock

    def trading_days(self) -> tuple[dt.date, ...]:
        """The stored trading days (cached per universe fingerprint)."""
        fingerprint = self.research.store.universe_fingerprint()
        if fingerprint is None:
            return ()
        cached = self._days
        if cached is None or cached[0] != fingerprint:
            panel = self.research.panel()
            cached = (fingerprint, tuple(as_date(d) for d in panel.dates), panel.benchmark_name)
            self._days = cached
        return cached[1]

    def benchmark_name(self) -> str:
        self.trading_days()
        return self._days[2] if self._days is not None else "none"

    def as_of(self, panel: Panel) -> tuple[dt.date | None, str | None]:
        """The date the next cycle runs at, or None with the reason."""
        return self.as_of_on(tuple(as_date(d) for d in panel.dates), self.config())

    def as_of_on(
        self, dates: Sequence[dt.date], config: AutopilotConfig
    ) -> tuple[dt.date | None, str | None]:
        """The as-of date on the trading days ``dates`` (ascending) under ``config``."""
        if not dates:
            return None, "no data imported yet"
        if config.mode == "live":
            return dates[-1], None
        stored = self._read().get("replay_as_of")
        if isinstance(stored, str):
            day = dt.date.fromisoformat(stored)
        elif config.replay_start is not None:
            day = config.replay_start
        else:
            day = dates[max(0, len(dates) - 1 - DEFAULT_REPLAY_LOOKBACK)]
        row = bisect.bisect_left(dates, day)  # the first trading day on or after it
        if row >= len(dates):
            return None, (
                f"the replay clock ({day}) has reached the last stored date {dates[-1]}: "
                "set a new replay_start or switch to live"
            )
        return dates[row], None

    def _advance(self, panel: Panel, as_of: dt.date, step_days: int) -> dt.date | None:
        row = int(np.searchsorted(panel.dates, np.datetime64(as_of, "D")))
        target = row + step_days
        nxt = as_date(panel.dates[target]) if target < len(panel.dates) else None
        with self._lock:
            document = self._read()
            document["replay_as_of"] = (
                nxt.isoformat()
                if nxt is not None
                else (as_date(panel.dates[-1]) + dt.timedelta(days=1)).isoformat()
            )
            self._write(document)
        return nxt

    # ---------------------------------------------------------------- cycles

    def cycles(self, limit: int = 20) -> tuple[CycleRecord, ...]:
        with self.cycles_db.transaction(write=False) as connection:
            rows = connection.execute(
                "SELECT job_id, mode, as_of, started_at, finished_at, status, steps, error "
                "FROM cycles ORDER BY started_at DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return tuple(
            CycleRecord(
                job_id=row[0],
                mode=row[1],
                as_of=dt.date.fromisoformat(row[2]) if row[2] else None,
                started_at=from_stored(row[3]),
                finished_at=from_stored(row[4]) if row[4] else None,
                status=row[5],
                steps=tuple(json.loads(row[6])),
                error=row[7],
            )
            for row in rows
        )

    def _save_cycle(self, context: _CycleContext, status: str, error: str | None = None) -> None:
        finished = None if status == "running" else to_stored(self._clock(), "finished_at")
        with self.cycles_db.transaction(write=True) as connection:
            connection.execute(
                "INSERT INTO cycles (job_id, mode, as_of, started_at, finished_at, status, "
                "steps, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(job_id) DO UPDATE "
                "SET as_of = excluded.as_of, finished_at = excluded.finished_at, "
                "status = excluded.status, steps = excluded.steps, error = excluded.error",
                (
                    context.job_id,
                    context.config.mode,
                    context.as_of.isoformat() if context.as_of else None,
                    to_stored(context.started, "started_at"),
                    finished,
                    status,
                    json.dumps([step.as_dict() for step in context.steps]),
                    error,
                ),
            )

    def run_cycle(
        self,
        job_id: str,
        skip: Sequence[str],
        cancel: CancelToken,
        progress: ProgressCallback,
    ) -> dict[str, Any]:
        """Run the six steps at the current as-of date; returns the ``AutopilotResult``.

        Raises :class:`StepFailed` naming the step, :class:`CycleCancelled` when
        cancelled; the cycle's record says which steps ran either way.
        """
        config = self.config()
        context = _CycleContext(
            config=config,
            job_id=job_id,
            started=self._clock(),
            steps=[StepRecord(name) for name in STEPS],
        )
        self._save_cycle(context, "running")
        status, error = "failed", None
        try:
            for index, step in enumerate(context.steps):
                if cancel.is_cancelled():
                    raise CycleCancelled(f"cancelled before step {step.name}")
                progress(index / len(STEPS), f"step {index + 1}/{len(STEPS)}: {step.name}")
                if step.name in skip:
                    step.status, step.outcome = "skipped", "skipped on request"
                else:
                    self._run_step(step, context, cancel, progress)
                self._save_cycle(context, "running")
            panel, as_of = self._load(context)
            next_as_of = None
            if config.mode == "replay":
                next_as_of = self._advance(panel, as_of, config.step_days)
            status = "succeeded"
            progress(1.0, "cycle complete")
            return {
                "as_of": as_of.isoformat(),
                "mode": config.mode,
                "steps": [step.as_dict() for step in context.steps],
                "champion": self.research.governance.champion(),
                "next_as_of": next_as_of.isoformat() if next_as_of else None,
            }
        except CycleCancelled as cancelled:
            status, error = "cancelled", str(cancelled)
            for step in context.steps:
                if step.status in ("pending", "running"):
                    step.status = "cancelled"
            raise
        except StepFailed as failed:
            error = str(failed)
            raise
        finally:
            self._save_cycle(context, status, error)

    def _run_step(
        self,
        step: StepRecord,
        context: _CycleContext,
        cancel: CancelToken,
        progress: ProgressCallback,
    ) -> None:
        step.status, step.started_at = "running", self._clock()
        self._save_cycle(context, "running")
        begun = time.perf_counter()
        context.skip_reason = None
        try:
            outcome = getattr(self, f"_step_{step.name}")(context, cancel, progress)
        except CycleCancelled:
            step.status = "cancelled"
            raise
        except (
            ValidationFailedError,
            NotFoundError,
            ConflictError,
            ArtifactCorruptError,
            UnavailableError,
            PredictionFailed,
        ) as error:
            step.status, step.outcome = "failed", getattr(error, "message", str(error))
            raise StepFailed(step.name, error) from error
        finally:
            step.finished_at = self._clock()
            step.duration_seconds = round(time.perf_counter() - begun, 3)
        if outcome is None:
            step.status, step.outcome = "skipped", context.skip_reason
        else:
            step.status, step.outcome = "succeeded", outcome

    # ---------------------------------------------------------------- the steps

    def _load(self, context: _CycleContext) -> tuple[Panel, dt.date]:
        """The panel and the as-of date (loaded once per cycle)."""
        if context.panel is None or context.as_of is None:
            context.panel = self.research.panel()
            context.as_of, reason = self.as_of(context.panel)
            if context.as_of is None:
                raise ValidationFailedError(reason or "no as-of date", [])
        return context.panel, context.as_of

    def _step_data_refresh(
        self, context: _CycleContext, cancel: CancelToken, progress: ProgressCallback
    ) -> str | None:
        if context.config.mode == "replay":
            context.skip_reason = "replay mode: the clock steps through stored history"
            self._load(context)
            return None
        outcome = self._refresh(cancel, progress)
        self._load(context)
        return outcome

    def _step_train(
        self, context: _CycleContext, cancel: CancelToken, progress: ProgressCallback
    ) -> str | None:
        _, as_of = self._load(context)
        champion = self.research.governance.champion()
        if champion is not None:
            params = dict(self.research.registry.metadata(champion).request)
            origin = f"the configuration of champion {champion}"
        else:
            params = dict(context.config.training)
            origin = "the configured training (no champion yet)"
        params["end"] = as_of.isoformat()
        try:
            result = self.research.train(params, cancel=cancel, progress=None)
        except TrainingCancelled as cancelled:
            raise CycleCancelled("cancelled during training") from cancelled
        context.train_result = result
        first = result["horizons"][0]["overall"]
        return (
            f"{result['version']} trained on data up to {as_of} with {origin}: "
            f"CV rank IC {_fmt(first.get('rank_ic'))}, ICIR {_fmt(first.get('icir'))}"
        )

    def _step_governance(
        self, context: _CycleContext, cancel: CancelToken, progress: ProgressCallback
    ) -> str | None:
        if context.train_result is None:
            context.skip_reason = "no challenger trained in this cycle"
            return None
        decision = context.train_result["decision"]
        verdict = "promoted" if decision["promoted"] else "kept the champion"
        return f"{verdict}: {decision['reason']}"

    def _step_signals(
        self, context: _CycleContext, cancel: CancelToken, progress: ProgressCallback
    ) -> str | None:
        _, as_of = self._load(context)
        result = self.research.predict({"version": "champion", "as_of": as_of.isoformat()})
        context.signals = (str(result["version"]), int(result["horizon"]))
        return (
            f"{result['scored']} tickers scored by {result['version']} at {result['as_of']}"
            f" ({len(result['failed_tickers'])} failed)"
        )

    def _step_paper(
        self, context: _CycleContext, cancel: CancelToken, progress: ProgressCallback
    ) -> str | None:
        panel, as_of = self._load(context)
        if not self.paper.exists():
            self.paper.open(as_of, context.config.trading)
        added = False
        if context.signals is not None:
            version, horizon = context.signals
            document = self.research.signals.load(version, horizon, as_of)
            rows = document["signals"]
            try:
                added = self.paper.add_signals(
                    as_of,
                    version,
                    horizon,
                    [str(row["ticker"]) for row in rows],
                    [float(row["score"]) for row in rows],
                )
            except ConflictError as conflict:
                logger.info("paper: %s", conflict.message)
        report = self.paper.rebalance(
            panel.open,
            panel.close,
            panel.tickers,
            panel.dates,
            as_of=as_of,
            benchmark_close=panel.benchmark,
        )
        recorded = self.execution.record_many(
            tracker_fills(report.new_fills), recorded_at=self._clock()
        )
        signals_note = (
            "new signal set"
            if added
            else "no new signal set (the account already trades this date's)"
        )
        return (
            f"{signals_note}; {len(report.new_fills)} new fill(s) ({recorded} tracked), "
            f"{report.positions} position(s), {report.pending_orders} pending order(s), "
            f"equity {report.equity:,.0f} at {report.as_of}"
        )

    def _step_tracking(
        self, context: _CycleContext, cancel: CancelToken, progress: ProgressCallback
    ) -> str | None:
        panel, as_of = self._load(context)
        report = self.monitor.update(panel.cut(as_of))
        return (
            f"{report.ic_scored} signal date(s) scored, {report.disagreement_recorded} "
            f"disagreement date(s) recorded, {report.pending} awaiting labels"
        )


@dataclass
class _CycleContext:
    config: AutopilotConfig
    job_id: str
    started: dt.datetime
    steps: list[StepRecord]
    panel: Panel | None = None
    as_of: dt.date | None = None
    train_result: dict[str, Any] | None = None
    signals: tuple[str, int] | None = None
    skip_reason: str | None = None


def _fmt(value: object) -> str:
    return f"{value:.4f}" if isinstance(value, float) else "n/a"
