"""Market data: readers, quality rules, the Parquet store, imports and the sample universe.

Pure engine: no web framework, no generated contract code. Write side:
:func:`import_directory`, :func:`materialize_sample` (and :func:`run_import_cli`); read
side: :class:`Store`.
"""

from quant_engine.data.cancel import CancelToken, ImportCancelled, ProgressCallback
from quant_engine.data.cli import run_import_cli
from quant_engine.data.importer import import_directory, materialize_sample
from quant_engine.data.models import (
    QUALITY_STATUSES,
    QUARANTINE_REASONS,
    TICKER_PATTERN,
    Bars,
    DataMode,
    FailedSource,
    Gap,
    ImportReport,
    Manifest,
    QualityStatus,
    QuarantineCounts,
    SegmentLocation,
    TickerInfo,
    TickerKind,
    TickerQuality,
    validate_ticker,
)
from quant_engine.data.quality import GAP_BUSINESS_DAYS
from quant_engine.data.sample import SAMPLE_SEED
from quant_engine.data.store import Store

__all__ = [
    "GAP_BUSINESS_DAYS",
    "QUALITY_STATUSES",
    "QUARANTINE_REASONS",
    "SAMPLE_SEED",
    "TICKER_PATTERN",
    "Bars",
    "CancelToken",
    "DataMode",
    "FailedSource",
    "Gap",
    "ImportCancelled",
    "ImportReport",
    "Manifest",
    "ProgressCallback",
    "QualityStatus",
    "QuarantineCounts",
    "SegmentLocation",
    "Store",
    "TickerInfo",
    "TickerKind",
    "TickerQuality",
    "import_directory",
    "materialize_sample",
    "run_import_cli",
    "validate_ticker",
]
