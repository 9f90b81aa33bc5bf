"""The job runner: admission, order, cancellation, events, restart recovery."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from quant_engine.core.errors import ConflictError, NotFoundError, QueueFullError
from quant_engine.core.tasks import TaskSupervisor
from quant_engine.jobs import (
    CancelToken,
    JobEvent,
    JobFailedError,
    JobRunner,
    JobStore,
    ProgressReporter,
)


def _stepper(steps: int, step_seconds: float) -> Any:
    """A job that works ``steps`` steps, checking its token and reporting after each."""

    def run(
        params: Mapping[str, Any], token: CancelToken, progress: ProgressReporter
    ) -> Mapping[str, Any]:
        for step in range(steps):
            token.raise_if_cancelled()
            time.sleep(step_seconds)
            progress((step + 1) / steps, f"step {step + 1} of {steps}")
        return {"steps": steps, "label": params.get("label")}

    return run


def _failing(
    params: Mapping[str, Any], token: CancelToken, progress: ProgressReporter
) -> Mapping[str, Any]:
    raise JobFailedError("ITEMS_FAILED", "3 of 4 items failed", {"failed": 3})


def _crashing(
    params: Mapping[str, Any], token: CancelToken, progress: ProgressReporter
) -> Mapping[str, Any]:
    raise ZeroDivisionError("bug in a job")


async def _runner(
    home: Path, max_concurrent: int = 1, max_queued: int = 5, step_seconds: float = 0.02
) -> JobRunner:
    runner = JobRunner(
        JobStore(home / "jobs.sqlite3"),
        {
            "slow": _stepper(50, step_seconds),
            "quick": _stepper(3, 0.001),
            "failing": _failing,
            "crashing": _crashing,
        },
        max_concurrent=max_concurrent,
        max_queued=max_queued,
        supervisor=TaskSupervisor(),
    )
    await runner.start()
    return runner


async def _wait_terminal(runner: JobRunner, job_id: str, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        record = await runner.get(job_id)
        if record.is_terminal:
            return record
        await asyncio.sleep(0.01)
    raise AssertionError(f"job {job_id} did not finish")


def test_job_runs_to_success_with_result_and_events(tmp_path: Path) -> None:
    async def scenario() -> None:
        runner = await _runner(tmp_path)
        record = await runner.submit("quick", {"label": "x"}, owner="alice")
        assert record.status in {"queued"}
        queue = runner.subscribe(record.job_id)
        final = await _wait_terminal(runner, record.job_id)
        assert final.status == "succeeded"
        assert final.result == {"steps": 3, "label": "x"}
        assert final.progress == 1.0
        assert final.owner == "alice"
        names = []
        while not queue.empty():
            names.append(queue.get_nowait().name)
        assert names[-1] == "completed"
        runner.unsubscribe(record.job_id, queue)
        assert runner.subscriber_count() == 0

    asyncio.run(scenario())


def test_queue_full_names_pending_count(tmp_path: Path) -> None:
    async def scenario() -> None:
        runner = await _runner(tmp_path, max_concurrent=1, max_queued=2)
        first = await runner.submit("slow", {}, None)
        await runner.submit("slow", {}, None)
        await runner.submit("slow", {}, None)
        with pytest.raises(QueueFullError, match=r"Job queue full\. 2 jobs pending\. Try"):
            await runner.submit("slow", {}, None)
        await runner.cancel(first.job_id)
        await _wait_terminal(runner, first.job_id)
        await asyncio.sleep(0.05)
        # The slot freed by the cancelled job let the next one start: there is room again.
        await runner.submit("slow", {}, None)
        await runner.stop()

    asyncio.run(scenario())


def test_cancel_queued_is_immediate_and_running_is_cooperative(tmp_path: Path) -> None:
    async def scenario() -> None:
        runner = await _runner(tmp_path, max_concurrent=1)
        running = await runner.submit("slow", {}, None)
        queued = await runner.submit("slow", {}, None)
        await asyncio.sleep(0.05)
        cancelled = await runner.cancel(queued.job_id)
        assert cancelled.status == "cancelled"
        flagged = await runner.cancel(running.job_id)
        assert flagged.status == "running"
        assert flagged.cancel_requested is True
        started = time.monotonic()
        final = await _wait_terminal(runner, running.job_id)
        assert final.status == "cancelled"
        assert time.monotonic() - started < 1.0
        with pytest.raises(ConflictError):
            await runner.cancel(running.job_id)

    asyncio.run(scenario())


def test_unknown_job_is_not_found(tmp_path: Path) -> None:
    async def scenario() -> None:
        runner = await _runner(tmp_path)
        with pytest.raises(NotFoundError):
            await runner.get("00000000-0000-4000-8000-000000000000")

    asyncio.run(scenario())


def test_failures_keep_code_message_and_partial_result(tmp_path: Path) -> None:
    async def scenario() -> None:
        runner = await _runner(tmp_path, max_concurrent=2)
        failing = await runner.submit("failing", {}, None)
        crashing = await runner.submit("crashing", {}, None)
        failed = await _wait_terminal(runner, failing.job_id)
        crashed = await _wait_terminal(runner, crashing.job_id)
        assert failed.status == "failed"
        assert failed.error is not None
        assert (failed.error.code, failed.error.message) == ("ITEMS_FAILED", "3 of 4 items failed")
        assert failed.result == {"failed": 3}
        assert crashed.error is not None
        assert crashed.error.code == "INTERNAL"
        # Outside dev the exception text stays in the server log, not in the API.
        assert "ZeroDivisionError" not in crashed.error.message
        assert "server log" in crashed.error.message

    asyncio.run(scenario())


def test_progress_events_are_throttled(tmp_path: Path) -> None:
    async def scenario() -> None:
        runner = await _runner(tmp_path, step_seconds=0.002)
        events: list[JobEvent] = []
        runner.add_listener(events.append)
        record = await runner.submit("slow", {}, None)  # 50 steps in ~0.1 s
        await _wait_terminal(runner, record.job_id)
        progress = [e for e in events if e.name == "progress"]
        assert 1 <= len(progress) <= 4
        assert events[0].name == "started"
        assert [e.name for e in events][-1] == "completed"

    asyncio.run(scenario())


def test_jobs_start_in_submission_order(tmp_path: Path) -> None:
    async def scenario() -> None:
        runner = await _runner(tmp_path, max_concurrent=1)
        started: list[str] = []
        runner.add_listener(
            lambda e: started.append(e.record.job_id) if e.name == "started" else None
        )
        ids = [(await runner.submit("quick", {}, None)).job_id for _ in range(4)]
        for job_id in ids:
            await _wait_terminal(runner, job_id)
        assert started == ids

    asyncio.run(scenario())


def test_restart_fails_running_and_resumes_queued_in_order(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "jobs.sqlite3")
    interrupted = store.create("slow", {}, None)
    store.mark_running(interrupted.job_id)
    waiting = [store.create("quick", {"label": str(n)}, None) for n in range(3)]
    store.close()

    async def scenario() -> None:
        runner = await _runner(tmp_path, max_concurrent=1)
        order: list[str] = []
        runner.add_listener(
            lambda e: order.append(e.record.job_id) if e.name == "started" else None
        )
        dead = await runner.get(interrupted.job_id)
        assert dead.status == "failed"
        assert dead.error is not None
        assert dead.error.code == "INTERRUPTED"
        for record in waiting:
            assert (await _wait_terminal(runner, record.job_id)).status == "succeeded"
        assert order == [record.job_id for record in waiting]
        assert runner.store.integrity_check() == "ok"

    asyncio.run(scenario())


def test_shutdown_stops_running_jobs_and_keeps_queued(tmp_path: Path) -> None:
    async def scenario() -> tuple[str, str]:
        runner = await _runner(tmp_path, max_concurrent=1)
        running = await runner.submit("slow", {}, None)
        queued = await runner.submit("slow", {}, None)
        await asyncio.sleep(0.05)
        await runner.stop()
        return running.job_id, queued.job_id

    running_id, queued_id = asyncio.run(scenario())
    store = JobStore(tmp_path / "jobs.sqlite3")
    running = store.get(running_id)
    queued = store.get(queued_id)
    assert running is not None
    assert running.status == "failed"
    assert running.error is not None
    assert running.error.code == "INTERRUPTED"
    assert queued is not None
    assert queued.status == "queued"


def test_cancel_token_is_thread_safe() -> None:
    token = CancelToken()
    seen: list[bool] = []
    worker = threading.Thread(target=lambda: seen.append(token.is_cancelled()))
    token.cancel()
    worker.start()
    worker.join()
    assert seen == [True]


def _unserializable(
    params: Mapping[str, Any], token: CancelToken, progress: ProgressReporter
) -> Mapping[str, Any]:
    return {"when": object()}  # not JSON: the store cannot record it


def test_outcome_that_cannot_be_stored_still_ends_the_job(tmp_path: Path) -> None:
    async def scenario() -> None:
        runner = await _runner(tmp_path)
        runner.functions["unserializable"] = _unserializable
        events: list[JobEvent] = []
        runner.add_listener(events.append)
        record = await runner.submit("unserializable", {}, None)
        final = await _wait_terminal(runner, record.job_id)
        assert final.status == "failed"
        assert final.error is not None
        assert final.error.code == "INTERNAL"
        assert "server log" in final.error.message  # details stay out of the API in prod
        assert events[-1].name == "failed"
        assert runner.running_count == 0

    asyncio.run(scenario())


def test_cancel_after_the_job_finished_is_conflict_and_changes_nothing(tmp_path: Path) -> None:
    async def scenario() -> None:
        runner = await _runner(tmp_path)
        record = await runner.submit("quick", {}, None)
        final = await _wait_terminal(runner, record.job_id)
        with pytest.raises(ConflictError, match="already succeeded"):
            await runner.cancel(record.job_id)
        after = await runner.get(record.job_id)
        assert after == final
        assert after.cancel_requested is False

    asyncio.run(scenario())


def test_job_cancelled_between_dispatch_and_start_never_starts(tmp_path: Path) -> None:
    async def scenario() -> None:
        runner = await _runner(tmp_path)
        events: list[JobEvent] = []
        runner.add_listener(events.append)
        real_mark_running = runner.store.mark_running

        def slow_mark_running(job_id: str) -> Any:
            time.sleep(0.2)  # widen the window between dispatch and start
            return real_mark_running(job_id)

        runner.store.mark_running = slow_mark_running  # type: ignore[method-assign]
        record = await runner.submit("quick", {}, None)  # dispatched at once
        cancelled = await runner.cancel(record.job_id)
        assert cancelled.status == "cancelled"
        await asyncio.sleep(0.1)
        assert (await runner.get(record.job_id)).status == "cancelled"
        assert [event.name for event in events] == ["cancelled"]

    asyncio.run(scenario())


def test_exclusive_job_type_counts_against_the_queue_bound(tmp_path: Path) -> None:
    async def scenario() -> None:
        runner = JobRunner(
            JobStore(tmp_path / "jobs.sqlite3"),
            {"slow": _stepper(50, 0.02)},
            max_concurrent=2,
            max_queued=0,
            supervisor=TaskSupervisor(),
            exclusive_types=frozenset({"slow"}),
        )
        await runner.start()
        await runner.submit("slow", {}, None)
        with pytest.raises(QueueFullError, match="0 jobs pending"):
            await runner.submit("slow", {}, None)
        await runner.stop()

    asyncio.run(scenario())
