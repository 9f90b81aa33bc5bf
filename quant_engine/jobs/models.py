"""Value types of the job system; vocabulary as in the contract's JobStatus/JobEvent."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

JobStatus = Literal["queued", "running", "succeeded", "failed", "cancelled"]
JobEventName = Literal["status", "started", "progress", "completed", "failed", "cancelled", "done"]
TERMINAL_STATUSES: frozenset[str] = frozenset({"succeeded", "failed", "cancelled"})
# The event that announces each terminal status.
TERMINAL_EVENT: Mapping[str, JobEventName] = {
    "succeeded": "completed",
    "failed": "failed",
    "cancelled": "cancelled",
}


@dataclass(frozen=True)
class JobFailure:
    """Why a job failed: a ``JobErrorCode`` of the contract and a human message."""

    code: str
    message: str
    details: tuple[Mapping[str, Any], ...] = ()
    """Items the failure is about (e.g. tickers that could not be scored, with reasons)."""


@dataclass(frozen=True)
class JobRecord:
    """One job as stored. ``progress`` is 0..1; times are UTC; ``seq`` orders submissions."""

    seq: int
    job_id: str
    job_type: str
    status: JobStatus
    progress: float
    progress_message: str | None
    cancel_requested: bool
    params: Mapping[str, Any]
    owner: str | None
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    error: JobFailure | None
    result: Mapping[str, Any] | None

    @property
    def is_terminal(self) -> bool:
        """True once the job has succeeded, failed or been cancelled."""
        return self.status in TERMINAL_STATUSES


@dataclass(frozen=True)
class JobEvent:
    """A lifecycle event of one job, with the job's state when it happened."""

    name: JobEventName
    record: JobRecord
    timestamp: dt.datetime


class JobCancelledError(Exception):
    """Raised by a job function that stopped because its token was cancelled."""


class JobFailedError(Exception):
    """An expected failure of a job function, with a ``JobErrorCode`` and a partial result."""

    def __init__(
        self,
        code: str,
        message: str,
        result: Mapping[str, Any] | None = None,
        details: tuple[Mapping[str, Any], ...] = (),
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.result = result
        self.details = details


class CancelToken:
    """Set by the runner when a cancel is requested; checked by jobs at safe points.

    ``job_id`` names the job it belongs to (None outside the runner)."""

    def __init__(self, job_id: str | None = None) -> None:
        self._event = threading.Event()
        self.job_id = job_id

    def cancel(self) -> None:
        """Ask the job to stop at its next safe point."""
        self._event.set()

    def is_cancelled(self) -> bool:
        """True once a cancel was requested."""
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        """Raise ``JobCancelledError`` when a cancel was requested."""
        if self._event.is_set():
            raise JobCancelledError("cancelled at a safe point")


# progress(fraction 0..1, message); safe to call from the job's worker thread.
ProgressReporter = Callable[[float, str], None]
# A job: parameters, its token and progress reporter in; a JSON-able result out.
JobFunction = Callable[[Mapping[str, Any], CancelToken, ProgressReporter], Mapping[str, Any]]
