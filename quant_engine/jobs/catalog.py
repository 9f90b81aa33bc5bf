"""The built-in job types and the functions that run them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

from quant_engine.core.errors import (
    ArtifactCorruptError,
    ConflictError,
    NotFoundError,
    ValidationFailedError,
)
from quant_engine.data import (
    ImportCancelled,
    ImportReport,
    Store,
    import_directory,
    materialize_sample,
)
from quant_engine.jobs.models import (
    CancelToken,
    JobCancelledError,
    JobFailedError,
    JobFunction,
    ProgressReporter,
)

DATA_REFRESH = "data_refresh"
# Job types of which at most one runs at a time (they write the same store).
EXCLUSIVE_JOB_TYPES = frozenset({DATA_REFRESH})


def refresh_result(report: ImportReport) -> dict[str, Any]:
    """The contract's ``DataRefreshResult`` for an import report."""
    return {
        "mode": report.data_mode,
        "source": report.source,
        "tickers_imported": len(report.imported),
        "tickers_unchanged": len(report.unchanged),
        "tickers_failed": len(report.failed),
        "failed": [asdict(failure) for failure in report.failed],
        "universe_fingerprint": report.universe_fingerprint,
        "elapsed_seconds": round(report.elapsed_seconds, 3),
    }


def data_refresh_job(store: Store, data_dir: Path | None) -> JobFunction:
    """A job importing ``data_dir`` into ``store`` (the sample universe when None).

    Partial-failure rule: when more than half of the sources fail, the job fails with
    ``ITEMS_FAILED`` and still reports what it did.
    """

    def run(
        params: Mapping[str, Any], token: CancelToken, progress: ProgressReporter
    ) -> Mapping[str, Any]:
        force = bool(params.get("force", False))
        try:
            if data_dir is None:
                report = materialize_sample(store, force=force, cancel=token, progress=progress)
            else:
                report = import_directory(
                    data_dir, store, force=force, cancel=token, progress=progress
                )
        except ImportCancelled as cancelled:
            raise JobCancelledError(str(cancelled)) from cancelled
        except (NotFoundError, ValidationFailedError) as unavailable:
            raise JobFailedError("DATA_SOURCE_UNAVAILABLE", unavailable.message) from unavailable
        except ConflictError as busy:
            raise JobFailedError("DATA_SOURCE_UNAVAILABLE", busy.message) from busy
        except ArtifactCorruptError as corrupt:
            raise JobFailedError("ARTIFACT_CORRUPT", corrupt.message) from corrupt
        result = refresh_result(report)
        sources = len(report.imported) + len(report.unchanged) + len(report.failed)
        if sources and 2 * len(report.failed) > sources:
            raise JobFailedError(
                "ITEMS_FAILED", f"{len(report.failed)} of {sources} sources failed", result
            )
        return result

    return run
