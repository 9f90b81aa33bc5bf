"""The built-in job types and the functions that run them."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

from quant_engine.autopilot.cycle import Autopilot, CycleCancelled, StepFailed
from quant_engine.backtest.lab import BacktestLab
from quant_engine.core.errors import (
    ArtifactCorruptError,
    ConflictError,
    NotFoundError,
    UnavailableError,
    ValidationFailedError,
)
from quant_engine.data import (
    ImportCancelled,
    ImportReport,
    Store,
    import_directory,
    materialize_sample,
)
from quant_engine.jobs.models import (
    CancelToken,
    JobCancelledError,
    JobFailedError,
    JobFunction,
    ProgressReporter,
)
from quant_engine.models.monitoring import Monitor
from quant_engine.models.research import PredictionFailed, Research
from quant_engine.models.trainer import TrainingCancelled

logger = logging.getLogger(__name__)
DATA_REFRESH = "data_refresh"
# Job types of which at most one runs at a time (they write the same store).
EXCLUSIVE_JOB_TYPES = frozenset({DATA_REFRESH, "autopilot"})


def refresh_result(report: ImportReport) -> dict[str, Any]:
    """The contract's ``DataRefreshResult`` for an import report."""
    return {
        "mode": report.data_mode,
        "source": report.source,
        "tickers_imported": len(report.imported),
        "tickers_unchanged": len(report.unchanged),
        "tickers_failed": len(report.failed),
        "failed": [asdict(failure) for failure in report.failed],
        "universe_fingerprint": report.universe_fingerprint,
        "elapsed_seconds": round(report.elapsed_seconds, 3),
    }


def refresh_source(store: Store, data_dir: Path | None) -> Callable[[Any, Any], str]:
    """The autopilot's data step: import the configured source when it changed (the sample
    when ``data_dir`` is None); returns what it did in words."""

    def refresh(cancel: Any, progress: Any) -> str:
        try:
            if data_dir is None:
                report = materialize_sample(store, force=False, cancel=cancel, progress=progress)
            else:
                report = import_directory(
                    data_dir, store, force=False, cancel=cancel, progress=progress
                )
        except ImportCancelled as cancelled:
            raise CycleCancelled(str(cancelled)) from cancelled
        if not report.committed:
            return f"source unchanged ({len(report.unchanged)} tickers): nothing imported"
        return (
            f"{len(report.imported)} imported, {len(report.unchanged)} unchanged, "
            f"{len(report.failed)} failed"
        )

    return refresh


def update_tracking(monitor: Monitor | None) -> None:
    """Score the signal sets whose labels have matured; a tracking failure (a locked or
    corrupt ``tracking.db``, no data) is logged and never fails the job that triggered it."""
    if monitor is None:
        return
    try:
        monitor.update()
    except (UnavailableError, ArtifactCorruptError, ValidationFailedError) as error:
        logger.warning("tracking not updated: %s", error.message)


def data_refresh_job(
    store: Store, data_dir: Path | None, monitor: Monitor | None = None
) -> JobFunction:
    """A job importing ``data_dir`` into ``store`` (the sample universe when None), then
    scoring the signal sets whose labels the new data matures.

    Partial-failure rule: when more than half of the sources fail, the job fails with
    ``ITEMS_FAILED`` and still reports what it did.
    """

    def run(
        params: Mapping[str, Any], token: CancelToken, progress: ProgressReporter
    ) -> Mapping[str, Any]:
        force = bool(params.get("force", False))
        try:
            if data_dir is None:
                report = materialize_sample(store, force=force, cancel=token, progress=progress)
            else:
                report = import_directory(
                    data_dir, store, force=force, cancel=token, progress=progress
                )
        except ImportCancelled as cancelled:
            raise JobCancelledError(str(cancelled)) from cancelled
        except (NotFoundError, ValidationFailedError) as unavailable:
            raise JobFailedError("DATA_SOURCE_UNAVAILABLE", unavailable.message) from unavailable
        except ConflictError as busy:
            raise JobFailedError("DATA_SOURCE_UNAVAILABLE", busy.message) from busy
        except ArtifactCorruptError as corrupt:
            raise JobFailedError("ARTIFACT_CORRUPT", corrupt.message) from corrupt
        result = refresh_result(report)
        if report.committed:  # new rows may mature stored signals
            progress(0.99, "scoring matured signals")
            update_tracking(monitor)
        sources = len(report.imported) + len(report.unchanged) + len(report.failed)
        if sources and 2 * len(report.failed) > sources:
            raise JobFailedError(
                "ITEMS_FAILED", f"{len(report.failed)} of {sources} sources failed", result
            )
        return result

    return run


TRAIN = "train"
PREDICT = "predict"


@contextlib.contextmanager
def research_failures() -> Iterator[None]:
    """Expected failures of research work as job failures with their ``JobErrorCode``."""
    try:
        yield
    except (ValidationFailedError, NotFoundError) as invalid:
        raise JobFailedError("INVALID_REQUEST", invalid.message) from invalid
    except ArtifactCorruptError as corrupt:
        raise JobFailedError("ARTIFACT_CORRUPT", corrupt.message) from corrupt
    except UnavailableError as unavailable:
        raise JobFailedError("UNAVAILABLE", unavailable.message) from unavailable


def train_job(research: Research) -> JobFunction:
    """A job training one model version (``TrainParams``) and judging it."""

    def run(
        params: Mapping[str, Any], token: CancelToken, progress: ProgressReporter
    ) -> Mapping[str, Any]:
        try:
            with research_failures():
                return research.train(params, cancel=token, progress=progress)
        except TrainingCancelled as cancelled:
            raise JobCancelledError(str(cancelled) or "training cancelled") from cancelled

    return run


def predict_job(research: Research, monitor: Monitor | None = None) -> JobFunction:
    """A job scoring the universe with one version (``PredictParams``), then updating the
    trackers (matured sets scored, champion/challenger disagreement recorded).

    When more than half of the tickers fail it fails with ``PREDICTION_FAILED``; the
    failed tickers with their reasons are the error's details.
    """

    def run(
        params: Mapping[str, Any], token: CancelToken, progress: ProgressReporter
    ) -> Mapping[str, Any]:
        if token.is_cancelled():
            raise JobCancelledError("prediction cancelled before it started")
        progress(0.1, "loading features")
        try:
            with research_failures():
                result = research.predict(params)
        except PredictionFailed as failed:
            details = tuple(
                {"ticker": f.ticker, "reason": f.reason, "message": f.message}
                for f in failed.signals.failed_tickers
            )
            raise JobFailedError("PREDICTION_FAILED", str(failed), details=details) from failed
        progress(0.9, "updating the trackers")
        update_tracking(monitor)
        return result

    return run


BACKTEST = "backtest"


def backtest_job(lab: BacktestLab) -> JobFunction:
    """A job running one backtest (``BacktestParams``); progress per walk-forward block."""

    def run(
        params: Mapping[str, Any], token: CancelToken, progress: ProgressReporter
    ) -> Mapping[str, Any]:
        try:
            with research_failures():
                return lab.run(params, cancel=token, progress=progress)
        except TrainingCancelled as cancelled:
            raise JobCancelledError(str(cancelled) or "backtest cancelled") from cancelled

    return run


AUTOPILOT = "autopilot"


def _step_failure_code(cause: Exception) -> str:
    if isinstance(cause, PredictionFailed):
        return "PREDICTION_FAILED"
    if isinstance(cause, ArtifactCorruptError):
        return "ARTIFACT_CORRUPT"
    if isinstance(cause, UnavailableError):
        return "UNAVAILABLE"
    return "INVALID_REQUEST"


def autopilot_job(autopilot: Autopilot) -> JobFunction:
    """A job running one autopilot cycle (``AutopilotParams``); a failing step fails the
    job with the step named in the message."""

    def run(
        params: Mapping[str, Any], token: CancelToken, progress: ProgressReporter
    ) -> Mapping[str, Any]:
        skip = [str(name) for name in params.get("skip", [])]
        try:
            return autopilot.run_cycle(token.job_id or "unknown", skip, token, progress)
        except StepFailed as failed:
            raise JobFailedError(_step_failure_code(failed.cause), str(failed)) from failed
        except CycleCancelled as cancelled:
            raise JobCancelledError(str(cancelled)) from cancelled

    return run
