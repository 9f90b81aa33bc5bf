"""The runtime resources of one app, created in its lifespan (no module-level state)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from quant_engine.api.auth import TokenVerifier
from quant_engine.api.cache import ResponseCache
from quant_engine.api.contract import Contract
from quant_engine.autopilot.ab_lab import AbLab
from quant_engine.autopilot.cycle import Autopilot
from quant_engine.backtest.lab import BacktestLab
from quant_engine.core.logbuffer import RingBufferHandler
from quant_engine.core.settings import Settings
from quant_engine.core.tasks import TaskSupervisor
from quant_engine.data import Store
from quant_engine.jobs import JobRunner, JobStore
from quant_engine.models.monitoring import Monitor
from quant_engine.models.research import Research
from quant_engine.tracking import Trackers


@dataclass
class AppState:
    """Everything a request handler may need, reachable through dependencies."""

    settings: Settings
    contract: Contract
    log_buffer: RingBufferHandler
    verifier: TokenVerifier | None
    store: Store
    research: Research
    backtests: BacktestLab
    cache: ResponseCache
    job_store: JobStore
    runner: JobRunner
    tasks: TaskSupervisor
    trackers: Trackers
    monitor: Monitor
    abtests: AbLab
    autopilot: Autopilot
    autopilot_admission: asyncio.Lock = field(default_factory=asyncio.Lock)
    started_monotonic: float = field(default_factory=time.monotonic)

    @property
    def uptime_seconds(self) -> float:
        """Seconds since the lifespan started."""
        return max(0.0, time.monotonic() - self.started_monotonic)
