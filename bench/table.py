"""Printing benchmark rows (``name, seconds, reference, reference_seconds, ratio``)."""

from __future__ import annotations

from collections.abc import Sequence

Row = dict[str, object]


def _seconds(value: object) -> str:
    seconds = float(str(value))
    return f"{seconds * 1000:.2f} ms" if seconds < 1 else f"{seconds:.3f} s"


def print_table(rows: Sequence[Row]) -> None:
    """One aligned line per row; the ratio is measured / reference."""
    header = ("benchmark", "measured", "reference", "reference time", "ratio")
    table = [
        (
            str(row["name"]),
            _seconds(row["seconds"]),
            str(row["reference"]),
            _seconds(row["reference_seconds"]),
            f"{float(str(row['ratio'])):.3f}",
        )
        for row in rows
    ]
    widths = [max(len(line[i]) for line in (header, *table)) for i in range(len(header))]
    for line in (header, tuple("-" * width for width in widths), *table):
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)))
