"""Jobs: a persistent SQLite store and a bounded runner with cancellation and live events."""

from quant_engine.jobs.models import (
    TERMINAL_STATUSES,
    CancelToken,
    JobCancelledError,
    JobEvent,
    JobFailedError,
    JobFailure,
    JobFunction,
    JobRecord,
    ProgressReporter,
)
from quant_engine.jobs.runner import JobRunner
from quant_engine.jobs.store import JobStore

__all__ = [
    "TERMINAL_STATUSES",
    "CancelToken",
    "JobCancelledError",
    "JobEvent",
    "JobFailedError",
    "JobFailure",
    "JobFunction",
    "JobRecord",
    "JobRunner",
    "JobStore",
    "ProgressReporter",
]
