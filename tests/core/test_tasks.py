"""Background tasks: failures are logged, shutdown cancels and awaits."""

from __future__ import annotations

import asyncio
import logging

import pytest

from quant_engine.core.tasks import TaskSupervisor


def test_failed_task_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> None:
        supervisor = TaskSupervisor()

        async def broken() -> None:
            raise ValueError("the task broke")

        task = supervisor.spawn(broken(), name="broken-task")
        await asyncio.gather(task, return_exceptions=True)
        await asyncio.sleep(0)
        assert supervisor.running == 0

    with caplog.at_level(logging.ERROR, logger="quant_engine.core.tasks"):
        asyncio.run(scenario())
    messages = [r.getMessage() for r in caplog.records]
    assert any("broken-task" in m and "the task broke" in m for m in messages)


def test_shutdown_cancels_and_awaits_running_tasks() -> None:
    cleaned_up: list[str] = []

    async def scenario() -> None:
        supervisor = TaskSupervisor()

        async def forever() -> None:
            try:
                await asyncio.sleep(3600)
            finally:
                cleaned_up.append("forever")

        task = supervisor.spawn(forever(), name="forever")
        await asyncio.sleep(0)
        await supervisor.shutdown()
        assert task.cancelled()
        assert supervisor.running == 0

    asyncio.run(scenario())
    assert cleaned_up == ["forever"]
