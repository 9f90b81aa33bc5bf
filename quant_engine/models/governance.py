"""Champion / challenger governance over the registry's versions.

A new version is the challenger. With no champion it becomes champion (nothing to compare
with); its decision says whether its overall CV ICIR meets the floor. Later versions are
compared with the champion on the dates that are out of sample for both: the champion's
predictions after its training end (plus a purge of the horizon in trading days) against
the challenger's out-of-fold predictions on the same dates and tickers. The challenger is
promoted when its mean daily rank IC beats the champion's by ``margin`` over at least
``min_common_dates`` dates; otherwise the champion stays and the reason says why.

State (``governance.json`` beside the versions): the champion, the versions that were
champion once (retired), and every decision with its numbers. Written atomically; every
decision, automatic or manual, is recorded before it takes effect.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from quant_engine.core.atomic import atomic_write_bytes
from quant_engine.core.errors import ArtifactCorruptError, ConflictError
from quant_engine.features import FeatureSet
from quant_engine.models.metrics import daily_ic
from quant_engine.models.registry import ModelRegistry, ModelVersion

logger = logging.getLogger(__name__)

GOVERNANCE_FILE = "governance.json"
ICIR_FLOOR = 0.05
PROMOTION_MARGIN = 0.005
MIN_COMMON_DATES = 60

Role = Literal["champion", "challenger", "retired"]
DecisionKind = Literal["automatic", "manual"]


@dataclass(frozen=True)
class DecisionMetrics:
    """The numbers a decision rests on (rank ICs are mean daily Spearman correlations)."""

    challenger_rank_ic: float | None
    champion_rank_ic: float | None
    common_dates: int
    min_common_dates: int
    margin: float
    challenger_icir: float | None
    icir_floor: float


@dataclass(frozen=True)
class Decision:
    """One recorded governance decision."""

    decision_id: int
    decided_at: dt.datetime
    kind: DecisionKind
    version: str
    horizon: int
    champion_before: str | None
    champion_after: str
    promoted: bool
    meets_icir_floor: bool
    reason: str
    metrics: DecisionMetrics

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready mapping."""
        document = asdict(self)
        document["decided_at"] = self.decided_at.isoformat()
        return document


@dataclass(frozen=True)
class Comparison:
    """Both models' mean daily rank IC on their common out-of-sample dates."""

    challenger_rank_ic: float | None
    champion_rank_ic: float | None
    common_dates: int


def _finite_or_none(value: float) -> float | None:
    return None if not math.isfinite(value) else float(value)


def _mean_rank_ic(frame: pd.DataFrame, column: str) -> tuple[float | None, int]:
    """Mean daily rank IC of ``frame[column]`` against ``frame.label``, and its dates."""
    if frame.empty:
        return None, 0
    predictions = frame.pivot(index="date", columns="ticker", values=column).to_numpy(float)
    labels = frame.pivot(index="date", columns="ticker", values="label").to_numpy(float)
    _, rank_ic, _ = daily_ic(predictions, labels)
    finite = rank_ic[np.isfinite(rank_ic)]
    if finite.size == 0:
        return None, 0
    return float(finite.mean()), int(finite.size)


def compare(
    challenger_oof: pd.DataFrame,
    champion: ModelVersion,
    horizon: int,
    dates: np.ndarray,
    features: FeatureSet,
) -> Comparison:
    """Score both versions on the challenger's out-of-fold rows of ``horizon`` whose dates
    are out of sample for the champion (after its training end plus ``horizon`` trading
    days of purge). ``dates`` are the trading days of the data; ``features`` are the
    champion's feature set over them."""
    rows = challenger_oof[challenger_oof["horizon"] == horizon]
    champion_end = np.datetime64(champion.training_window[1], "D")
    end_index = int(np.searchsorted(dates, champion_end, side="right")) - 1
    first_oos = end_index + 1 + horizon
    if first_oos >= len(dates):
        return Comparison(None, None, 0)
    rows = rows[rows["date"].to_numpy(dtype="datetime64[D]") >= dates[first_oos]]
    if rows.empty:
        return Comparison(None, None, 0)
    days = rows["date"].to_numpy(dtype="datetime64[D]")
    date_index = np.searchsorted(features.dates, days)
    in_range = date_index < len(features.dates)
    # exact dates only: a date missing from the data must not borrow a later row
    exact = in_range & (features.dates[np.minimum(date_index, len(features.dates) - 1)] == days)
    ticker_index = pd.Index(features.tickers).get_indexer(rows["ticker"].to_numpy())
    known = (ticker_index >= 0) & exact
    rows = rows[known]
    matrix = features.values[date_index[known], ticker_index[known], :]
    scored = rows.assign(
        champion=champion.predict(horizon, matrix, features.names),
        challenger=rows["prediction"].to_numpy(float),
    )
    challenger_ic, common = _mean_rank_ic(scored, "challenger")
    champion_ic, _ = _mean_rank_ic(scored, "champion")
    return Comparison(challenger_ic, champion_ic, common)


class Governance:
    """Roles and decisions of the versions in ``registry`` (thread-safe)."""

    def __init__(
        self,
        registry: ModelRegistry,
        *,
        icir_floor: float = ICIR_FLOOR,
        margin: float = PROMOTION_MARGIN,
        min_common_dates: int = MIN_COMMON_DATES,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.registry = registry
        self.icir_floor = icir_floor
        self.margin = margin
        self.min_common_dates = min_common_dates
        self._clock = clock
        self._lock = threading.Lock()

    @property
    def path(self) -> Path:
        return self.registry.root / GOVERNANCE_FILE

    # ------------------------------------------------------------------ state

    def _read(self) -> dict[str, Any]:
        self.registry.check_readable()
        try:
            payload = self.path.read_bytes()
        except FileNotFoundError:
            return {"champion": None, "retired": [], "decisions": []}
        except OSError as error:
            raise ArtifactCorruptError(f"{GOVERNANCE_FILE} cannot be read: {error}") from error
        try:
            state = json.loads(payload)
            if not isinstance(state, dict) or not isinstance(state.get("decisions"), list):
                raise ValueError("not a governance document")
        except ValueError as error:
            logger.warning("governance state %s is unreadable: %s", self.path, error)
            raise ArtifactCorruptError(f"{GOVERNANCE_FILE} is unreadable: {error}") from error
        return state

    def _write(self, state: dict[str, Any]) -> None:
        atomic_write_bytes(self.path, json.dumps(state, indent=1, sort_keys=True).encode())

    def champion(self) -> str | None:
        """The champion version, or None before the first training."""
        champion = self._read().get("champion")
        return champion if isinstance(champion, str) else None

    def roles(self) -> dict[str, Role]:
        """Role of every version that governance has seen."""
        state = self._read()
        roles: dict[str, Role] = {}
        for decision in state["decisions"]:
            roles.setdefault(str(decision["version"]), "challenger")
        for version in state.get("retired", []):
            roles[str(version)] = "retired"
        if state.get("champion"):
            roles[str(state["champion"])] = "champion"
        return roles

    def decisions(self, version: str | None = None) -> tuple[Decision, ...]:
        """Every decision (oldest first), or those about ``version`` (as challenger or as
        the champion it replaced)."""
        items = [_decision_from(item) for item in self._read()["decisions"]]
        if version is None:
            return tuple(items)
        return tuple(
            d for d in items if version in (d.version, d.champion_before, d.champion_after)
        )

    # ---------------------------------------------------------------- decisions

    def decide(
        self,
        challenger: ModelVersion,
        comparison: Callable[[ModelVersion, int], Comparison],
    ) -> Decision:
        """Judge a newly trained ``challenger`` and record the decision.

        ``comparison(champion, horizon)`` scores both on their common out-of-sample
        dates; it is called only when there is a champion sharing a horizon.
        """
        with self._lock:
            state = self._read()
            champion_name = state.get("champion")
            horizon = challenger.horizons[0].horizon
            icir = _finite_or_none(challenger.horizons[0].overall.icir)
            meets = icir is not None and icir >= self.icir_floor
            if champion_name is None:
                comparison_result = Comparison(None, None, 0)
                promoted = True
                reason = (
                    "first version: champion by default; overall CV ICIR "
                    f"{_fmt(icir)} {'meets' if meets else 'is below'} the floor "
                    f"{self.icir_floor}"
                    + ("; trained on a survivorship-biased universe" if _biased(challenger) else "")
                )
            else:
                champion = self.registry.load(str(champion_name))
                shared = [h.horizon for h in challenger.horizons if _has(champion, h.horizon)]
                if not shared:
                    comparison_result = Comparison(None, None, 0)
                    promoted = False
                    reason = f"no horizon in common with champion {champion_name}; kept"
                else:
                    horizon = shared[0]
                    icir = _finite_or_none(challenger.horizon(horizon).overall.icir)
                    meets = icir is not None and icir >= self.icir_floor
                    comparison_result = comparison(champion, horizon)
                    promoted, reason = self._judge(comparison_result, str(champion_name))
                    if promoted and _biased(challenger):
                        promoted = False
                        reason = (
                            f"{reason}; but trained on a survivorship-biased universe "
                            "(survivorship=false): not promoted automatically"
                        )
            return self._record(
                state,
                kind="automatic",
                version=challenger.version,
                horizon=horizon,
                promoted=promoted,
                meets=meets,
                reason=reason,
                comparison=comparison_result,
                icir=icir,
            )

    def _judge(self, result: Comparison, champion: str) -> tuple[bool, str]:
        if result.common_dates < self.min_common_dates:
            return False, (
                "insufficient common out-of-sample dates: "
                f"{result.common_dates} < {self.min_common_dates}; champion {champion} kept"
            )
        challenger_ic = result.challenger_rank_ic
        champion_ic = result.champion_rank_ic
        if challenger_ic is None or champion_ic is None:
            return False, f"rank IC not computable on the common dates; {champion} kept"
        if challenger_ic > champion_ic + self.margin:
            return True, (
                f"challenger rank IC {challenger_ic:.4f} beats champion {champion} "
                f"{champion_ic:.4f} by more than {self.margin} over {result.common_dates} dates"
            )
        return False, (
            f"challenger rank IC {challenger_ic:.4f} does not beat champion {champion} "
            f"{champion_ic:.4f} by {self.margin} over {result.common_dates} dates; kept"
        )

    def promote(self, version: ModelVersion) -> Decision:
        """Make ``version`` the champion by hand (recorded as a manual decision).

        Raises ``ConflictError`` when it already is the champion.
        """
        with self._lock:
            state = self._read()
            if state.get("champion") == version.version:
                raise ConflictError(f"{version.version} is already the champion")
            icir = _finite_or_none(version.horizons[0].overall.icir)
            return self._record(
                state,
                kind="manual",
                version=version.version,
                horizon=version.horizons[0].horizon,
                promoted=True,
                meets=icir is not None and icir >= self.icir_floor,
                reason="promoted by hand",
                comparison=Comparison(None, None, 0),
                icir=icir,
            )

    def _record(
        self,
        state: dict[str, Any],
        *,
        kind: DecisionKind,
        version: str,
        horizon: int,
        promoted: bool,
        meets: bool,
        reason: str,
        comparison: Comparison,
        icir: float | None,
    ) -> Decision:
        before = state.get("champion")
        after = version if promoted else str(before)
        decision = Decision(
            decision_id=len(state["decisions"]) + 1,
            decided_at=self._clock(),
            kind=kind,
            version=version,
            horizon=horizon,
            champion_before=before,
            champion_after=after,
            promoted=promoted,
            meets_icir_floor=meets,
            reason=reason,
            metrics=DecisionMetrics(
                challenger_rank_ic=comparison.challenger_rank_ic,
                champion_rank_ic=comparison.champion_rank_ic,
                common_dates=comparison.common_dates,
                min_common_dates=self.min_common_dates,
                margin=self.margin,
                challenger_icir=icir,
                icir_floor=self.icir_floor,
            ),
        )
        retired = [str(v) for v in state.get("retired", []) if v != after]
        if promoted and before is not None and before not in retired:
            retired.append(str(before))
        self._write(
            {
                "champion": after,
                "retired": retired,
                "decisions": [*state["decisions"], decision.as_dict()],
            }
        )
        logger.info("governance: %s (%s)", reason, version)
        return decision


def _biased(version: ModelVersion) -> bool:
    """True when the version was trained on the survivorship-biased universe."""
    return version.request.get("survivorship", True) is False


def _has(version: ModelVersion, horizon: int) -> bool:
    return any(record.horizon == horizon for record in version.horizons)


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def _decision_from(item: Any) -> Decision:
    try:
        metrics = DecisionMetrics(**item["metrics"])
        return Decision(
            decision_id=int(item["decision_id"]),
            decided_at=dt.datetime.fromisoformat(item["decided_at"]),
            kind=item["kind"],
            version=str(item["version"]),
            horizon=int(item["horizon"]),
            champion_before=item["champion_before"],
            champion_after=str(item["champion_after"]),
            promoted=bool(item["promoted"]),
            meets_icir_floor=bool(item["meets_icir_floor"]),
            reason=str(item["reason"]),
            metrics=metrics,
        )
    except (KeyError, TypeError, ValueError) as error:
        raise ArtifactCorruptError(
            f"{GOVERNANCE_FILE} holds a malformed decision: {error}"
        ) from error
