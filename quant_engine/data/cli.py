"""Command-line import: progress bar on stderr, quality summary table on stdout."""

from __future__ import annotations

import sys
from pathlib import Path

from tqdm import tqdm

from quant_engine.core.errors import QuantEngineError
from quant_engine.data.cancel import ImportCancelled
from quant_engine.data.importer import import_directory, materialize_sample
from quant_engine.data.models import QUARANTINE_REASONS, ImportReport
from quant_engine.data.store import Store

EXIT_OK = 0
EXIT_MOSTLY_FAILED = 1
"""More than half of the sources failed."""
EXIT_ERROR = 2
"""The import could not run (missing folder, no files, another import running, …)."""
EXIT_INTERRUPTED = 130
_PROGRESS_STEPS = 1000


def run_import_cli(source_dir: Path | None, store_root: Path, force: bool) -> int:
    """Import ``source_dir`` (or materialize the sample when None) into the store at
    ``store_root``; print the quality summary. Returns the process exit code: 0 ok, 1 when
    more than half of the sources failed, 2 when the import could not run, 130 when
    interrupted."""
    store = Store(store_root)
    with tqdm(
        total=_PROGRESS_STEPS,
        file=sys.stderr,
        desc="import",
        leave=False,
        bar_format="{desc} {percentage:3.0f}%|{bar}| {elapsed} {postfix}",
    ) as bar:

        def progress(fraction: float, message: str) -> None:
            bar.n = min(_PROGRESS_STEPS, round(fraction * _PROGRESS_STEPS))
            bar.set_postfix_str(message, refresh=False)
            bar.refresh()

        try:
            if source_dir is None:
                report = materialize_sample(store, force=force, progress=progress)
            else:
                report = import_directory(source_dir, store, force=force, progress=progress)
        except QuantEngineError as error:
            print(f"import failed: {error.message}", file=sys.stderr)
            return EXIT_ERROR
        except (ImportCancelled, KeyboardInterrupt):
            print("import interrupted; the store is unchanged", file=sys.stderr)
            return EXIT_INTERRUPTED
    print(format_summary(report))
    return exit_code(report)


def exit_code(report: ImportReport) -> int:
    """1 when more than half of the sources failed, else 0."""
    sources = len(report.imported) + len(report.unchanged) + len(report.failed)
    return EXIT_MOSTLY_FAILED if 2 * len(report.failed) > sources else EXIT_OK


def format_summary(report: ImportReport) -> str:
    """A plain-text table: counts, rows per quarantine reason, gaps, failed sources."""
    statuses = dict.fromkeys(("ok", "warnings", "failed"), 0)
    reasons = dict.fromkeys(QUARANTINE_REASONS, 0)
    for entry in report.quality:
        statuses[entry.status] += 1
        for reason, count in entry.quarantined.as_dict().items():
            reasons[reason] += count
    gap_count = sum(len(entry.gaps) for entry in report.quality)
    gap_tickers = sum(1 for entry in report.quality if entry.gaps)
    lines = [
        f"data import ({report.data_mode}) from {report.source}"
        + ("" if report.committed else " — nothing changed"),
        _row("tickers stored", len(report.imported) + len(report.unchanged)),
        _row("  imported", len(report.imported)),
        _row("  unchanged", len(report.unchanged)),
        _row("  removed from universe", len(report.removed)),
        *(_row(f"status {status}", count) for status, count in statuses.items()),
        _row("rows read", sum(entry.rows_read for entry in report.quality)),
        _row("rows stored", sum(entry.rows_stored for entry in report.quality)),
        "rows quarantined by reason:",
        *(_row(f"  {reason}", count) for reason, count in reasons.items()),
        _row("gaps > 5 business days", f"{gap_count} in {gap_tickers} tickers"),
        _row("universe fingerprint", report.universe_fingerprint[:16] or "-"),
        _row("elapsed seconds", f"{report.elapsed_seconds:.2f}"),
    ]
    if report.ignored_files:
        lines.append(_row("ignored (not CSV/Parquet)", ", ".join(report.ignored_files)))
    if report.failed:
        lines.append(f"failed sources ({len(report.failed)}):")
        lines += [f"  {item.source_file:<28} {item.reason}" for item in report.failed]
    return "\n".join(lines)


def _row(label: str, value: object) -> str:
    return f"{label:<28} {value}"
