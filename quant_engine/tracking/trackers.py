"""The trackers of one ``state/`` folder, wired to their two database files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from quant_engine.tracking.db import TrackingDatabase
from quant_engine.tracking.disagreement import DISAGREEMENT_SCHEMA, DisagreementTracker
from quant_engine.tracking.execution import EXECUTION_SCHEMA, ExecutionTracker
from quant_engine.tracking.history import HISTORY_SCHEMA, HealthHistory
from quant_engine.tracking.ic import IC_SCHEMA, IcTracker

TRACKING_DATABASE = "tracking.db"
HEALTH_DATABASE = "health.db"
TRACKING_SCHEMA = IC_SCHEMA + DISAGREEMENT_SCHEMA + EXECUTION_SCHEMA


@dataclass(frozen=True)
class Trackers:
    """Every tracker of one state folder, plus the two databases behind them."""

    ic: IcTracker
    disagreement: DisagreementTracker
    execution: ExecutionTracker
    history: HealthHistory
    tracking_db: TrackingDatabase
    health_db: TrackingDatabase


def open_trackers(state_dir: Path, *, timeout_s: float = 1.0) -> Trackers:
    """Build the trackers over ``state_dir/tracking.db`` and ``state_dir/health.db``.

    Opens nothing: the files are created by the first write and problems with them
    surface as ``UnavailableError`` on use, so a damaged file never stops the service.
    ``timeout_s`` is how long each transaction waits for a busy database (seconds).
    """
    tracking_db = TrackingDatabase(
        state_dir / TRACKING_DATABASE, TRACKING_SCHEMA, timeout_s=timeout_s
    )
    health_db = TrackingDatabase(state_dir / HEALTH_DATABASE, HISTORY_SCHEMA, timeout_s=timeout_s)
    return Trackers(
        ic=IcTracker(tracking_db),
        disagreement=DisagreementTracker(tracking_db),
        execution=ExecutionTracker(tracking_db),
        history=HealthHistory(health_db),
        tracking_db=tracking_db,
        health_db=health_db,
    )
