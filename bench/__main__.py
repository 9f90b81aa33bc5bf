"""``make bench``: run every benchmark and print one table.

Each row compares a measurement with a reference measured in the same run (same process
or the same machine state), so the ratio is what to read; absolute seconds vary with the
machine.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable

from bench.table import print_table

BENCHMARKS = (
    "bench.pricing_engine",
    "bench.api_pricing",
    "bench.data_import",
    "bench.api_data",
    "bench.features",
    "bench.research",
    "bench.backtest",
    "bench.loop_lag",
    "bench.health",
)


def main() -> int:
    rows: list[dict[str, object]] = []
    for name in BENCHMARKS:
        print(f"running {name} …", file=sys.stderr, flush=True)
        run: Callable[[], list[dict[str, object]]] = importlib.import_module(name).run
        rows.extend(run())
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
