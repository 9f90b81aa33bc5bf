"""One SQLite file (WAL mode) behind short transactions, failing as ``UnavailableError``.

Blocking: call from worker threads, never the event loop. Every transaction opens a fresh
connection and closes it, so a file that was locked, corrupt or missing a moment ago is
tried again from scratch on the next call: once the user repairs the file, it works.

The file is the user's history: this module never deletes, renames or replaces it. A file
that is not a SQLite database is refused before SQLite may write to it.

Reading a file that does not exist yet does not create it: the read runs against an empty
in-memory database with the same schema, so it returns empty results. Only a write
transaction creates the file (and its parent folder).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from quant_engine.core.errors import ArtifactCorruptError, UnavailableError

# The first 16 bytes of every SQLite 3 database file.
_SQLITE_HEADER = b"SQLite format 3\x00"
logger = logging.getLogger(__name__)


def _is_unavailability(error: BaseException) -> bool:
    """Whether ``error`` means the file cannot be used (locked, corrupt, unreadable).

    ``ProgrammingError`` (a bad binding, a closed connection) and ``IntegrityError`` (a
    violated constraint) are bugs in the caller's SQL, not an unavailable database, so
    they propagate unchanged and are not hidden behind a 503.
    """
    if isinstance(error, sqlite3.ProgrammingError | sqlite3.IntegrityError):
        return False
    return isinstance(error, sqlite3.DatabaseError | OSError)


class TrackingDatabase:
    """A SQLite file holding tracking tables, created lazily on the first write.

    ``schema`` holds ``CREATE TABLE/INDEX IF NOT EXISTS`` statements; they run once per
    instance, on the first transaction that reaches the file. ``timeout_s`` (seconds) is
    how long a transaction waits for another writer's lock before giving up.
    Constructing an instance touches nothing, so the service starts even when the file is
    corrupt; the problem surfaces as ``UnavailableError`` on use.
    """

    def __init__(self, path: Path, schema: str, *, timeout_s: float = 1.0) -> None:
        self.path = path
        self._schema = schema
        self._timeout_s = timeout_s
        self._schema_lock = threading.Lock()
        self._schema_ready = False

    def __repr__(self) -> str:
        return f"TrackingDatabase({str(self.path)!r})"

    @contextmanager
    def transaction(self, *, write: bool) -> Iterator[sqlite3.Connection]:
        """Yield a connection inside one transaction; commit on success, roll back on error.

        ``write=True`` takes the write lock up front (``BEGIN IMMEDIATE``), so a busy
        database fails at the start rather than half-way. Any locked, corrupt or
        unreadable file, at any step, raises ``UnavailableError`` naming the file.
        """
        try:
            connection = self._connect(write=write)
        except (sqlite3.DatabaseError, OSError) as error:
            raise self._unavailable(error) from error
        try:
            self._begin(connection, write=write)
            try:
                yield connection
            except BaseException as error:
                self._rollback(connection)
                if _is_unavailability(error):
                    raise self._unavailable(error) from error
                raise
            try:
                connection.execute("COMMIT")
            except sqlite3.DatabaseError as error:
                self._rollback(connection)
                raise self._unavailable(error) from error
        finally:
            connection.close()

    def check(self) -> None:
        """Raise ``UnavailableError`` when the file is corrupt, locked or unreadable.

        Cheap: it reads the schema table only, so damage deep inside a table is found
        only when that table is read. Another writer's lock does not fail it (WAL readers
        are not blocked); an exclusive lock does. A file that does not exist yet passes
        (and is not created).
        """
        with self.transaction(write=False) as connection:
            connection.execute("SELECT count(*) FROM sqlite_master").fetchone()

    def corrupt_row(self, table: str, error: Exception) -> ArtifactCorruptError:
        """The error for a row that exists but cannot be decoded (e.g. edited by hand)."""
        logger.warning("unreadable row in %s of %s: %s", table, self.path, error)
        return ArtifactCorruptError(
            f"a row of {table} in tracking database {self.path} cannot be read: {error}"
        )

    def _unavailable(self, error: BaseException) -> UnavailableError:
        logger.warning("tracking database %s is unavailable: %s", self.path, error)
        return UnavailableError(f"tracking database {self.path} is unavailable: {error}")

    def _connect(self, *, write: bool) -> sqlite3.Connection:
        """Open a configured connection whose schema is in place."""
        if not write and not self.path.exists():
            return self._empty_connection()
        if write:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._refuse_foreign_file()
        connection = sqlite3.connect(
            self.path,
            timeout=self._timeout_s,
            isolation_level=None,
            check_same_thread=False,
        )
        try:
            if write:
                connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute(f"PRAGMA busy_timeout={int(self._timeout_s * 1000)}")
            self._ensure_schema(connection)
        except BaseException:
            connection.close()
            raise
        return connection

    def _empty_connection(self) -> sqlite3.Connection:
        """An in-memory database with the schema: reads of a missing file see no rows."""
        connection = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        connection.executescript(self._schema)
        return connection

    def _refuse_foreign_file(self) -> None:
        """Raise when the file exists, is not empty and is not a SQLite database.

        SQLite treats some short files as empty databases and would overwrite them on the
        first write; checking the header first keeps any such file untouched.
        """
        try:
            with self.path.open("rb") as handle:
                header = handle.read(len(_SQLITE_HEADER))
        except FileNotFoundError:
            return
        if header and header != _SQLITE_HEADER:
            raise sqlite3.DatabaseError("file is not a database")

    def _ensure_schema(self, connection: sqlite3.Connection) -> None:
        """Run the schema once per instance; a failure leaves the flag unset for a retry."""
        if self._schema_ready:
            return
        with self._schema_lock:
            if not self._schema_ready:
                connection.executescript(self._schema)
                self._schema_ready = True

    def _begin(self, connection: sqlite3.Connection, *, write: bool) -> None:
        try:
            connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        except sqlite3.DatabaseError as error:
            raise self._unavailable(error) from error

    def _rollback(self, connection: sqlite3.Connection) -> None:
        """Roll back if a transaction is open; a failing rollback is logged, not raised."""
        if not connection.in_transaction:
            return
        try:
            connection.execute("ROLLBACK")
        except sqlite3.DatabaseError as error:
            logger.warning("rollback on %s failed: %s", self.path, error)
