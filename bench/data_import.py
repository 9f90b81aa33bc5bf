"""Benchmark: full import of the 505-ticker S&P 500 folder against just reading it.

Ours: ``import_directory(folder, fresh store, force=True)`` — read, hash, parse, apply the
quality rules, write Parquet segments (fsync'ed) and commit the manifest. Reference: the
time ``pyarrow.csv.read_csv`` (default options) takes to read the same 505 files. The two
are measured alternately in the same process, best of ``REPEATS`` each, after one warm-up
of both (imports, page cache). Goal: ratio <= 2.

Run: ``python -m bench.data_import``.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pyarrow.csv as pacsv

from bench.table import print_table
from quant_engine.data import Store, import_directory

DATA_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "sp500_5yr"
REPEATS = 3


def _read_all(files: list[Path]) -> None:
    for path in files:
        pacsv.read_csv(path)


def _import_fresh(folder: Path, scratch: Path) -> Callable[[], object]:
    """A call importing ``folder`` into a new store under ``scratch`` (not timed: mkdir)."""
    counter = iter(range(1_000_000))

    def run_import() -> object:
        return import_directory(folder, Store(scratch / f"store{next(counter)}"), force=True)

    return run_import


def _timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def run() -> list[dict[str, object]]:
    """Time the import and the plain read, alternately; empty when the data is absent."""
    files = sorted(DATA_DIR.glob("*.csv"))
    if not files:
        return []
    with tempfile.TemporaryDirectory(prefix="qe-bench-data-") as scratch:
        full_import = _import_fresh(DATA_DIR, Path(scratch))

        def reference() -> None:
            _read_all(files)

        full_import(), reference()  # warm-up
        ours, theirs = [], []
        for _ in range(REPEATS):
            ours.append(_timed(full_import))
            theirs.append(_timed(reference))
    seconds, reference_seconds = min(ours), min(theirs)
    return [
        {
            "name": f"data import, {len(files)} CSV files (fresh store, force)",
            "seconds": seconds,
            "reference": "pyarrow.csv.read_csv",
            "reference_seconds": reference_seconds,
            "ratio": seconds / reference_seconds,
        }
    ]


if __name__ == "__main__":
    print_table(run())
