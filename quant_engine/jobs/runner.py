"""The job runner: bounded queue, concurrency limit, cooperative cancel, live events.

All methods are called on the event loop; job functions run in worker threads
(``asyncio.to_thread``) and every SQLite access goes through a thread too.

Admission is decided in memory, on the loop, so it is exact: a submission starts at once
when fewer than ``max_concurrent`` jobs run; otherwise it waits, and it is refused with
``QUEUE_FULL`` when ``max_queued`` jobs are already waiting.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

from quant_engine.core.errors import (
    ArtifactCorruptError,
    ConflictError,
    NotFoundError,
    QueueFullError,
)
from quant_engine.core.tasks import TaskSupervisor
from quant_engine.jobs.models import (
    TERMINAL_EVENT,
    CancelToken,
    JobCancelledError,
    JobEvent,
    JobEventName,
    JobFailedError,
    JobFailure,
    JobFunction,
    JobRecord,
)
from quant_engine.jobs.store import JobStore, utc_now

logger = logging.getLogger(__name__)

PROGRESS_MIN_INTERVAL_SECONDS = 0.1  # at most ~10 progress events per second per job
SUBSCRIBER_QUEUE_SIZE = 1000
SHUTDOWN_MESSAGE = "The server shut down while this job was running"

EventListener = Callable[[JobEvent], None]


class JobRunner:
    """Owns admission, dispatch, cancellation and event fan-out for one app."""

    def __init__(
        self,
        store: JobStore,
        functions: Mapping[str, JobFunction],
        *,
        max_concurrent: int,
        max_queued: int,
        supervisor: TaskSupervisor,
        exclusive_types: frozenset[str] = frozenset(),
        expose_errors: bool = False,
    ) -> None:
        self.store = store
        self.functions = dict(functions)
        self.max_concurrent = max_concurrent
        self.max_queued = max_queued
        self._supervisor = supervisor
        self._exclusive_types = exclusive_types
        # A crashed job's exception text may name paths and internals: shown only in dev.
        self._expose_errors = expose_errors
        self._slow_subscribers: set[int] = set()
        self._waiting: deque[tuple[str, str]] = deque()  # (job_id, job_type), oldest first
        self._running_types: dict[str, str] = {}
        self._tokens: dict[str, CancelToken] = {}
        self._subscribers: dict[str, set[asyncio.Queue[JobEvent]]] = {}
        self._listeners: list[EventListener] = []
        self._admission = asyncio.Lock()
        self._stopping = False

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        """Recover after a restart: running → failed/INTERRUPTED; queued jobs run in order."""
        interrupted = await asyncio.to_thread(self.store.mark_interrupted)
        if interrupted:
            logger.warning("%d job(s) were running when the server stopped: failed", interrupted)
        for record in await asyncio.to_thread(self.store.queued_in_order):
            self._waiting.append((record.job_id, record.job_type))
        if self._waiting:
            logger.info("resuming %d queued job(s)", len(self._waiting))
        self._dispatch()

    async def stop(self, grace_seconds: float = 5.0) -> None:
        """Ask running jobs to stop and wait up to ``grace_seconds`` for them to end.

        They end failed/INTERRUPTED (the server is going away); queued jobs stay queued in
        the store and run after the next start.
        """
        self._stopping = True
        for token in self._tokens.values():
            token.cancel()
        deadline = time.monotonic() + grace_seconds
        while self._tokens and time.monotonic() < deadline:
            await asyncio.sleep(0.02)

    def add_listener(self, listener: EventListener) -> None:
        """Call ``listener`` (on the loop) for every event of every job."""
        self._listeners.append(listener)

    # ------------------------------------------------------------------ counters
    @property
    def running_count(self) -> int:
        """Jobs currently running."""
        return len(self._tokens)

    @property
    def waiting_count(self) -> int:
        """Jobs queued and waiting for a slot."""
        return len(self._waiting)

    def subscriber_count(self) -> int:
        """Open event subscriptions over all jobs."""
        return sum(len(queues) for queues in self._subscribers.values())

    # ------------------------------------------------------------------ submit / cancel
    async def submit(
        self, job_type: str, params: Mapping[str, Any], owner: str | None
    ) -> JobRecord:
        """Queue a job (starting it at once if a slot is free) or raise QUEUE_FULL."""
        if job_type not in self.functions:
            raise ValueError(f"no job function registered for {job_type!r}")
        async with self._admission:
            slot_free = (
                self.running_count < self.max_concurrent
                and not self._waiting
                and not self._type_is_busy(job_type)
            )
            if not slot_free and self.waiting_count >= self.max_queued:
                raise QueueFullError(
                    f"Job queue full. {self.waiting_count} jobs pending. Try again later."
                )
            record = await asyncio.to_thread(self.store.create, job_type, params, owner)
            self._waiting.append((record.job_id, job_type))
            self._dispatch()
        return record

    async def get(self, job_id: str) -> JobRecord:
        """The job, or NOT_FOUND."""
        record = await asyncio.to_thread(self.store.get, job_id)
        if record is None:
            raise NotFoundError(f"Job '{job_id}' not found")
        return record

    async def cancel(self, job_id: str) -> JobRecord:
        """Cancel a queued job at once, or flag a running one; CONFLICT when finished.

        Every step is a conditional update in the store, so a job finishing at the same
        moment either ends as the cancel says or the cancel answers CONFLICT.
        """
        async with self._admission:
            record = await self.get(job_id)
            if record.status == "queued":
                cancelled = await asyncio.to_thread(
                    self.store.finish, job_id, "cancelled", only_if=("queued",)
                )
                if cancelled is not None:
                    if (job_id, record.job_type) in self._waiting:
                        self._waiting.remove((job_id, record.job_type))
                    token = self._tokens.get(job_id)
                    if token is not None:  # dispatched but not started: it will not start
                        token.cancel()
                    self._publish("cancelled", cancelled)
                    return cancelled
            token = self._tokens.get(job_id)
            flagged = await asyncio.to_thread(self.store.request_cancel, job_id)
            if flagged is None:
                current = await self.get(job_id)
                raise ConflictError(f"Job '{job_id}' already {current.status}; nothing to cancel")
            if token is not None:
                token.cancel()
            self._publish("progress", flagged)
            return flagged

    # ------------------------------------------------------------------ events
    def subscribe(self, job_id: str) -> asyncio.Queue[JobEvent]:
        """A queue receiving every later event of ``job_id``; call ``unsubscribe`` after."""
        queue: asyncio.Queue[JobEvent] = asyncio.Queue(maxsize=SUBSCRIBER_QUEUE_SIZE)
        self._subscribers.setdefault(job_id, set()).add(queue)
        return queue

    def unsubscribe(self, job_id: str, queue: asyncio.Queue[JobEvent]) -> None:
        """Remove a subscription (idempotent)."""
        queues = self._subscribers.get(job_id)
        if queues is None:
            return
        queues.discard(queue)
        self._slow_subscribers.discard(id(queue))
        if not queues:
            del self._subscribers[job_id]

    def _publish(self, name: JobEventName, record: JobRecord) -> None:
        event = JobEvent(name=name, record=record, timestamp=utc_now())
        for queue in list(self._subscribers.get(record.job_id, ())):
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:
                # A subscriber that stopped reading loses events, never the end: it
                # re-checks the store and still sees the terminal status.
                if id(queue) not in self._slow_subscribers:
                    self._slow_subscribers.add(id(queue))
                    logger.warning("a subscriber of job %s stopped reading", record.job_id)
        for listener in self._listeners:
            try:
                listener(event)
            except Exception:
                logger.exception("job event listener failed on %s %s", name, record.job_id)

    # ------------------------------------------------------------------ dispatch / run
    def active_job(self, job_type: str) -> str | None:
        """The id of a running or waiting job of ``job_type`` (running first), or None."""
        for job_id, kind in self._running_types.items():
            if kind == job_type:
                return job_id
        for job_id, kind in self._waiting:
            if kind == job_type:
                return job_id
        return None

    def _type_is_busy(self, job_type: str) -> bool:
        """True when ``job_type`` may run only once at a time and one is running."""
        return job_type in self._exclusive_types and job_type in self._running_types.values()

    def _dispatch(self) -> None:
        # Strictly first-in, first-out: an exclusive job waiting for its type to be free
        # holds back the jobs behind it.
        while not self._stopping and self._waiting and self.running_count < self.max_concurrent:
            job_id, job_type = self._waiting[0]
            if self._type_is_busy(job_type):
                return
            self._waiting.popleft()
            self._tokens[job_id] = CancelToken(job_id)
            self._running_types[job_id] = job_type
            self._supervisor.spawn(self._run(job_id), name=f"job-{job_id}")

    async def _run(self, job_id: str) -> None:
        token = self._tokens[job_id]
        try:
            if token.is_cancelled():
                # Cancelled (it is already finished in the store) or shutting down (it
                # stays queued and runs after the next start) before it could start.
                return
            record = await asyncio.to_thread(self.store.mark_running, job_id)
            if record is None:
                return  # no longer queued: cancelled between dispatch and start
            self._publish("started", record)
            status, error, result = await self._execute(record, token)
            final = await asyncio.to_thread(
                self.store.finish, job_id, status, error=error, result=result
            )
            if final is not None:
                self._publish(TERMINAL_EVENT[final.status], final)
        except (OSError, sqlite3.Error, TypeError, ValueError, ArtifactCorruptError) as failure:
            # The store could not record the outcome (disk, lock, a result that is not
            # JSON): end the job failed rather than leave it running forever.
            logger.exception("job %s could not be run or recorded", job_id)
            await self._fail_after_runner_error(job_id, failure)
        finally:
            self._tokens.pop(job_id, None)
            self._running_types.pop(job_id, None)
            self._dispatch()

    async def _fail_after_runner_error(self, job_id: str, failure: Exception) -> None:
        message = self._internal_message(failure)
        try:
            final = await asyncio.to_thread(
                self.store.finish, job_id, "failed", error=JobFailure("INTERNAL", message)
            )
        except (OSError, sqlite3.Error) as again:
            logger.error("job %s left unfinished in the store: %s", job_id, again)
            return
        if final is not None:
            self._publish("failed", final)

    def _internal_message(self, error: BaseException) -> str:
        if self._expose_errors:
            return f"{type(error).__name__}: {error}"
        return "Internal error while running the job; the server log has the details"

    async def _execute(
        self, record: JobRecord, token: CancelToken
    ) -> tuple[Any, JobFailure | None, Mapping[str, Any] | None]:
        function = self.functions.get(record.job_type)
        if function is None:
            message = f"no job function is registered for {record.job_type!r}"
            return "failed", JobFailure("INTERNAL", message), None
        reporter = self._progress_reporter(record.job_id, asyncio.get_running_loop())
        try:
            result = await asyncio.to_thread(function, record.params, token, reporter)
        except JobCancelledError:
            if self._stopping:
                return "failed", JobFailure("INTERRUPTED", SHUTDOWN_MESSAGE), None
            return "cancelled", None, None
        except JobFailedError as failure:
            return (
                "failed",
                JobFailure(failure.code, failure.message, failure.details),
                failure.result,
            )
        except Exception as error:
            logger.exception("job %s (%s) crashed", record.job_id, record.job_type)
            return "failed", JobFailure("INTERNAL", self._internal_message(error)), None
        return "succeeded", None, result

    def _progress_reporter(
        self, job_id: str, loop: asyncio.AbstractEventLoop
    ) -> Callable[[float, str], None]:
        last_emitted = 0.0

        def report(fraction: float, message: str) -> None:
            # Runs in the job's worker thread: persist, then hand the event to the loop.
            nonlocal last_emitted
            now = time.monotonic()
            if now - last_emitted < PROGRESS_MIN_INTERVAL_SECONDS and fraction < 1.0:
                return
            last_emitted = now
            record = self.store.set_progress(job_id, fraction, message)
            if record is not None:
                loop.call_soon_threadsafe(self._publish, "progress", record)

        return report
