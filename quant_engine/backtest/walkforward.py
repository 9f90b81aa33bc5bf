"""Walk-forward scores: retrain on the past, predict the next block out of sample.

The panel's trading days are cut into blocks of ``retrain_every`` days, the first starting
at row ``min_train_days`` (enough history to train on). For the block starting at row s:

- the model is trained through :func:`~quant_engine.models.pipeline.prepare_training` and
  :func:`~quant_engine.models.trainer.train` (the same path as ``trainModel``, purged and
  embargoed CV included) with ``end`` = the trading day ``embargo_days + 1`` rows before s.
  ``prepare_training`` cuts prices at ``end``, so no label window (entry at t+1, exit
  ``horizon`` days later) reaches past ``end``: between the last price any training label
  uses and s lie ``embargo_days`` trading days that neither side uses;
- the block's scores are :func:`~quant_engine.models.trainer.predict` on the block's
  features (point in time: a feature at t uses rows <= t), for tickers in the universe on
  each date; NaN elsewhere and on every day before the first block.

Progress is reported per block; the cancel token is checked between blocks and inside
training (``TrainingCancelled`` is raised).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

import numpy as np

from quant_engine.core.errors import ErrorDetail, ValidationFailedError
from quant_engine.data.cancel import CancelToken, ProgressCallback, is_cancelled
from quant_engine.data.models import FloatArray
from quant_engine.features import FeatureSet, Panel, as_date, universe_mask
from quant_engine.models.config import TrainConfig
from quant_engine.models.pipeline import prepare_training
from quant_engine.models.trainer import TrainingCancelled, predict, train

RETRAIN_EVERY_BOUNDS = (21, 252)
"""Trading days between retrainings (inclusive bounds)."""
MIN_TRAIN_DAYS_BOUNDS = (126, 2520)
"""Trading days of history before the first block (inclusive bounds)."""


@dataclass(frozen=True)
class WalkForwardBlock:
    """One out-of-sample block: rows ``start .. stop - 1`` of the panel's dates."""

    index: int
    start: int
    stop: int
    train_window: tuple[dt.date, dt.date]


@dataclass(frozen=True, eq=False)
class WalkForwardResult:
    """dates × tickers predicted ``horizon``-day returns (NaN = no out-of-sample score)."""

    scores: FloatArray
    horizon: int
    blocks: tuple[WalkForwardBlock, ...]
    warnings: tuple[str, ...]


def _invalid(message: str, field_name: str) -> ValidationFailedError:
    return ValidationFailedError(message, [ErrorDetail(loc=(field_name,), msg=message)])


def block_starts(n_dates: int, *, retrain_every: int, min_train_days: int) -> list[int]:
    """Start rows of the walk-forward blocks (trading days), each block ``retrain_every``
    long except perhaps the last."""
    low, high = RETRAIN_EVERY_BOUNDS
    if not low <= retrain_every <= high:
        raise _invalid(f"retrain_every must be in {low}..{high}", "retrain_every")
    low, high = MIN_TRAIN_DAYS_BOUNDS
    if not low <= min_train_days <= high:
        raise _invalid(f"min_train_days must be in {low}..{high}", "min_train_days")
    if n_dates <= min_train_days:
        raise _invalid(
            f"{n_dates} trading days leave nothing out of sample after "
            f"min_train_days={min_train_days}",
            "min_train_days",
        )
    return list(range(min_train_days, n_dates, retrain_every))


def walk_forward_scores(
    panel: Panel,
    features: FeatureSet,
    config: TrainConfig,
    *,
    horizon: int,
    retrain_every: int = 63,
    min_train_days: int = 504,
    first_row: int = 0,
    cancel: CancelToken | None = None,
    progress: ProgressCallback | None = None,
) -> WalkForwardResult:
    """Out-of-sample scores over ``panel`` for ``horizon`` (trading days).

    ``features`` are over the full panel; ``config`` is the training configuration of
    every block (its ``end`` is replaced per block, ``horizons`` by ``(horizon,)``).
    Raises ``ValidationFailedError`` for out-of-range block settings or a panel too short,
    and ``TrainingCancelled`` when ``cancel`` is set. Blocks start at ``first_row`` (the
    window's start) or once ``min_train_days`` of history exist, whichever is later.
    """
    starts = block_starts(
        len(panel.dates), retrain_every=retrain_every, min_train_days=min_train_days
    )
    if first_row > starts[0]:
        starts = list(range(first_row, len(panel.dates), retrain_every))
    if not starts:
        raise _invalid("the window leaves no day to score", "years")
    mask = universe_mask(
        panel, survivorship=config.survivorship, full_universe=config.full_universe
    )
    scores = np.full(panel.close.shape, np.nan)
    blocks: list[WalkForwardBlock] = []
    warnings: list[str] = []
    for number, start in enumerate(starts, start=1):
        if is_cancelled(cancel):
            raise TrainingCancelled("walk-forward backtest cancelled between blocks")
        stop = min(start + retrain_every, len(panel.dates))
        if progress is not None:
            progress((number - 1) / len(starts), f"block {number} of {len(starts)}: training")
        end = as_date(panel.dates[start - 1 - config.embargo_days])
        block_config = dataclasses.replace(config, horizons=(horizon,), end=end)
        prepared = prepare_training(panel, features, block_config)
        trained = train(prepared.data, block_config, cancel=cancel).horizons[0]
        values = features.values[start:stop]
        rows = values.reshape(-1, values.shape[-1])
        predicted = predict(trained.model_text, trained.scaler, rows).reshape(values.shape[:2])
        scores[start:stop] = np.where(mask[start:stop], predicted, np.nan)
        blocks.append(WalkForwardBlock(number, start, stop, prepared.window))
        # a block's training window reaching back before the data is the expanding window
        # working as meant, not news; anything else the preparation says is kept
        warnings.extend(
            f"block {number}: {warning}"
            for warning in prepared.warnings
            if not warning.startswith("years=")
        )
    if progress is not None:
        progress(1.0, "walk-forward done")
    first = as_date(panel.dates[starts[0]])
    warnings.insert(0, f"days before {first} have no out-of-sample score (min_train_days)")
    return WalkForwardResult(
        scores=scores, horizon=horizon, blocks=tuple(blocks), warnings=tuple(warnings)
    )
