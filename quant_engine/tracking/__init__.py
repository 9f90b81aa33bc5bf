"""Tracking: what the models and the service did over time, kept in SQLite under ``state/``.

- ``state/tracking.db`` (:func:`open_trackers` builds it from the three schemas):
  ``ic_scores`` (:mod:`.ic`, daily IC and rank IC per model version and horizon),
  ``disagreement`` (:mod:`.disagreement`, champion vs challenger rank agreement) and
  ``fills`` (:mod:`.execution`, fills and their slippage).
- ``state/health.db``: ``snapshots`` (:mod:`.history`, periodic health readings and their
  trends), a separate file so a damaged tracking database never loses the status history.

Everything here is blocking (call it from worker threads) and pure: it imports only
``quant_engine.core``. A locked, corrupt or unreadable file raises ``UnavailableError``
naming it; the files are never deleted or replaced (:mod:`.db`).
"""

from __future__ import annotations

from quant_engine.tracking.db import TrackingDatabase
from quant_engine.tracking.disagreement import (
    DISAGREEMENT_SCHEMA,
    DisagreementRecord,
    DisagreementTracker,
    compare_scores,
)
from quant_engine.tracking.execution import (
    EXECUTION_SCHEMA,
    ExecutionSummary,
    ExecutionTracker,
    Fill,
    FillRecord,
    Side,
)
from quant_engine.tracking.history import (
    HISTORY_SCHEMA,
    TOLERANCES,
    ComponentReading,
    HealthHistory,
    SnapshotPoint,
    Trend,
    trend,
)
from quant_engine.tracking.ic import IC_SCHEMA, IcRecord, IcTracker, daily_ic, rolling_mean
from quant_engine.tracking.trackers import (
    HEALTH_DATABASE,
    TRACKING_DATABASE,
    TRACKING_SCHEMA,
    Trackers,
    open_trackers,
)

__all__ = [
    "DISAGREEMENT_SCHEMA",
    "EXECUTION_SCHEMA",
    "HEALTH_DATABASE",
    "HISTORY_SCHEMA",
    "IC_SCHEMA",
    "TOLERANCES",
    "TRACKING_DATABASE",
    "TRACKING_SCHEMA",
    "ComponentReading",
    "DisagreementRecord",
    "DisagreementTracker",
    "ExecutionSummary",
    "ExecutionTracker",
    "Fill",
    "FillRecord",
    "HealthHistory",
    "IcRecord",
    "IcTracker",
    "Side",
    "SnapshotPoint",
    "Trackers",
    "TrackingDatabase",
    "Trend",
    "compare_scores",
    "daily_ic",
    "open_trackers",
    "rolling_mean",
    "trend",
]
