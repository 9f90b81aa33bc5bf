"""Model health at the edge: the quick status of every component, the champion's age,
status history with its trend, and the tracking series.

Everything here is blocking (SQLite, file reads): call it off the event loop.

Two kinds of failure, deliberately different: inside :func:`quick_status` a component that
cannot be computed is itself the answer (``critical`` with the reason; the status is still
a success), while every other operation raises, so the edge answers ``ok: false`` with
the specific code.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from qe_contract.models import (
    DisagreementHistory,
    DisagreementPoint,
    HealthHistory,
    HealthPoint,
    IcHistory,
    IcPoint,
    ModelAge,
    QuickStatus,
    StatusComponent,
    StatusComponentName,
    StatusLevel,
    Trend,
    TrendDirection,
)

from quant_engine.api.state import AppState
from quant_engine.core.errors import (
    ErrorDetail,
    NotFoundError,
    QuantEngineError,
    ValidationFailedError,
)
from quant_engine.data.models import Manifest
from quant_engine.models.research import Research
from quant_engine.tracking import TOLERANCES, ComponentReading, rolling_mean, trend

logger = logging.getLogger(__name__)

GIB = 2**30
SECONDS_PER_DAY = 86_400.0
DEFAULT_HISTORY_DAYS = 7
_ORDER = {StatusLevel.ok: 0, StatusLevel.warning: 1, StatusLevel.critical: 2}


@dataclass(frozen=True)
class Reading:
    status: StatusLevel
    value: float | None
    threshold: float | None
    message: str


def _below(value: float, warning: float, critical: float | None, describe: str) -> Reading:
    """A reading whose status worsens as ``value`` falls below the thresholds."""
    if critical is not None and value < critical:
        return Reading(StatusLevel.critical, value, None, f"{describe} < {critical}")
    if value < warning:
        return Reading(StatusLevel.warning, value, critical, f"{describe} < {warning}")
    return Reading(StatusLevel.ok, value, warning, describe)


def _above(value: float, warning: float, critical: float | None, describe: str) -> Reading:
    """A reading whose status worsens as ``value`` rises above the thresholds."""
    if critical is not None and value > critical:
        return Reading(StatusLevel.critical, value, None, f"{describe} > {critical}")
    if value > warning:
        return Reading(StatusLevel.warning, value, critical, f"{describe} > {warning}")
    return Reading(StatusLevel.ok, value, warning, describe)


# ------------------------------------------------------------------ model age


def model_age(research: Research, now: dt.datetime) -> ModelAge:
    """The champion's age. ``NotFoundError`` when there is none, ``UnavailableError`` when
    the registry cannot be read, ``ArtifactCorruptError`` for corrupt metadata."""
    champion = research.governance.champion()
    if champion is None:
        raise NotFoundError("no champion yet: train a model first")
    trained_at = research.registry.metadata(champion).created_at  # aware UTC
    age = (now - trained_at).total_seconds() / SECONDS_PER_DAY
    return ModelAge(version=champion, trained_at=trained_at, age_days=age)


# ------------------------------------------------------------------ components


class _Lookups:
    """What several components read, read once per status (an error is re-raised to every
    component that needs the value)."""

    def __init__(self, state: AppState) -> None:
        self.state = state
        self._cache: dict[str, object] = {}

    def _once(self, key: str, compute: Callable[[], object]) -> object:
        if key not in self._cache:
            try:
                self._cache[key] = compute()
            except (QuantEngineError, OSError, sqlite3.Error) as error:
                self._cache[key] = error
        value = self._cache[key]
        if isinstance(value, BaseException):
            raise value
        return value

    def champion(self) -> str | None:
        value = self._once("champion", self.state.research.governance.champion)
        return value if isinstance(value, str) else None

    def trained_at(self, champion: str) -> dt.datetime:
        value = self._once(
            "trained_at", lambda: self.state.research.registry.metadata(champion).created_at
        )
        assert isinstance(value, dt.datetime)
        return value

    def challenger(self) -> str | None:
        value = self._once("challenger", self.state.monitor.challenger)
        return value if isinstance(value, str) else None

    def tracking_db(self) -> None:
        self._once("tracking_db", self.state.trackers.tracking_db.check)


def _last_stored_date(manifest: Manifest) -> dt.date:
    return max(info.last_date for info in manifest.tickers.values())


def _data_freshness(state: AppState, lookups: _Lookups, now: dt.datetime) -> Reading:
    manifest = state.store.manifest()
    settings = state.settings
    if manifest is None or not manifest.tickers:
        return Reading(
            StatusLevel.critical, None, None, "no data imported yet (a data refresh is needed)"
        )
    last = _last_stored_date(manifest)
    if manifest.data_mode == "sample":
        # the sample is fixed history: it is as fresh as it can be at its own end
        reference, where = last, "the sample's end"
    else:
        reference, where = now.date(), "today"
    lag = float(np.busday_count(last, reference)) if reference > last else 0.0
    return _above(
        lag,
        settings.freshness_warning_bdays,
        settings.freshness_critical_bdays,
        f"last stored date {last}: {lag:g} business days before {where}",
    )


def _model_age(state: AppState, lookups: _Lookups, now: dt.datetime) -> Reading:
    settings = state.settings
    champion = lookups.champion()
    if champion is None:
        return Reading(StatusLevel.warning, None, None, "no champion yet")
    age = (now - lookups.trained_at(champion)).total_seconds() / SECONDS_PER_DAY
    return _above(
        age,
        settings.model_age_warning_days,
        settings.model_age_critical_days,
        f"champion {champion} trained {age:.1f} days ago",
    )


def _ic_trend(state: AppState, lookups: _Lookups, now: dt.datetime) -> Reading:
    settings = state.settings
    lookups.tracking_db()  # a corrupt or locked tracking.db is critical
    champion = lookups.champion()
    if champion is None:
        return Reading(StatusLevel.warning, None, None, "no champion yet")
    values = state.trackers.ic.recent_rank_ic(champion, settings.ic_trend_dates)
    if not values:
        return Reading(
            StatusLevel.warning,
            None,
            None,
            f"no matured out-of-sample signal dates of {champion} yet",
        )
    mean = float(np.mean(values))
    return _below(
        mean,
        settings.ic_warning,
        settings.ic_critical,
        f"mean rank IC of {champion} over its last {len(values)} matured dates",
    )


def _disagreement(state: AppState, lookups: _Lookups, now: dt.datetime) -> Reading:
    settings = state.settings
    lookups.tracking_db()
    champion = lookups.champion()
    challenger = lookups.challenger()
    if champion is None or challenger is None:
        return Reading(StatusLevel.ok, None, settings.disagreement_warning, "no challenger")
    latest = state.trackers.disagreement.latest(champion, challenger)
    if latest is None or latest.rank_correlation is None:
        return Reading(
            StatusLevel.ok,
            None,
            settings.disagreement_warning,
            f"no common signal date of {champion} and {challenger} yet",
        )
    return _below(
        latest.rank_correlation,
        settings.disagreement_warning,
        None,
        f"rank correlation of {champion} and {challenger} on {latest.as_of}"
        f" (top-{latest.top_n} overlap {latest.top_overlap:.0%})",
    )


def _job_queue(state: AppState, lookups: _Lookups, now: dt.datetime) -> Reading:
    depth = float(state.runner.waiting_count)
    limit = state.settings.max_queued
    warning_at = state.settings.queue_warning_ratio * limit
    describe = f"{depth:g} of {limit} queue slots in use"
    if limit > 0 and depth >= limit:
        return Reading(StatusLevel.critical, depth, None, f"{describe}: full")
    if depth > 0 and depth >= warning_at:
        return Reading(StatusLevel.warning, depth, float(limit), describe)
    return Reading(StatusLevel.ok, depth, warning_at, describe)


def _disk(state: AppState, lookups: _Lookups, now: dt.datetime) -> Reading:
    free = shutil.disk_usage(state.settings.home).free / GIB
    return _below(
        free,
        state.settings.disk_warning_gib,
        state.settings.disk_critical_gib,
        f"{free:.2f} GiB free under {state.settings.home.name or 'QE_HOME'}",
    )


def _registry(state: AppState, lookups: _Lookups, now: dt.datetime) -> Reading:
    research = state.research
    research.registry.check_readable()
    champion = lookups.champion()
    if champion is not None:
        lookups.trained_at(champion)  # corrupt metadata: ArtifactCorruptError
    versions = len(research.registry.list_versions())
    return Reading(StatusLevel.ok, 1.0, None, f"readable, {versions} version(s)")


def _cache(state: AppState, lookups: _Lookups, now: dt.datetime) -> Reading:
    hits, misses = state.cache.lookups()
    total = hits + misses
    settings = state.settings
    if total == 0:
        return Reading(StatusLevel.ok, None, settings.cache_hit_warning, "no lookups yet")
    rate = hits / total
    describe = f"{hits} hits of {total} lookups"
    if total < settings.cache_min_lookups:
        return Reading(StatusLevel.ok, rate, settings.cache_hit_warning, describe)
    return _below(rate, settings.cache_hit_warning, None, describe)


Component = Callable[[AppState, _Lookups, dt.datetime], Reading]
COMPONENTS: tuple[tuple[StatusComponentName, Component], ...] = (
    (StatusComponentName.data_freshness, _data_freshness),
    (StatusComponentName.model_age, _model_age),
    (StatusComponentName.ic_trend, _ic_trend),
    (StatusComponentName.disagreement, _disagreement),
    (StatusComponentName.job_queue, _job_queue),
    (StatusComponentName.disk, _disk),
    (StatusComponentName.registry, _registry),
    (StatusComponentName.cache, _cache),
)


def _safe(
    name: StatusComponentName,
    compute: Component,
    state: AppState,
    lookups: _Lookups,
    now: dt.datetime,
) -> StatusComponent:
    try:
        reading = compute(state, lookups, now)
    except (QuantEngineError, OSError, sqlite3.Error) as error:
        message = error.message if isinstance(error, QuantEngineError) else str(error)
        logger.warning("status component %s could not be computed: %s", name.value, message)
        reading = Reading(StatusLevel.critical, None, None, message)
    value = reading.value if reading.value is None or np.isfinite(reading.value) else None
    return StatusComponent(
        name=name,
        status=reading.status,
        value=value,
        threshold=reading.threshold,
        message=reading.message,
    )


def quick_status(state: AppState, now: dt.datetime) -> QuickStatus:
    """Every component's status; a component that fails is ``critical`` with the reason."""
    lookups = _Lookups(state)
    components = [_safe(name, compute, state, lookups, now) for name, compute in COMPONENTS]
    overall = max((c.status for c in components), key=_ORDER.__getitem__)
    return QuickStatus(overall=overall, at=now, components=components)


def snapshot(state: AppState, now: dt.datetime) -> QuickStatus:
    """Compute the status and store it in the history (one transaction)."""
    status = quick_status(state, now)
    state.trackers.history.write(
        now,
        [
            ComponentReading(c.name.value, c.status.value, c.value, c.message)
            for c in status.components
        ],
    )
    return status


# ------------------------------------------------------------------ history


def health_history(
    state: AppState,
    component: StatusComponentName,
    *,
    since: dt.datetime | None,
    until: dt.datetime | None,
    limit: int,
    now: dt.datetime,
) -> HealthHistory:
    until = _utc(until) if until is not None else now
    since = _utc(since) if since is not None else until - dt.timedelta(days=DEFAULT_HISTORY_DAYS)
    if since > until:
        raise ValidationFailedError(
            "since is after until",
            [ErrorDetail(loc=("query", "since"), msg="must not be after until")],
        )
    points, truncated = state.trackers.history.points(component.value, since, until, limit)
    tolerance = TOLERANCES[component.value]
    fitted = trend(points, tolerance)
    return HealthHistory(
        component=component,
        since=since,
        until=until,
        points=[HealthPoint(at=p.at, value=p.value, status=StatusLevel(p.status)) for p in points],
        truncated=truncated,
        trend=None
        if fitted is None
        else Trend(
            slope_per_day=fitted.slope_per_day,
            direction=TrendDirection(fitted.direction),
            tolerance=fitted.tolerance,
            points=fitted.points,
        ),
    )


def _utc(value: dt.datetime) -> dt.datetime:
    """An aware datetime in UTC (a naive one is read as UTC)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


# ------------------------------------------------------------------ tracking series


def _mean(values: list[float]) -> float | None:
    return float(np.mean(values)) if values else None


def ic_history(state: AppState, version: str | None, horizon: int | None, window: int) -> IcHistory:
    loaded = state.research.resolve(version or "champion")
    record = loaded.horizon(horizon if horizon is not None else loaded.horizons[0].horizon)
    rows = state.trackers.ic.history(loaded.version, record.horizon)
    out_of_sample = [row for row in rows if not row.in_sample]
    rolling_ic = dict(
        zip(
            (row.as_of for row in out_of_sample),
            rolling_mean([row.ic for row in out_of_sample], window),
            strict=True,
        )
    )
    rolling_rank = dict(
        zip(
            (row.as_of for row in out_of_sample),
            rolling_mean([row.rank_ic for row in out_of_sample], window),
            strict=True,
        )
    )
    return IcHistory(
        version=loaded.version,
        horizon=record.horizon,
        window=window,
        points=[
            IcPoint(
                date=row.as_of,
                ic=row.ic,
                rank_ic=row.rank_ic,
                names=row.names,
                in_sample=row.in_sample,
                rolling_ic=rolling_ic.get(row.as_of),
                rolling_rank_ic=rolling_rank.get(row.as_of),
            )
            for row in rows
        ],
        mean_ic=_mean([row.ic for row in out_of_sample if row.ic is not None]),
        mean_rank_ic=_mean([row.rank_ic for row in out_of_sample if row.rank_ic is not None]),
        scored_dates=sum(1 for row in out_of_sample if row.rank_ic is not None),
    )


def disagreement_history(
    state: AppState,
    champion: str | None,
    challenger: str | None,
    horizon: int | None,
    window: int,
) -> DisagreementHistory:
    first = state.research.resolve(champion or "champion")
    if challenger is None:
        challenger = state.monitor.challenger()
        if challenger is None or challenger == first.version:
            raise NotFoundError("no challenger: every version is the champion or retired")
    second = state.research.registry.metadata(challenger)
    record = first.horizon(horizon if horizon is not None else first.horizons[0].horizon)
    second.horizon(record.horizon)  # NotFoundError when the challenger lacks it
    rows = state.trackers.disagreement.history(first.version, second.version, record.horizon)
    rolling = rolling_mean([row.rank_correlation for row in rows], window)
    return DisagreementHistory(
        champion=first.version,
        challenger=second.version,
        horizon=record.horizon,
        window=window,
        points=[
            DisagreementPoint(
                date=row.as_of,
                rank_correlation=row.rank_correlation,
                top_overlap=row.top_overlap,
                top_n=row.top_n,
                names=row.names,
                rolling_rank_correlation=mean,
            )
            for row, mean in zip(rows, rolling, strict=True)
        ],
    )
