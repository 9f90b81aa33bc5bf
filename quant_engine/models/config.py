"""Training configuration: what a training request fixes, validated on construction.

Every bound here mirrors the contract's ``TrainRequest`` bounds; the engine validates again
so a caller that skips the API (a script, the autopilot) cannot train outside them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from quant_engine.core.errors import ErrorDetail, ValidationFailedError

MODEL_THREADS = 2
"""LightGBM threads, fixed: the thread count is written into the model text and changes the
trees, so a machine-dependent default would break "same request = same model sha256"."""

MAX_HORIZONS = 4
"""At most this many distinct forward-return horizons per training request."""

MAX_HORIZON_TRADING_DAYS = 63
"""Longest forward-return horizon (and embargo), in trading days (about one quarter)."""


def _require(ok: bool, loc: tuple[str, ...], message: str) -> None:
    if not ok:
        raise ValidationFailedError(message, [ErrorDetail(loc=loc, msg=message)])


def _check_range(name: str, value: float, low: float, high: float, loc: tuple[str, ...]) -> None:
    _require(
        not isinstance(value, bool) and low <= value <= high,
        (*loc, name),
        f"{name} must be between {low} and {high}, got {value!r}",
    )


@dataclass(frozen=True)
class LightGBMParams:
    """The LightGBM hyper-parameters a request may set (everything else is fixed)."""

    num_leaves: int = 31
    """Maximum leaves per tree, 4..256."""
    learning_rate: float = 0.05
    """Shrinkage per boosting round, 0.001..0.5."""
    n_estimators: int = 200
    """Boosting rounds, 10..2000."""
    min_data_in_leaf: int = 200
    """Minimum (date, ticker) rows per leaf, 10..10000."""
    feature_fraction: float = 0.8
    """Fraction of features sampled per tree, 0.1..1.0."""

    def __post_init__(self) -> None:
        loc = ("lightgbm",)
        _check_range("num_leaves", self.num_leaves, 4, 256, loc)
        _check_range("learning_rate", self.learning_rate, 0.001, 0.5, loc)
        _check_range("n_estimators", self.n_estimators, 10, 2000, loc)
        _check_range("min_data_in_leaf", self.min_data_in_leaf, 10, 10000, loc)
        _check_range("feature_fraction", self.feature_fraction, 0.1, 1.0, loc)

    def as_dict(self) -> dict[str, object]:
        """JSON-ready mapping of the parameters."""
        return {
            "num_leaves": self.num_leaves,
            "learning_rate": self.learning_rate,
            "n_estimators": self.n_estimators,
            "min_data_in_leaf": self.min_data_in_leaf,
            "feature_fraction": self.feature_fraction,
        }


@dataclass(frozen=True)
class TrainConfig:
    """One training request as the engine sees it.

    ``horizons`` and ``embargo_days`` are in trading days of the data; ``years`` is the
    length of the training window ending at ``end`` (the caller cuts the window; the
    trainer only records it). ``feature_mode``, ``survivorship`` and ``full_universe``
    are recorded for the registry; the trainer itself takes plain arrays.
    """

    horizons: tuple[int, ...] = (5,)
    feature_mode: str = "core"
    survivorship: bool = True
    full_universe: bool = False
    years: int = 15
    end: dt.date | None = None
    folds: int = 5
    embargo_days: int = 5
    seed: int = 0
    lightgbm: LightGBMParams = field(default_factory=LightGBMParams)

    def __post_init__(self) -> None:
        _require(
            1 <= len(self.horizons) <= MAX_HORIZONS
            and len(set(self.horizons)) == len(self.horizons),
            ("horizons",),
            f"horizons must be 1 to {MAX_HORIZONS} distinct values, got {self.horizons!r}",
        )
        for horizon in self.horizons:
            _check_range("horizons", horizon, 1, MAX_HORIZON_TRADING_DAYS, ())
        _require(bool(self.feature_mode), ("feature_mode",), "feature_mode must not be empty")
        _check_range("years", self.years, 1, 50, ())
        _check_range("folds", self.folds, 2, 10, ())
        _check_range("embargo_days", self.embargo_days, 0, MAX_HORIZON_TRADING_DAYS, ())
        _check_range("seed", self.seed, 0, 2**31 - 1, ())

    def as_dict(self) -> dict[str, object]:
        """JSON-ready mapping (``end`` as an ISO date or ``None``)."""
        return {
            "horizons": list(self.horizons),
            "feature_mode": self.feature_mode,
            "survivorship": self.survivorship,
            "full_universe": self.full_universe,
            "years": self.years,
            "end": None if self.end is None else self.end.isoformat(),
            "folds": self.folds,
            "embargo_days": self.embargo_days,
            "seed": self.seed,
            "lightgbm": self.lightgbm.as_dict(),
        }
