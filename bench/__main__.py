"""``make bench``: run every benchmark and print one table.

Each row compares a measurement with a reference measured in the same run (same process
or the same machine state), so the ratio is what to read; absolute seconds vary with the
machine.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable

BENCHMARKS = (
    "bench.pricing_engine",
    "bench.api_pricing",
    "bench.data_import",
    "bench.api_data",
    "bench.loop_lag",
)


def _format_seconds(value: object) -> str:
    seconds = float(value)  # type: ignore[arg-type]
    return f"{seconds * 1000:.2f} ms" if seconds < 1 else f"{seconds:.3f} s"


def main() -> int:
    rows: list[dict[str, object]] = []
    for name in BENCHMARKS:
        print(f"running {name} …", file=sys.stderr, flush=True)
        run: Callable[[], list[dict[str, object]]] = importlib.import_module(name).run
        rows.extend(run())
    header = ("benchmark", "measured", "reference", "reference time", "ratio")
    table = [
        (
            str(row["name"]),
            _format_seconds(row["seconds"]),
            str(row["reference"]),
            _format_seconds(row["reference_seconds"]),
            f"{float(row['ratio']):.3f}",  # type: ignore[arg-type]
        )
        for row in rows
    ]
    widths = [max(len(line[i]) for line in (header, *table)) for i in range(len(header))]
    for line in (header, tuple("-" * width for width in widths), *table):
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
