"""LightGBM training with purged walk-forward CV, and the one prediction function.

The trainer takes plain arrays (:class:`TrainingData`), so it knows nothing about how the
features were built. A *row* is a (date, ticker) pair inside the universe mask whose label
for the horizon is finite; features may be NaN (LightGBM routes missing values itself).

For each horizon: every fold of :func:`~quant_engine.models.splits.purged_walk_forward`
fits a :class:`Scaler` and a LightGBM regressor on its training rows only (labels winsorized
per date) and predicts its test rows out of fold; then a final model is fitted on every row
of the window. :func:`predict` is the single path from stored model text to predictions —
the CV, signals and backtests all call it, so there is one place where leakage could hide.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import lightgbm as lgb
import numpy as np
import numpy.typing as npt

from quant_engine.core.errors import ArtifactCorruptError, ErrorDetail, ValidationFailedError
from quant_engine.data.cancel import CancelToken, ProgressCallback, is_cancelled
from quant_engine.models.config import MODEL_THREADS, TrainConfig
from quant_engine.models.metrics import FoldMetrics, summarize
from quant_engine.models.splits import Fold, purged_walk_forward

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

FEATURE_CLIP = 5.0
"""Standardized features are clipped to ± this many training standard deviations."""

LABEL_LOWER_PERCENTILE = 1.0
LABEL_UPPER_PERCENTILE = 99.0
"""Labels are winsorized per date at these percentiles (0..100) before fitting."""

_LIGHTGBM_UNSAFE_NAME = re.compile(r'[\s",:\[\]{}]')
"""LightGBM refuses JSON-special characters in feature names and rewrites whitespace."""


class TrainingCancelled(Exception):  # noqa: N818 - mirrors data.cancel.ImportCancelled
    """Raised when the cancel token was set; nothing was written."""


def _invalid(message: str, field_name: str) -> ValidationFailedError:
    return ValidationFailedError(message, [ErrorDetail(loc=(field_name,), msg=message)])


@dataclass(frozen=True, eq=False)
class TrainingData:
    """The training window as panels, already cut to the requested years and end date.

    ``dates`` are the window's trading days, strictly increasing; ``features`` is
    (dates, tickers, features) with NaN allowed; ``labels`` maps a horizon in trading days
    to a (dates, tickers) panel of forward returns (fractions, NaN where unknown);
    ``mask`` is (dates, tickers) point-in-time universe membership.
    """

    dates: npt.NDArray[np.datetime64]
    tickers: tuple[str, ...]
    feature_names: tuple[str, ...]
    features: FloatArray
    labels: Mapping[int, FloatArray]
    mask: npt.NDArray[np.bool_]

    def __post_init__(self) -> None:
        n_dates, n_tickers = len(self.dates), len(self.tickers)
        panel = (n_dates, n_tickers)
        if self.dates.ndim != 1 or not np.issubdtype(self.dates.dtype, np.datetime64):
            raise _invalid("dates must be a 1-D datetime64 array", "dates")
        if n_dates > 1 and not bool(np.all(np.diff(self.dates) > np.timedelta64(0))):
            raise _invalid("dates must be strictly increasing", "dates")
        if len(set(self.tickers)) != n_tickers:
            raise _invalid("tickers must be unique", "tickers")
        expected = (*panel, len(self.feature_names))
        if self.features.shape != expected or not np.issubdtype(self.features.dtype, np.floating):
            raise _invalid(
                f"features must be a float array of shape {expected}, got {self.features.shape}",
                "features",
            )
        for horizon, label in self.labels.items():
            if label.shape != panel:
                raise _invalid(f"labels[{horizon}] must have shape {panel}", "labels")
        if self.mask.shape != panel or self.mask.dtype != np.bool_:
            raise _invalid(f"mask must be a boolean array of shape {panel}", "mask")
        _check_feature_names(self.feature_names)


def _check_feature_names(names: Sequence[str]) -> None:
    if not names:
        raise _invalid("at least one feature is needed", "feature_names")
    if len(set(names)) != len(names):
        raise _invalid("feature names must be unique", "feature_names")
    for name in names:
        if not name or _LIGHTGBM_UNSAFE_NAME.search(name):
            raise _invalid(
                f'feature name {name!r} must be non-empty, without whitespace or any of ",:[]{{}}',
                "feature_names",
            )


@dataclass(frozen=True)
class Scaler:
    """Feature standardization fitted on training rows, stored with the model.

    ``mean`` / ``std`` are per feature over the finite training values (population std;
    a constant or all-missing feature gets std 1 and, if all-missing, mean 0).
    Standardized values are clipped to ± ``clip`` standard deviations. The label
    percentiles (0..100) record how training labels were winsorized per date.
    """

    feature_names: tuple[str, ...]
    mean: tuple[float, ...]
    std: tuple[float, ...]
    clip: float = FEATURE_CLIP
    label_lower_pct: float = LABEL_LOWER_PERCENTILE
    label_upper_pct: float = LABEL_UPPER_PERCENTILE

    @classmethod
    def fit(cls, feature_names: Sequence[str], features: FloatArray) -> Scaler:
        """Fit on ``features`` (rows, F)."""
        finite = np.isfinite(features)
        counts = np.maximum(finite.sum(axis=0), 1)
        with np.errstate(over="ignore", invalid="ignore"):
            mean = np.where(finite, features, 0.0).sum(axis=0) / counts
            deviation = np.where(finite, features - mean, 0.0)
            std = np.sqrt((deviation * deviation).sum(axis=0) / counts)
        std = np.where(np.isfinite(std) & (std > 0.0), std, 1.0)
        mean = np.where(np.isfinite(mean), mean, 0.0)
        return cls(
            feature_names=tuple(feature_names),
            mean=tuple(float(value) for value in mean),
            std=tuple(float(value) for value in std),
        )

    def transform(self, features: FloatArray) -> FloatArray:
        """Standardize and clip ``features`` of shape (..., F); non-finite values become NaN."""
        values = np.asarray(features, dtype=np.float64)
        if values.ndim == 0 or values.shape[-1] != len(self.feature_names):
            raise _invalid(
                f"features must end in an axis of {len(self.feature_names)} features, "
                f"got shape {values.shape}",
                "features",
            )
        with np.errstate(over="ignore", invalid="ignore"):
            scaled = (values - np.asarray(self.mean)) / np.asarray(self.std)
        scaled = np.where(np.isfinite(values), scaled, np.nan)
        return np.clip(scaled, -self.clip, self.clip)

    def as_dict(self) -> dict[str, object]:
        """JSON-ready mapping (floats round-trip exactly through JSON)."""
        return {
            "feature_names": list(self.feature_names),
            "mean": list(self.mean),
            "std": list(self.std),
            "clip": self.clip,
            "label_lower_pct": self.label_lower_pct,
            "label_upper_pct": self.label_upper_pct,
        }

    @classmethod
    def from_dict(cls, document: Mapping[str, object]) -> Scaler:
        """Inverse of :meth:`as_dict`; raises ``ValueError`` on a malformed mapping."""
        names = _string_list(document["feature_names"], "feature_names")
        mean = _float_list(document["mean"], "mean")
        std = _float_list(document["std"], "std")
        if not len(names) == len(mean) == len(std) or any(value <= 0 for value in std):
            raise ValueError("scaler feature_names, mean and std must align, std > 0")
        return cls(
            feature_names=tuple(names),
            mean=tuple(mean),
            std=tuple(std),
            clip=_finite_float(document["clip"], "clip"),
            label_lower_pct=_finite_float(document["label_lower_pct"], "label_lower_pct"),
            label_upper_pct=_finite_float(document["label_upper_pct"], "label_upper_pct"),
        )


def _finite_float(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return float(value)


def _float_list(value: object, name: str) -> list[float]:
    if not isinstance(value, list):
        raise ValueError(f"{name} must be a list")
    return [_finite_float(item, name) for item in value]


def _string_list(value: object, name: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"{name} must be a list of strings")
    return list(value)


@dataclass(frozen=True)
class DateRange:
    """The trading days a fold actually used: first/last date of its rows and counts."""

    first: dt.date | None
    last: dt.date | None
    n_dates: int
    n_rows: int

    def as_dict(self) -> dict[str, object]:
        """JSON-ready mapping (ISO dates, ``None`` for an empty range)."""
        return {
            "first": None if self.first is None else self.first.isoformat(),
            "last": None if self.last is None else self.last.isoformat(),
            "n_dates": self.n_dates,
            "n_rows": self.n_rows,
        }

    @classmethod
    def from_dict(cls, document: Mapping[str, object]) -> DateRange:
        """Inverse of :meth:`as_dict`; raises ``ValueError`` on a malformed mapping."""
        first, last = document["first"], document["last"]
        n_dates, n_rows = document["n_dates"], document["n_rows"]
        if not (isinstance(n_dates, int) and isinstance(n_rows, int)):
            raise ValueError("n_dates and n_rows must be integers")
        return cls(
            first=None if first is None else dt.date.fromisoformat(str(first)),
            last=None if last is None else dt.date.fromisoformat(str(last)),
            n_dates=n_dates,
            n_rows=n_rows,
        )


@dataclass(frozen=True)
class FoldResult:
    """One CV fold: the rows it trained and tested on, and its out-of-fold metrics."""

    index: int
    train: DateRange
    test: DateRange
    metrics: FoldMetrics

    def as_dict(self) -> dict[str, object]:
        """JSON-ready mapping."""
        return {
            "index": self.index,
            "train": self.train.as_dict(),
            "test": self.test.as_dict(),
            "metrics": self.metrics.as_dict(),
        }

    @classmethod
    def from_dict(cls, document: Mapping[str, object]) -> FoldResult:
        """Inverse of :meth:`as_dict`; raises ``ValueError`` on a malformed mapping."""
        index, train, test, metrics = (
            document["index"],
            document["train"],
            document["test"],
            document["metrics"],
        )
        if not isinstance(index, int):
            raise ValueError("fold index must be an integer")
        if not (isinstance(train, dict) and isinstance(test, dict) and isinstance(metrics, dict)):
            raise ValueError("fold train, test and metrics must be objects")
        return cls(
            index=index,
            train=DateRange.from_dict(train),
            test=DateRange.from_dict(test),
            metrics=FoldMetrics.from_dict(metrics),
        )


@dataclass(frozen=True, eq=False)
class OutOfFold:
    """Out-of-fold predictions in long format, one entry per test row, in date order.

    ``label`` is the raw (not winsorized) forward return the prediction is scored against.
    """

    dates: npt.NDArray[np.datetime64]
    tickers: npt.NDArray[np.str_]
    prediction: FloatArray
    label: FloatArray


@dataclass(frozen=True, eq=False)
class HorizonResult:
    """Everything trained for one horizon (trading days)."""

    horizon: int
    model_text: str
    """``Booster.model_to_string()`` of the final model fitted on the whole window."""
    scaler: Scaler
    folds: tuple[FoldResult, ...]
    overall: FoldMetrics
    """Metrics over all out-of-fold predictions together."""
    oof: OutOfFold
    feature_importance_gain: tuple[float, ...]
    feature_importance_split: tuple[int, ...]
    """Of the final model, in ``feature_names`` order."""


@dataclass(frozen=True, eq=False)
class TrainResult:
    """One result per requested horizon, in request order, plus warnings for the user."""

    horizons: tuple[HorizonResult, ...]
    warnings: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class _Rows:
    """The labelled rows of one horizon, in (date, ticker) row-major order."""

    date_index: IntArray
    ticker_index: IntArray
    features: FloatArray
    label: FloatArray

    def take(self, selector: npt.NDArray[np.bool_]) -> _Rows:
        return _Rows(
            self.date_index[selector],
            self.ticker_index[selector],
            self.features[selector],
            self.label[selector],
        )


@dataclass
class _Progress:
    callback: ProgressCallback | None
    total_fits: int
    done: int = 0

    def start(self, message: str) -> None:
        if self.callback is not None:
            self.callback(self.done / self.total_fits, message)

    def finish_fit(self) -> None:
        self.done += 1


@dataclass
class _Context:
    data: TrainingData
    config: TrainConfig
    cancel: CancelToken | None
    progress: _Progress
    warnings: list[str] = field(default_factory=list)

    def check_cancel(self) -> None:
        if is_cancelled(self.cancel):
            raise TrainingCancelled("training was cancelled")


def lightgbm_params(config: TrainConfig) -> dict[str, object]:
    """The full LightGBM parameter set for ``config``: fixed determinism settings plus the
    request's hyper-parameters. The sub-seeds are derived from ``config.seed``."""
    sub_seeds = np.random.SeedSequence(config.seed).generate_state(3) % (2**31 - 1)
    hyper = config.lightgbm
    return {
        "objective": "regression",
        "deterministic": True,
        "force_col_wise": True,
        "num_threads": MODEL_THREADS,
        "seed": config.seed,
        "bagging_seed": int(sub_seeds[0]),
        "feature_fraction_seed": int(sub_seeds[1]),
        "data_random_seed": int(sub_seeds[2]),
        "verbosity": -1,
        "num_leaves": hyper.num_leaves,
        "learning_rate": hyper.learning_rate,
        "min_data_in_leaf": hyper.min_data_in_leaf,
        "feature_fraction": hyper.feature_fraction,
    }


def predict(model_text: str, scaler: Scaler, features: FloatArray) -> FloatArray:
    """Predict forward returns for ``features`` (rows, F) in ``scaler.feature_names`` order.

    The one prediction path: standardize with ``scaler``, then run the model. Returns
    (rows,) predictions in the label's units. Raises ``ArtifactCorruptError`` when the
    model text cannot be parsed or expects a different number of features.
    """
    values = np.asarray(features, dtype=np.float64)
    n_features = len(scaler.feature_names)
    if values.ndim != 2 or values.shape[1] != n_features:
        raise _invalid(
            f"features must be (rows, {n_features}), got shape {values.shape}", "features"
        )
    try:
        booster = lgb.Booster(model_str=model_text)
    except lgb.basic.LightGBMError as error:
        raise ArtifactCorruptError(f"model text cannot be parsed: {error}") from error
    if booster.num_feature() != n_features:
        raise ArtifactCorruptError(
            f"model expects {booster.num_feature()} features, its scaler has {n_features}"
        )
    if values.shape[0] == 0:
        return np.empty(0, dtype=np.float64)
    raw = booster.predict(scaler.transform(values), num_threads=MODEL_THREADS)
    return np.asarray(raw, dtype=np.float64)


def winsorize_per_date(
    date_index: IntArray, ticker_index: IntArray, label: FloatArray, *, lower: float, upper: float
) -> FloatArray:
    """Clip each row's label to its date's [``lower``, ``upper``] percentiles (0..100),
    computed over the rows of that date only (numpy's default linear interpolation)."""
    if label.size == 0:
        return label.copy()
    present, row_slot = np.unique(date_index, return_inverse=True)
    panel = np.full((present.size, int(ticker_index.max()) + 1), np.nan)
    panel[row_slot, ticker_index] = label
    low = _row_percentile(panel, lower)
    high = _row_percentile(panel, upper)
    return np.clip(label, low[row_slot], high[row_slot])


def _row_percentile(panel: FloatArray, percentile: float) -> FloatArray:
    """Per row, the ``percentile`` of the finite values (each row has at least one).

    Equals ``np.nanpercentile(panel, percentile, axis=1)`` bit for bit — same virtual index
    and interpolation formulas — without its per-row Python loop over a panel with NaN.
    """
    ordered = np.sort(panel, axis=1)  # NaN sorts last
    counts = np.isfinite(panel).sum(axis=1)
    quantile = np.true_divide(percentile, 100)
    virtual = (counts - 1) * quantile
    floor = np.floor(virtual)
    previous = np.clip(floor.astype(np.int64), 0, counts - 1)
    following = np.minimum(previous + 1, counts - 1)
    rows = np.arange(panel.shape[0])
    below, above = ordered[rows, previous], ordered[rows, following]
    weight = virtual - floor
    difference = above - below
    interpolated = np.where(
        weight >= 0.5, above - difference * (1 - weight), below + difference * weight
    )
    at_top = virtual >= counts - 1
    return np.asarray(np.where(at_top, ordered[rows, counts - 1], interpolated), dtype=np.float64)


def _collect_rows(data: TrainingData, horizon: int) -> _Rows:
    labels = np.asarray(data.labels[horizon], dtype=np.float64)
    date_index, ticker_index = np.nonzero(data.mask & np.isfinite(labels))
    return _Rows(
        date_index=date_index.astype(np.int64),
        ticker_index=ticker_index.astype(np.int64),
        features=np.ascontiguousarray(data.features[date_index, ticker_index], dtype=np.float64),
        label=labels[date_index, ticker_index],
    )


def _cancel_callback(context: _Context) -> Callable[[object], None]:
    def check_each_iteration(_env: object) -> None:
        context.check_cancel()

    return check_each_iteration


def _fit(context: _Context, rows: _Rows) -> tuple[str, Scaler, lgb.Booster]:
    """Fit a scaler and a booster on ``rows``; returns the model text too."""
    context.check_cancel()
    names = context.data.feature_names
    scaler = Scaler.fit(names, rows.features)
    label = winsorize_per_date(
        rows.date_index,
        rows.ticker_index,
        rows.label,
        lower=scaler.label_lower_pct,
        upper=scaler.label_upper_pct,
    )
    params = lightgbm_params(context.config)
    dataset = lgb.Dataset(
        scaler.transform(rows.features), label=label, feature_name=list(names), params=params
    )
    booster = lgb.train(
        params,
        dataset,
        num_boost_round=context.config.lightgbm.n_estimators,
        callbacks=[_cancel_callback(context)],
    )
    context.progress.finish_fit()
    return booster.model_to_string(), scaler, booster


def _date_range(data: TrainingData, rows: _Rows) -> DateRange:
    if rows.date_index.size == 0:
        return DateRange(first=None, last=None, n_dates=0, n_rows=0)
    used = np.unique(rows.date_index)
    days = data.dates[used].astype("datetime64[D]")
    return DateRange(
        first=days[0].astype(dt.date),
        last=days[-1].astype(dt.date),
        n_dates=int(used.size),
        n_rows=int(rows.date_index.size),
    )


def _panel(data: TrainingData, rows: _Rows, values: FloatArray) -> FloatArray:
    panel = np.full(data.mask.shape, np.nan)
    panel[rows.date_index, rows.ticker_index] = values
    return panel


def _run_fold(
    context: _Context, rows: _Rows, fold: Fold, horizon: int
) -> tuple[FoldResult, _Rows, FloatArray]:
    """Fit one fold on its training rows; returns its report, test rows and predictions."""
    folds = context.config.folds
    context.progress.start(f"h={horizon} fold {fold.index}/{folds}")
    train_rows = rows.take(np.isin(rows.date_index, fold.train_dates))
    test_rows = rows.take(np.isin(rows.date_index, fold.test_dates))
    if train_rows.label.size == 0:
        raise _invalid(
            f"h={horizon} fold {fold.index}/{folds} has no training rows with a known label; "
            "use fewer folds or a longer window",
            "folds",
        )
    model_text, scaler, _ = _fit(context, train_rows)
    prediction = predict(model_text, scaler, test_rows.features)
    if test_rows.label.size == 0:
        context.warnings.append(
            f"h={horizon} fold {fold.index}/{folds}: no test rows with a known label"
        )
    test_dates = fold.test_dates
    metrics = summarize(
        _panel(context.data, test_rows, prediction)[test_dates],
        _panel(context.data, test_rows, test_rows.label)[test_dates],
    )
    report = FoldResult(
        index=fold.index,
        train=_date_range(context.data, train_rows),
        test=_date_range(context.data, test_rows),
        metrics=metrics,
    )
    return report, test_rows, prediction


def _train_horizon(context: _Context, horizon: int, folds: tuple[Fold, ...]) -> HorizonResult:
    data = context.data
    rows = _collect_rows(data, horizon)
    if rows.label.size == 0:
        raise _invalid(f"h={horizon}: no rows in the universe have a known label", "horizons")
    reports: list[FoldResult] = []
    oof_rows: list[_Rows] = []
    oof_predictions: list[FloatArray] = []
    for fold in folds:
        report, test_rows, prediction = _run_fold(context, rows, fold, horizon)
        reports.append(report)
        oof_rows.append(test_rows)
        oof_predictions.append(prediction)
    oof = _concatenate(oof_rows)
    oof_prediction = np.concatenate(oof_predictions)
    overall = summarize(_panel(data, oof, oof_prediction), _panel(data, oof, oof.label))

    context.progress.start(f"h={horizon} final model")
    model_text, scaler, booster = _fit(context, rows)
    gain = booster.feature_importance(importance_type="gain")
    split = booster.feature_importance(importance_type="split")
    return HorizonResult(
        horizon=horizon,
        model_text=model_text,
        scaler=scaler,
        folds=tuple(reports),
        overall=overall,
        oof=OutOfFold(
            dates=data.dates[oof.date_index].astype("datetime64[D]"),
            tickers=np.asarray(data.tickers, dtype=np.str_)[oof.ticker_index],
            prediction=oof_prediction,
            label=oof.label,
        ),
        feature_importance_gain=tuple(float(value) for value in gain),
        feature_importance_split=tuple(int(value) for value in split),
    )


def _concatenate(parts: Sequence[_Rows]) -> _Rows:
    return _Rows(
        date_index=np.concatenate([part.date_index for part in parts]),
        ticker_index=np.concatenate([part.ticker_index for part in parts]),
        features=np.concatenate([part.features for part in parts]),
        label=np.concatenate([part.label for part in parts]),
    )


def train(
    data: TrainingData,
    config: TrainConfig,
    *,
    cancel: CancelToken | None = None,
    progress: ProgressCallback | None = None,
) -> TrainResult:
    """Train one model per horizon in ``config.horizons`` on ``data``.

    Splits are validated for every horizon before the first fit (``ValidationFailedError``
    naming ``folds`` when the window is too short). ``progress(fraction, message)`` is
    called before each of the horizons × (folds + 1) fits and with 1.0 at the end. The
    cancel token is checked before each fit and after every boosting round; when set,
    ``TrainingCancelled`` is raised.
    """
    missing = [horizon for horizon in config.horizons if horizon not in data.labels]
    if missing:
        raise _invalid(f"no labels for horizons {missing}", "horizons")
    splits = {
        horizon: purged_walk_forward(
            len(data.dates),
            folds=config.folds,
            horizon=horizon,
            embargo_days=config.embargo_days,
        )
        for horizon in config.horizons
    }
    context = _Context(
        data=data,
        config=config,
        cancel=cancel,
        progress=_Progress(progress, len(config.horizons) * (config.folds + 1)),
    )
    _warn_empty_features(context)
    results = tuple(
        _train_horizon(context, horizon, splits[horizon]) for horizon in config.horizons
    )
    if progress is not None:
        progress(1.0, "training done")
    return TrainResult(horizons=results, warnings=tuple(context.warnings))


def _warn_empty_features(context: _Context) -> None:
    data = context.data
    in_universe = data.features[data.mask]
    has_value = np.asarray(np.isfinite(in_universe).any(axis=0), dtype=np.bool_).tolist()
    for name, present in zip(data.feature_names, has_value, strict=True):
        if not present:
            context.warnings.append(f"feature {name} has no finite value in the training window")
