"""Out-of-sample scores of a registry version for a backtest.

The result is a dates × tickers panel of predicted forward returns, NaN wherever no
out-of-sample prediction exists: a registry version scores only dates after its training
end plus the horizon (its last training label ends at its training end; the purge keeps a
score's own label window out of anything the model could have learnt from). Walk-forward
scores are :mod:`quant_engine.backtest.walkforward`'s.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from quant_engine.core.errors import ErrorDetail, ValidationFailedError
from quant_engine.features import FeatureSet, Panel, as_date
from quant_engine.models.registry import ModelVersion

FloatArray = npt.NDArray[np.float64]
WALK_FORWARD_FOLDS = 2
"""CV folds inside each walk-forward retraining (the fewest the trainer accepts; only the
final model of each block is used)."""


@dataclass(frozen=True, eq=False)
class Scores:
    """Out-of-sample predictions (dates × tickers, NaN = none) and where they came from."""

    values: FloatArray
    first_scored: int | None
    """Row of the first date with a score (None when there is none)."""
    versions: tuple[str, ...]
    warnings: tuple[str, ...]


def version_scores_window(version: ModelVersion, horizon: int, panel: Panel) -> int:
    """The first row of ``panel`` out of the version's sample: its training end plus
    ``horizon`` trading days. Raises ``ValidationFailedError`` naming that date when the
    data (cut at the request's end) has no such day."""
    training_end = np.datetime64(version.training_window[1], "D")
    end_row = int(np.searchsorted(panel.dates, training_end, side="right")) - 1
    first_usable = end_row + 1 + horizon
    if first_usable >= len(panel.dates):
        raise ValidationFailedError(
            f"{version.version} was trained up to {version.training_window[1]}: the first "
            f"usable date is {horizon + 1} trading days later, after the last date of the "
            f"window {as_date(panel.dates[-1])}",
            [ErrorDetail(loc=("body", "version"), msg="no out-of-sample day in the window")],
        )
    return first_usable


def version_scores(
    version: ModelVersion, horizon: int, panel: Panel, features: FeatureSet, start_row: int
) -> Scores:
    """Scores of a registry version on rows ≥ ``start_row`` that are out of its sample.

    Raises ``ValidationFailedError`` (naming the first usable date) when the window has no
    out-of-sample day.
    """
    first_usable = version_scores_window(version, horizon, panel)
    warnings: list[str] = []
    first = max(start_row, first_usable)
    if first > start_row:
        warnings.append(
            f"window clipped to the out-of-sample part of {version.version}: it starts at "
            f"{as_date(panel.dates[first])} (training end {version.training_window[1]} + "
            f"{horizon} trading days)"
        )
    values = np.full((len(panel.dates), len(panel.tickers)), np.nan)
    block = features.values[first:]
    flat = block.reshape(-1, block.shape[-1])
    values[first:] = version.predict(horizon, flat, features.names).reshape(block.shape[:2])
    return Scores(values, first, (version.version,), tuple(warnings))
