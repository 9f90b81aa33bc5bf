"""From the store to a trained, registered version: window, universe, labels, training.

This is the one place where features and labels meet the trainer, so it is where
look-ahead could hide. The rules (DESIGN.md section 6):

- Features are computed over the whole stored panel (cached per universe fingerprint and
  feature mode) and then cut at ``end``; features are point in time, so this equals
  computing them on data that stops at ``end``.
- Labels are computed on the panel cut at ``end``: a label whose window
  (``open[t+1] … open[t+1+h]``) runs past ``end`` does not exist. Training with
  ``end = T`` on the full data and on a copy of the data cut at ``T`` therefore gives the
  same model, byte for byte.
- The universe mask is computed on the cut panel too (the survivorship-biased variant
  looks at the window's last date, which is ``end``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from quant_engine.core.errors import ErrorDetail, ValidationFailedError
from quant_engine.data.cancel import CancelToken, ProgressCallback
from quant_engine.features import (
    FeatureSet,
    Panel,
    as_date,
    feature_specs,
    forward_returns,
    universe_mask,
)
from quant_engine.models.config import TrainConfig
from quant_engine.models.registry import ModelRegistry, ModelVersion
from quant_engine.models.trainer import TrainingData, TrainResult, train

DAYS_PER_YEAR = 365.25
SURVIVORSHIP_WARNING = (
    "survivorship-biased universe: only tickers that still trade on the window's last date "
    "(survivorship=false); results overstate what was investable"
)

FeatureSource = Callable[[str], FeatureSet]
"""Gives the features of a feature mode on the full stored panel (e.g. from the cache)."""


@dataclass(frozen=True, eq=False)
class PreparedTraining:
    """The trainer's input and what the registry records about it."""

    data: TrainingData
    window: tuple[dt.date, dt.date]
    warnings: tuple[str, ...]


def resolve_end(panel: Panel, end: dt.date | None) -> dt.date:
    """The last trading day ``<= end`` (default: the panel's last date).

    Raises ``ValidationFailedError`` naming ``end`` when it is before the first date.
    """
    last = as_date(panel.dates[-1])
    if end is None or end >= last:
        return last
    rows = int(np.searchsorted(panel.dates, np.datetime64(end, "D"), side="right"))
    if rows == 0:
        first = as_date(panel.dates[0])
        raise ValidationFailedError(
            f"end {end} is before the first stored date {first}",
            [ErrorDetail(loc=("body", "end"), msg=f"must be on or after {first}")],
        )
    return as_date(panel.dates[rows - 1])


def prepare_training(panel: Panel, features: FeatureSet, config: TrainConfig) -> PreparedTraining:
    """Cut ``panel``/``features`` (both over the full stored data) at ``config.end`` and
    select the last ``config.years`` calendar years: the trainer's input.

    Raises ``ValidationFailedError`` when the window holds no trading day.
    """
    end = resolve_end(panel, config.end)
    cut_panel, cut_features = panel.cut(end), features.cut(end)
    warnings: list[str] = []
    start_wanted = end - dt.timedelta(days=round(config.years * DAYS_PER_YEAR))
    first = int(np.searchsorted(cut_panel.dates, np.datetime64(start_wanted, "D"), side="right"))
    if first == 0:
        warnings.append(
            f"years={config.years} asks for data from {start_wanted}; the window starts at "
            f"the first stored date {as_date(cut_panel.dates[0])}"
        )
    if not config.survivorship:
        warnings.append(SURVIVORSHIP_WARNING)
    mask = universe_mask(
        cut_panel, survivorship=config.survivorship, full_universe=config.full_universe
    )
    labels = {h: forward_returns(cut_panel, h)[first:] for h in config.horizons}
    data = TrainingData(
        dates=cut_panel.dates[first:],
        tickers=cut_panel.tickers,
        feature_names=cut_features.names,
        features=cut_features.values[first:],
        labels=labels,
        mask=mask[first:],
    )
    window = (as_date(data.dates[0]), as_date(data.dates[-1]))
    return PreparedTraining(data=data, window=window, warnings=tuple(warnings))


def train_version(
    panel: Panel,
    feature_source: FeatureSource,
    config: TrainConfig,
    registry: ModelRegistry,
    request: Mapping[str, object],
    *,
    cancel: CancelToken | None = None,
    progress: ProgressCallback | None = None,
) -> tuple[ModelVersion, TrainResult]:
    """Train ``config`` on ``panel`` and save it as the registry's next version."""
    prepared = prepare_training(panel, feature_source(config.feature_mode), config)
    result = train(prepared.data, config, cancel=cancel, progress=progress)
    warnings = (*prepared.warnings, *result.warnings)
    version = registry.save(
        result,
        request=request,
        feature_mode=config.feature_mode,
        training_window=prepared.window,
        universe_fingerprint=panel.universe_fingerprint,
        benchmark=panel.benchmark_name,
        warnings=warnings,
    )
    return version, result


def omitted_features(mode: str, has_sectors: bool) -> tuple[str, ...]:
    """Features of ``mode`` the universe cannot support (the sector feature without
    sectors)."""
    if mode != "full":
        return ()
    everything = {spec.name for spec in feature_specs("full", has_sectors=True)}
    present = {spec.name for spec in feature_specs("full", has_sectors=has_sectors)}
    return tuple(sorted(everything - present))
