"""Supervised background asyncio tasks: failures are logged, shutdown cancels and awaits."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

logger = logging.getLogger(__name__)


class TaskSupervisor:
    """Owns the long-lived tasks of one app; none outlive its ``shutdown``."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, coroutine: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        """Start ``coroutine`` as a task whose unexpected exception is logged, not lost."""
        task = asyncio.get_running_loop().create_task(coroutine, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._on_done)
        return task

    def _on_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            logger.error(
                "background task %r failed: %s",
                task.get_name(),
                error,
                exc_info=(type(error), error, error.__traceback__),
            )

    @property
    def running(self) -> int:
        """How many supervised tasks have not finished yet."""
        return len(self._tasks)

    async def shutdown(self) -> None:
        """Cancel every task still running and wait until all have ended."""
        pending = list(self._tasks)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
