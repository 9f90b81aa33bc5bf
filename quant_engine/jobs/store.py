"""SQLite (WAL) persistence of jobs. Blocking: call from worker threads, not the event loop."""

from __future__ import annotations

import datetime as dt
import json
import logging
import sqlite3
import threading
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from quant_engine.core.errors import ArtifactCorruptError
from quant_engine.jobs.models import JobFailure, JobRecord, JobStatus

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id TEXT NOT NULL UNIQUE,
    job_type TEXT NOT NULL,
    status TEXT NOT NULL,
    progress REAL NOT NULL DEFAULT 0,
    progress_message TEXT,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    params TEXT NOT NULL,
    owner TEXT,
    created_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT,
    error_code TEXT,
    error_message TEXT,
    result TEXT,
    error_details TEXT
);
CREATE INDEX IF NOT EXISTS jobs_status ON jobs (status, seq);
CREATE INDEX IF NOT EXISTS jobs_type ON jobs (job_type, seq);
"""
_COLUMNS = (
    "seq, job_id, job_type, status, progress, progress_message, cancel_requested, params, "
    "owner, created_at, started_at, finished_at, error_code, error_message, result, "
    "error_details"
)
INTERRUPTED_MESSAGE = "The server stopped while this job was running"
_STATUSES = frozenset({"queued", "running", "succeeded", "failed", "cancelled"})
logger = logging.getLogger(__name__)


def _add_missing_columns(db: sqlite3.Connection) -> None:
    """Bring a job database written by an earlier version up to the current columns."""
    present = {row[1] for row in db.execute("PRAGMA table_info(jobs)")}
    if "error_details" not in present:
        db.execute("ALTER TABLE jobs ADD COLUMN error_details TEXT")


def utc_now() -> dt.datetime:
    """The current UTC time (aware)."""
    return dt.datetime.now(dt.UTC)


def _time(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value is not None else None


def _json(value: str | None) -> Any:
    return json.loads(value) if value is not None else None


class JobStore:
    """Jobs in ``<state_dir>/jobs.sqlite3``; one connection guarded by a lock."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA busy_timeout=5000")
            self._db.executescript(_SCHEMA)
            _add_missing_columns(self._db)
        except sqlite3.DatabaseError as error:
            raise ArtifactCorruptError(
                f"job database {path.name} is unreadable: {error}"
            ) from error

    def close(self) -> None:
        """Close the connection (checkpointing the WAL)."""
        with self._lock:
            self._db.close()

    def _row_to_record(self, row: tuple[Any, ...]) -> JobRecord:
        try:
            return self._decode_row(row)
        except (ValueError, TypeError, KeyError) as error:  # JSONDecodeError is a ValueError
            logger.warning("job row %r is unreadable: %s", row[1] if row else None, error)
            raise ArtifactCorruptError(
                f"job {row[1] if row else '?'} is stored in a form that cannot be read"
            ) from error

    def _decode_row(self, row: tuple[Any, ...]) -> JobRecord:
        (seq, job_id, job_type, status, progress, message, cancel_requested, params, owner,
         created, started, finished, error_code, error_message, result,
         error_details) = row  # fmt: skip
        created_at = _time(created)
        if created_at is None or status not in _STATUSES:
            raise ValueError(f"status {status!r} / created_at {created!r}")
        return JobRecord(
            seq=int(seq),
            job_id=job_id,
            job_type=job_type,
            status=status,
            progress=float(progress),
            progress_message=message,
            cancel_requested=bool(cancel_requested),
            params=_json(params) or {},
            owner=owner,
            created_at=created_at,
            started_at=_time(started),
            finished_at=_time(finished),
            error=(
                JobFailure(error_code, error_message or "", tuple(_json(error_details) or ()))
                if error_code
                else None
            ),
            result=_json(result),
        )

    def _fetch_one(self, sql: str, args: tuple[Any, ...]) -> JobRecord | None:
        with self._lock:
            row = self._db.execute(sql, args).fetchone()
        return self._row_to_record(row) if row is not None else None

    def create(self, job_type: str, params: Mapping[str, Any], owner: str | None) -> JobRecord:
        """Insert a new queued job and return it."""
        job_id = str(uuid.uuid4())
        with self._lock:
            self._db.execute(
                "INSERT INTO jobs (job_id, job_type, status, params, owner, created_at) "
                "VALUES (?, ?, 'queued', ?, ?, ?)",
                (job_id, job_type, json.dumps(dict(params)), owner, utc_now().isoformat()),
            )
        record = self.get(job_id)
        assert record is not None
        return record

    def get(self, job_id: str) -> JobRecord | None:
        """The job, or None when there is no such id."""
        return self._fetch_one(f"SELECT {_COLUMNS} FROM jobs WHERE job_id = ?", (job_id,))

    def page(
        self,
        *,
        status: str | None = None,
        job_type: str | None = None,
        limit: int = 50,
        before_seq: int | None = None,
    ) -> list[JobRecord]:
        """Newest first; ``before_seq`` continues after the last row of a previous page."""
        clauses: list[str] = []
        args: list[Any] = []
        for column, value in (("status", status), ("job_type", job_type)):
            if value is not None:
                clauses.append(f"{column} = ?")
                args.append(value)
        if before_seq is not None:
            clauses.append("seq < ?")
            args.append(before_seq)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        sql = f"SELECT {_COLUMNS} FROM jobs {where} ORDER BY seq DESC LIMIT ?"
        with self._lock:
            rows = self._db.execute(sql, (*args, limit)).fetchall()
        return [self._row_to_record(row) for row in rows]

    def queued_in_order(self) -> list[JobRecord]:
        """Every queued job, oldest first."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM jobs WHERE status = 'queued' ORDER BY seq"
            ).fetchall()
        return [self._row_to_record(row) for row in rows]

    def mark_interrupted(self) -> int:
        """Jobs left ``running`` by a previous process become failed/INTERRUPTED."""
        with self._lock:
            cursor = self._db.execute(
                "UPDATE jobs SET status = 'failed', finished_at = ?, error_code = 'INTERRUPTED', "
                "error_message = ? WHERE status = 'running'",
                (utc_now().isoformat(), INTERRUPTED_MESSAGE),
            )
        return cursor.rowcount

    def mark_running(self, job_id: str) -> JobRecord | None:
        """queued → running (records ``started_at``); None when the job is no longer queued."""
        return self._update(
            job_id,
            "status = 'running', started_at = ?, progress_message = 'started'",
            (utc_now().isoformat(),),
            only_if=("queued",),
        )

    def set_progress(self, job_id: str, progress: float, message: str) -> JobRecord | None:
        """Record progress (0..1) and its message while the job runs."""
        return self._update(
            job_id,
            "progress = ?, progress_message = ?",
            (min(max(progress, 0.0), 1.0), message),
            only_if=("running",),
        )

    def request_cancel(self, job_id: str) -> JobRecord | None:
        """Flag a running job for cooperative cancellation; None when it is not running."""
        return self._update(job_id, "cancel_requested = 1", (), only_if=("running",))

    def finish(
        self,
        job_id: str,
        status: JobStatus,
        *,
        error: JobFailure | None = None,
        result: Mapping[str, Any] | None = None,
        only_if: tuple[JobStatus, ...] = ("queued", "running"),
    ) -> JobRecord | None:
        """Move a job to a terminal status with its error or result.

        Only from one of ``only_if``: returns None (and changes nothing) when the job is
        already past them, so two parties racing to end a job cannot both succeed.
        """
        progress_clause = ", progress = 1" if status == "succeeded" else ""
        encoded_result = json.dumps(dict(result)) if result is not None else None
        return self._update(
            job_id,
            "status = ?, finished_at = ?, error_code = ?, error_message = ?, result = ?, "
            "progress_message = ?, error_details = ?" + progress_clause,
            (
                status,
                utc_now().isoformat(),
                error.code if error else None,
                error.message if error else None,
                encoded_result,
                status,
                json.dumps([dict(item) for item in error.details])
                if error and error.details
                else None,
            ),
            only_if=only_if,
        )

    def _update(
        self,
        job_id: str,
        assignments: str,
        args: tuple[Any, ...],
        *,
        only_if: tuple[JobStatus, ...],
    ) -> JobRecord | None:
        placeholders = ", ".join("?" for _ in only_if)
        with self._lock:
            cursor = self._db.execute(
                f"UPDATE jobs SET {assignments} WHERE job_id = ? AND status IN ({placeholders})",
                (*args, job_id, *only_if),
            )
        if cursor.rowcount == 0:
            return None
        return self.get(job_id)

    def status_counts(self) -> dict[str, int]:
        """Number of jobs in each status (every status present, zeros included)."""
        with self._lock:
            rows = self._db.execute("SELECT status, COUNT(*) FROM jobs GROUP BY status").fetchall()
        counts = dict.fromkeys(sorted(_STATUSES), 0)
        counts.update({str(status): int(count) for status, count in rows if status in _STATUSES})
        return counts

    def integrity_check(self) -> str:
        """``PRAGMA integrity_check`` (``ok`` when the database is sound)."""
        with self._lock:
            row = self._db.execute("PRAGMA integrity_check").fetchone()
        return str(row[0])
