"""Backtest artifacts: ``QE_HOME/artifacts/backtests/<backtest_id>/``.

Each backtest is a folder of three files plus a manifest of their sha256:

    summary.json     the contract's ``BacktestSummary`` (metrics, request, window, …)
    equity.parquet   date, net, gross, benchmark, drawdown — one row per trading day
    trades.parquet   one row per closed trade
    manifest.json    {"files": {name: sha256}}

A backtest is written into a temporary folder and renamed into place, so a crash never
leaves half a result. Every read verifies the hashes: a truncated or edited file answers
``ArtifactCorruptError`` naming it (and logs a warning), never a crash.

``runs.json`` counts the backtests ever run per universe fingerprint (the overfitting
gauge: deleting a result does not undo having looked at it).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import shutil
import threading
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, NoReturn

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from quant_engine.core.atomic import atomic_write_bytes
from quant_engine.core.errors import ArtifactCorruptError, NotFoundError

logger = logging.getLogger(__name__)

SUMMARY = "summary.json"
EQUITY = "equity.parquet"
TRADES = "trades.parquet"
MANIFEST = "manifest.json"
RUNS = "runs.json"
_TEMP_PREFIX = ".tmp-"


def _sha256(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


def _parquet_bytes(frame: pd.DataFrame) -> bytes:
    sink = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), sink)
    return sink.getvalue()


def _corrupt(backtest_id: str, name: str, reason: str) -> NoReturn:
    logger.warning("backtest artifact %s/%s is corrupt: %s", backtest_id, name, reason)
    raise ArtifactCorruptError(f"backtest artifact {backtest_id}/{name} is corrupt: {reason}")


class BacktestStore:
    """Backtest results under ``root`` (``QE_HOME/artifacts/backtests``), thread-safe."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ runs

    def count_run(self, fingerprint: str) -> int:
        """Record one more backtest on ``fingerprint``; returns the count, this one included."""
        with self._lock:
            counts = self._runs()
            counts[fingerprint] = counts.get(fingerprint, 0) + 1
            self.root.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(self.root / RUNS, json.dumps(counts, sort_keys=True).encode())
            return counts[fingerprint]

    def runs_on(self, fingerprint: str) -> int:
        """Backtests run so far on ``fingerprint``."""
        with self._lock:
            return self._runs().get(fingerprint, 0)

    def _runs(self) -> dict[str, int]:
        try:
            document = json.loads((self.root / RUNS).read_bytes())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as error:
            logger.warning("backtest run counter is unreadable, starting over: %s", error)
            return {}
        if not isinstance(document, dict):
            return {}
        return {str(k): int(v) for k, v in document.items() if isinstance(v, int)}

    # ----------------------------------------------------------------- write

    def save(
        self,
        backtest_id: str,
        summary: Mapping[str, Any],
        equity: pd.DataFrame,
        trades: pd.DataFrame,
    ) -> None:
        """Write one backtest atomically (a folder renamed into place)."""
        files = {
            SUMMARY: json.dumps(dict(summary), indent=1, sort_keys=True).encode(),
            EQUITY: _parquet_bytes(equity),
            TRADES: _parquet_bytes(trades),
        }
        manifest = {"files": {name: _sha256(payload) for name, payload in files.items()}}
        files[MANIFEST] = json.dumps(manifest, indent=1, sort_keys=True).encode()
        self.root.mkdir(parents=True, exist_ok=True)
        staging = self.root / f"{_TEMP_PREFIX}{uuid.uuid4().hex}"
        staging.mkdir()
        try:
            for name, payload in files.items():
                with open(staging / name, "wb") as handle:
                    handle.write(payload)
                    handle.flush()
                    os.fsync(handle.fileno())
            os.replace(staging, self.root / backtest_id)
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)

    def delete(self, backtest_id: str) -> None:
        """Remove one backtest (``NotFoundError`` when unknown)."""
        folder = self._folder(backtest_id)
        trash = self.root / f"{_TEMP_PREFIX}{uuid.uuid4().hex}"
        os.replace(folder, trash)  # atomic: readers see it whole or not at all
        shutil.rmtree(trash, ignore_errors=True)

    # ------------------------------------------------------------------ read

    def _folder(self, backtest_id: str) -> Path:
        folder = self.root / backtest_id
        if not folder.is_dir():
            raise NotFoundError(f"backtest {backtest_id} not found")
        return folder

    def _verified(self, backtest_id: str, name: str) -> bytes:
        folder = self._folder(backtest_id)
        try:
            manifest = json.loads((folder / MANIFEST).read_bytes())
            expected = manifest["files"][name]
        except (OSError, ValueError, KeyError, TypeError) as error:
            _corrupt(backtest_id, MANIFEST, str(error))
        try:
            payload = (folder / name).read_bytes()
        except OSError as error:
            _corrupt(backtest_id, name, error.strerror or str(error))
        if _sha256(payload) != expected:
            _corrupt(backtest_id, name, "sha256 does not match the manifest")
        return payload

    def summary(self, backtest_id: str) -> dict[str, Any]:
        """The stored summary mapping."""
        payload = self._verified(backtest_id, SUMMARY)
        try:
            document = json.loads(payload)
        except ValueError as error:
            _corrupt(backtest_id, SUMMARY, str(error))
        if not isinstance(document, dict):
            _corrupt(backtest_id, SUMMARY, "not an object")
        return document

    def _frame(self, backtest_id: str, name: str) -> pd.DataFrame:
        payload = self._verified(backtest_id, name)
        try:
            frame: pd.DataFrame = pq.read_table(io.BytesIO(payload)).to_pandas()
            return frame
        except (pa.ArrowException, OSError, ValueError) as error:
            _corrupt(backtest_id, name, str(error))

    def equity(self, backtest_id: str) -> pd.DataFrame:
        return self._frame(backtest_id, EQUITY)

    def trades(self, backtest_id: str) -> pd.DataFrame:
        return self._frame(backtest_id, TRADES)

    def ids_newest_first(self) -> list[str]:
        """Every stored backtest id, newest first (by the summary's creation time)."""
        if not self.root.is_dir():
            return []
        entries: list[tuple[float, str]] = []
        for folder in self.root.iterdir():
            if folder.name.startswith(_TEMP_PREFIX) or not folder.is_dir():
                continue
            with contextlib.suppress(OSError):
                entries.append(((folder / MANIFEST).stat().st_mtime, folder.name))
        return [name for _, name in sorted(entries, reverse=True)]

    def iter_summaries(self) -> Iterator[dict[str, Any]]:
        for backtest_id in self.ids_newest_first():
            yield self.summary(backtest_id)
