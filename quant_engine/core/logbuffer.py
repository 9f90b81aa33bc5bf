"""A bounded in-memory ring buffer of log records, read by the ``listLogs`` operation."""

from __future__ import annotations

import logging
import threading
from collections import deque
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime

# The id of the request being handled; set by the API's request-id middleware and copied
# into threads by asyncio.to_thread, so records logged anywhere carry it.
current_request_id: ContextVar[str | None] = ContextVar("qe_request_id", default=None)

LEVEL_NAMES = {
    logging.DEBUG: "debug",
    logging.INFO: "info",
    logging.WARNING: "warning",
    logging.ERROR: "error",
    logging.CRITICAL: "critical",
}
LEVEL_NUMBERS = {name: number for number, name in LEVEL_NAMES.items()}


@dataclass(frozen=True)
class BufferedRecord:
    """One log record as kept in the buffer (already formatted, no live objects)."""

    timestamp: datetime
    level: str
    level_number: int
    logger: str
    message: str
    request_id: str | None


def _level_name(level_number: int) -> str:
    for threshold in (logging.CRITICAL, logging.ERROR, logging.WARNING, logging.INFO):
        if level_number >= threshold:
            return LEVEL_NAMES[threshold]
    return "debug"


class RingBufferHandler(logging.Handler):
    """Keeps the newest ``capacity`` records; older ones fall off the end."""

    def __init__(self, capacity: int) -> None:
        super().__init__(level=logging.DEBUG)
        self.capacity = capacity
        self._records: deque[BufferedRecord] = deque(maxlen=capacity)
        self._records_lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
            if record.exc_info and record.exc_info[1] is not None:
                message = f"{message}\n{logging.Formatter().formatException(record.exc_info)}"
            request_id = getattr(record, "request_id", None) or current_request_id.get()
            entry = BufferedRecord(
                timestamp=datetime.fromtimestamp(record.created, tz=UTC),
                level=_level_name(record.levelno),
                level_number=record.levelno,
                logger=record.name,
                message=message,
                request_id=request_id,
            )
        except (TypeError, ValueError):  # a bad format string in some caller's log call
            self.handleError(record)
            return
        with self._records_lock:
            self._records.append(entry)

    def recent(self, limit: int, min_level: str = "debug") -> list[BufferedRecord]:
        """Newest first, at most ``limit`` records at ``min_level`` or above."""
        threshold = LEVEL_NUMBERS[min_level]
        with self._records_lock:
            snapshot = list(self._records)
        selected: list[BufferedRecord] = []
        for entry in reversed(snapshot):
            if entry.level_number >= threshold:
                selected.append(entry)
                if len(selected) >= limit:
                    break
        return selected


def attach(handler: RingBufferHandler, level: str) -> None:
    """Attach ``handler`` to the root logger once; set the project's logger level.

    Idempotent: attaching the same handler twice leaves one copy on the root logger.
    """
    root = logging.getLogger()
    if handler not in root.handlers:
        root.addHandler(handler)
    logging.getLogger("quant_engine").setLevel(level)


def detach(handler: RingBufferHandler) -> None:
    """Remove ``handler`` from the root logger (no error when it is not attached)."""
    logging.getLogger().removeHandler(handler)
