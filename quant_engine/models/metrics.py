"""Cross-sectional prediction quality: daily information coefficients and their summary.

Inputs are dates × tickers panels with NaN where a name is absent. On each trading day the
IC is computed across the names where both the prediction and the label are finite; the
whole panel is handled in one vectorised pass (no per-date Python loop).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.stats import rankdata

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

MIN_NAMES_PER_DATE = 3
"""A daily IC needs at least this many names with a finite prediction and label."""


def _row_correlation(x: FloatArray, y: FloatArray, valid: npt.NDArray[np.bool_]) -> FloatArray:
    """Pearson correlation per row over the entries where ``valid``; NaN for rows with fewer
    than ``MIN_NAMES_PER_DATE`` entries or a constant side."""
    counts = valid.sum(axis=1)
    x0 = np.where(valid, x, 0.0)
    y0 = np.where(valid, y, 0.0)
    safe_counts = np.maximum(counts, 1)
    x_dev = np.where(valid, x0 - (x0.sum(axis=1) / safe_counts)[:, None], 0.0)
    y_dev = np.where(valid, y0 - (y0.sum(axis=1) / safe_counts)[:, None], 0.0)
    # "Constant" is decided on the values, not on the centred sum of squares, which rounding
    # leaves slightly above zero for a constant row.
    constant = _is_constant(x, valid) | _is_constant(y, valid)
    usable = (counts >= MIN_NAMES_PER_DATE) & ~constant
    covariance = (x_dev * y_dev).sum(axis=1)
    scale = np.sqrt((x_dev * x_dev).sum(axis=1) * (y_dev * y_dev).sum(axis=1))
    with np.errstate(divide="ignore", invalid="ignore"):
        correlation = np.where(usable, covariance / np.where(usable, scale, 1.0), np.nan)
    return np.clip(correlation, -1.0, 1.0)


def _is_constant(values: FloatArray, valid: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    high = np.where(valid, values, -np.inf).max(axis=1)
    low = np.where(valid, values, np.inf).min(axis=1)
    return np.asarray(high <= low, dtype=np.bool_)


def _check_panels(predictions: FloatArray, labels: FloatArray) -> None:
    if predictions.ndim != 2 or predictions.shape != labels.shape:
        raise ValueError(
            "predictions and labels must be dates × tickers panels of one shape, got "
            f"{predictions.shape} and {labels.shape}"
        )


def daily_ic(
    predictions: FloatArray, labels: FloatArray
) -> tuple[FloatArray, FloatArray, IntArray]:
    """Per trading day: Pearson IC, Spearman rank IC and the number of names used.

    ``predictions`` and ``labels`` are (dates, tickers) with NaN (or ±inf) where absent; a
    name counts on a date when both are finite. Ties get average ranks. The ICs are NaN on
    dates with fewer than ``MIN_NAMES_PER_DATE`` names or with a constant side.
    """
    predictions = np.asarray(predictions, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.float64)
    _check_panels(predictions, labels)
    valid = np.isfinite(predictions) & np.isfinite(labels)
    names = valid.sum(axis=1).astype(np.int64)
    if predictions.shape[1] == 0:
        empty = np.full(predictions.shape[0], np.nan)
        return empty, empty.copy(), names
    ic = _row_correlation(predictions, labels, valid)
    # Rank only the pairs where both sides are known, so each side is ranked over the same names.
    prediction_ranks = rankdata(
        np.where(valid, predictions, np.nan), axis=1, nan_policy="omit"
    ).astype(np.float64)
    label_ranks = rankdata(np.where(valid, labels, np.nan), axis=1, nan_policy="omit").astype(
        np.float64
    )
    rank_ic = _row_correlation(prediction_ranks, label_ranks, valid)
    return ic, rank_ic, names


@dataclass(frozen=True)
class FoldMetrics:
    """Summary of predictions against labels over a set of trading days.

    ``ic`` / ``rank_ic``: means of the daily Pearson / Spearman ICs over the dates where
    they are finite. ``icir``: mean / std (ddof=1) of the daily rank IC (not annualized; NaN
    with fewer than two dates or zero dispersion). ``hit_rate``: fraction of the
    (date, ticker) pairs with a finite prediction and label where their signs agree;
    pairs where either is exactly zero have no sign and are left out (NaN when none is
    left). ``n_dates``: dates with a finite IC. ``n_obs``: (date, ticker) pairs with a
    finite prediction and label.
    """

    ic: float
    rank_ic: float
    icir: float
    hit_rate: float
    n_dates: int
    n_obs: int

    def as_dict(self) -> dict[str, object]:
        """JSON-ready mapping; NaN becomes ``None`` (JSON has no NaN)."""
        return {
            "ic": _json_float(self.ic),
            "rank_ic": _json_float(self.rank_ic),
            "icir": _json_float(self.icir),
            "hit_rate": _json_float(self.hit_rate),
            "n_dates": self.n_dates,
            "n_obs": self.n_obs,
        }

    @classmethod
    def from_dict(cls, document: Mapping[str, object]) -> FoldMetrics:
        """Inverse of :meth:`as_dict`; raises ``ValueError`` on a malformed mapping."""
        return cls(
            ic=_float_or_nan(document["ic"], "ic"),
            rank_ic=_float_or_nan(document["rank_ic"], "rank_ic"),
            icir=_float_or_nan(document["icir"], "icir"),
            hit_rate=_float_or_nan(document["hit_rate"], "hit_rate"),
            n_dates=_count(document["n_dates"], "n_dates"),
            n_obs=_count(document["n_obs"], "n_obs"),
        )


def _json_float(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _float_or_nan(value: object, name: str) -> float:
    if value is None:
        return math.nan
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a number or null, got {value!r}")
    return float(value)


def _count(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    return value


def _finite_mean(values: FloatArray) -> float:
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if finite.size else math.nan


def summarize(predictions: FloatArray, labels: FloatArray) -> FoldMetrics:
    """Summarize (dates, tickers) predictions against labels; see :class:`FoldMetrics`."""
    predictions = np.asarray(predictions, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.float64)
    ic, rank_ic, _ = daily_ic(predictions, labels)
    finite_rank_ic = rank_ic[np.isfinite(rank_ic)]
    icir = math.nan
    if finite_rank_ic.size >= 2:
        dispersion = float(finite_rank_ic.std(ddof=1))
        if dispersion > 0.0:
            icir = float(finite_rank_ic.mean()) / dispersion
    valid = np.isfinite(predictions) & np.isfinite(labels)
    prediction_sign = np.sign(predictions[valid])
    label_sign = np.sign(labels[valid])
    signed = (prediction_sign != 0.0) & (label_sign != 0.0)
    n_signed = int(signed.sum())
    hit_rate = (
        float((prediction_sign[signed] == label_sign[signed]).sum()) / n_signed
        if n_signed
        else math.nan
    )
    return FoldMetrics(
        ic=_finite_mean(ic),
        rank_ic=_finite_mean(rank_ic),
        icir=icir,
        hit_rate=hit_rate,
        n_dates=int(finite_rank_ic.size),
        n_obs=int(valid.sum()),
    )
