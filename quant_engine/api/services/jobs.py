"""Jobs at the edge: job records and events as generated models, and the SSE stream."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator

from pydantic import BaseModel, ValidationError
from qe_contract.models import (
    AutopilotParams,
    AutopilotResult,
    BacktestParams,
    BacktestResult,
    DataRefreshParams,
    DataRefreshResult,
    FailedTicker,
    JobError,
    JobErrorCode,
    JobEventName,
    JobStatus,
    JobType,
    PredictParams,
    PredictResult,
    TrainParams,
    TrainResult,
)
from qe_contract.models import JobEvent as WireJobEvent
from qe_contract.models import JobRecord as WireJobRecord

from quant_engine.api.auth import Principal
from quant_engine.core.errors import ArtifactCorruptError, ForbiddenError
from quant_engine.jobs import JobEvent, JobRecord, JobRunner
from quant_engine.jobs.models import TERMINAL_EVENT
from quant_engine.jobs.store import utc_now

logger = logging.getLogger(__name__)
STORE_RECHECK_SECONDS = 1.0  # how often a quiet stream re-reads the job from the store


def _wire_error(record: JobRecord) -> JobError | None:
    if record.error is None:
        return None
    error = record.error
    details = [FailedTicker.model_validate(item) for item in error.details]
    return JobError(code=JobErrorCode(error.code), message=error.message, details=details)


def wire_job(record: JobRecord) -> WireJobRecord:
    """The contract's ``JobRecord`` for a stored job (ARTIFACT_CORRUPT if it cannot be)."""
    try:
        return _wire_job(record)
    except (ValidationError, ValueError) as error:
        logger.warning("job %s does not fit the contract: %s", record.job_id, error)
        raise ArtifactCorruptError(
            f"job {record.job_id} is stored in a form that cannot be read"
        ) from error


# The contract's params and result schema of each job type.
PARAMS_MODELS: dict[str, type[BaseModel]] = {
    "data_refresh": DataRefreshParams,
    "train": TrainParams,
    "predict": PredictParams,
    "backtest": BacktestParams,
    "autopilot": AutopilotParams,
}
RESULT_MODELS: dict[str, type[BaseModel]] = {
    "data_refresh": DataRefreshResult,
    "train": TrainResult,
    "predict": PredictResult,
    "backtest": BacktestResult,
    "autopilot": AutopilotResult,
}


def _wire_job(record: JobRecord) -> WireJobRecord:
    return WireJobRecord(
        job_id=record.job_id,
        job_type=JobType(record.job_type),
        status=JobStatus(record.status),
        progress=record.progress,
        progress_message=record.progress_message,
        cancel_requested=record.cancel_requested,
        params=PARAMS_MODELS[record.job_type].model_validate(dict(record.params)),
        owner=record.owner,
        created_at=record.created_at,
        started_at=record.started_at,
        finished_at=record.finished_at,
        error=_wire_error(record),
        result=(
            RESULT_MODELS[record.job_type].model_validate(dict(record.result))
            if record.result is not None
            else None
        ),
    )


def check_may_cancel(principal: Principal | None, record: JobRecord) -> None:
    """Cancelling someone else's job (or a system job) needs scope ``admin``."""
    if principal is None or record.owner == principal.subject:
        return
    if "admin" not in principal.scopes:
        raise ForbiddenError(
            f"Job '{record.job_id}' belongs to {record.owner or 'the system'}; "
            "cancelling it needs scope 'admin'"
        )


def sse_message(name: str, record: JobRecord, timestamp: object | None = None) -> bytes:
    """One named Server-Sent Event whose data is the contract's ``JobEvent``."""
    event = WireJobEvent(
        event=JobEventName(name),
        job_id=record.job_id,
        status=JobStatus(record.status),
        progress=record.progress,
        progress_message=record.progress_message,
        cancel_requested=record.cancel_requested,
        timestamp=timestamp if timestamp is not None else utc_now(),
        error=_wire_error(record),
    )
    return f"event: {name}\ndata: {event.model_dump_json()}\n\n".encode()


async def job_event_stream(
    runner: JobRunner, job_id: str, keepalive_seconds: float
) -> AsyncIterator[bytes]:
    """``status`` snapshot, live events, the terminal event, then always ``done``.

    A quiet stream re-reads the job every second, so a job that became terminal without
    an event reaching this subscriber still ends the stream; comments keep the
    connection alive at least every ``keepalive_seconds``.
    """
    queue: asyncio.Queue[JobEvent] = runner.subscribe(job_id)
    try:
        record = await runner.get(job_id)
        yield sse_message("status", record)
        last_sent = time.monotonic()
        while not record.is_terminal:
            try:
                event = await asyncio.wait_for(queue.get(), timeout=STORE_RECHECK_SECONDS)
            except TimeoutError:
                fresh = await runner.get(job_id)
                if fresh.is_terminal:
                    record = fresh
                    yield sse_message(TERMINAL_EVENT[fresh.status], fresh)
                elif time.monotonic() - last_sent >= keepalive_seconds:
                    yield b": keep-alive\n\n"
                    last_sent = time.monotonic()
                continue
            record = event.record
            yield sse_message(event.name, event.record, event.timestamp)
            last_sent = time.monotonic()
        yield sse_message("done", record)
    finally:
        runner.unsubscribe(job_id, queue)
