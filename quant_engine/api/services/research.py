"""Research at the edge: engine results validated into the generated models."""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeVar

from pydantic import BaseModel
from qe_contract.models import (
    FeatureCatalog,
    FeatureImportance,
    GovernanceDecision,
    LightGBMParams,
    ModelLabResult,
    ModelPage,
    PredictParams,
    SignalSet,
    SignalsRequest,
    TrainParams,
    TrainRequest,
)

from quant_engine.core.errors import ArtifactCorruptError, ErrorDetail, ValidationFailedError
from quant_engine.models.research import Research

ModelT = TypeVar("ModelT", bound=BaseModel)


def require_unique(name: str, values: list[Any] | None) -> None:
    """The contract's ``uniqueItems`` (pydantic's list does not check it)."""
    if values is not None and len(set(values)) != len(values):
        repeated = sorted({str(v) for v in values if values.count(v) > 1})
        raise ValidationFailedError(
            f"{name} must not repeat items (repeated: {', '.join(repeated)})",
            [ErrorDetail(loc=("body", name), msg="items must be unique")],
        )


def train_params(request: TrainRequest) -> dict[str, Any]:
    """The request with every default filled in: the ``train`` job's ``TrainParams``."""
    require_unique("horizons", list(request.horizons))
    lightgbm = request.lightgbm or LightGBMParams()
    params = TrainParams(
        horizons=list(request.horizons),
        feature_mode=request.feature_mode,
        survivorship=request.survivorship,
        full_universe=request.full_universe,
        years=request.years,
        end=request.end,
        folds=request.folds,
        embargo_days=request.embargo_days,
        seed=request.seed,
        lightgbm=lightgbm,
    )
    return params.model_dump(mode="json")


def predict_params(request: SignalsRequest) -> dict[str, Any]:
    """The request with defaults filled in: the ``predict`` job's ``PredictParams``."""
    require_unique("tickers", list(request.tickers) if request.tickers is not None else None)
    params = PredictParams(
        version=request.version,
        horizon=request.horizon,
        as_of=request.as_of,
        tickers=list(request.tickers) if request.tickers is not None else None,
    )
    return params.model_dump(mode="json")


def validated(model: type[ModelT], document: Any, what: str) -> ModelT:
    try:
        return model.model_validate(document)
    except ValueError as error:
        raise ArtifactCorruptError(f"{what} does not fit the contract: {error}") from error


def feature_catalog(research: Research, mode: str) -> FeatureCatalog:
    return validated(FeatureCatalog, research.catalog(mode), "feature catalogue")


def model_page(research: Research, limit: int, cursor: str | None) -> ModelPage:
    return validated(ModelPage, research.list_models(limit, cursor), "model list")


def model_lab(research: Research, version: str) -> ModelLabResult:
    return validated(ModelLabResult, research.model_lab(version), f"model {version}")


def importance(
    research: Research, version: str, horizon: int | None, kind: str
) -> FeatureImportance:
    document = research.importance(version, horizon, kind)
    return validated(FeatureImportance, document, f"importance of {version}")


def promote(research: Research, version: str) -> GovernanceDecision:
    decision = research.promote(version)
    return validated(GovernanceDecision, decision.as_dict(), "decision")


def signal_set(
    research: Research, version: str | None, horizon: int | None, as_of: dt.date | None
) -> SignalSet:
    document = research.signal_set(version, horizon, as_of)
    return validated(SignalSet, document, "signal set")
