"""A/B tests over one home: versions checked against the registry, and each arm scored
on the stored signal sets of its version with labels from the current data.

Blocking (panel load, SQLite): call from worker threads.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from quant_engine.autopilot.ab import (
    AB_DATABASE,
    AbRegistry,
    AbStatistics,
    AbTest,
    Arm,
    ArmResult,
    evaluate,
)
from quant_engine.core.errors import (
    ArtifactCorruptError,
    ErrorDetail,
    NotFoundError,
    ValidationFailedError,
)
from quant_engine.features import forward_returns
from quant_engine.models.monitoring import realized_returns, signal_scores
from quant_engine.models.research import Research

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AbEvaluation:
    test: AbTest
    assignments: dict[str, int]
    arms: tuple[ArmResult, ...]
    statistics: AbStatistics | None


class AbLab:
    """Create, list, stop and evaluate A/B tests (``state/ab_tests.db``)."""

    def __init__(self, research: Research, state_dir: Path) -> None:
        self.research = research
        self.registry = AbRegistry(state_dir / AB_DATABASE)

    def create(
        self,
        name: str,
        arms: Sequence[Arm],
        *,
        salt: str | None,
        horizon: int | None,
        top_n: int,
    ) -> AbTest:
        """A running test; every arm's version must exist and have the horizon (default:
        the first arm's first horizon). Problems are ``ValidationFailedError`` naming the
        arm."""
        problems: list[ErrorDetail] = []
        horizons: list[tuple[int, ...]] = []
        for index, arm in enumerate(arms):
            try:
                loaded = self.research.registry.metadata(arm.version)
            except NotFoundError:
                problems.append(
                    ErrorDetail(("body", "arms", index, "version"), f"{arm.version} not found")
                )
                horizons.append(())
                continue
            horizons.append(tuple(record.horizon for record in loaded.horizons))
        if problems:
            raise ValidationFailedError("an arm names an unknown model version", problems)
        chosen = horizon if horizon is not None else horizons[0][0]
        missing = [
            ErrorDetail(("body", "arms", index, "version"), f"has no horizon {chosen}")
            for index, available in enumerate(horizons)
            if chosen not in available
        ]
        if missing:
            raise ValidationFailedError(
                f"every arm's version needs horizon {chosen}",
                missing,
            )
        return self.registry.create(name, arms, salt=salt, horizon=chosen, top_n=top_n)

    def list(self) -> tuple[AbTest, ...]:
        return self.registry.list()

    def stop(self, test_id: str) -> AbTest:
        return self.registry.stop(test_id)

    def evaluation(self, test_id: str) -> AbEvaluation:
        """Assignment of the stored universe and every arm scored on its signal sets."""
        test = self.registry.get(test_id)
        panel = self.research.panel()
        labels = forward_returns(panel, test.horizon)
        column = {ticker: index for index, ticker in enumerate(panel.tickers)}
        listing = {(v, h): dates for v, h, dates in self.research.signals.listing()}
        sets: dict[str, list[tuple[dt.date, list[str], np.ndarray, np.ndarray]]] = {}
        for arm in test.arms:
            found = sets.setdefault(arm.version, [])
            for as_of in listing.get((arm.version, test.horizon), ()):
                row = int(np.searchsorted(panel.dates, np.datetime64(as_of, "D")))
                if row >= len(panel.dates) or panel.dates[row] != np.datetime64(as_of, "D"):
                    continue
                try:
                    document = self.research.signals.load(arm.version, test.horizon, as_of)
                    tickers, scores = signal_scores(document)
                except (ArtifactCorruptError, NotFoundError, KeyError, TypeError, ValueError) as e:
                    logger.warning("signal set %s %s unreadable: %s", arm.version, as_of, e)
                    continue
                realized = realized_returns(labels[row], column, tickers)
                found.append((as_of, tickers, scores, realized))
        assignments, arms, statistics = evaluate(test, panel.tickers, sets)
        return AbEvaluation(test, assignments, arms, statistics)
