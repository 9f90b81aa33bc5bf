"""Research operations: features, training, the model registry, governance, signals."""

from __future__ import annotations

import asyncio
from typing import Annotated, Literal

from fastapi import Path, Query, Request
from qe_contract.models import (
    FeatureCatalogEnvelope,
    FeatureImportanceEnvelope,
    FeatureMode,
    GovernanceDecisionEnvelope,
    ModelLabEnvelope,
    ModelPageEnvelope,
    SignalSetEnvelope,
    SignalsRequest,
    TrainRequest,
)
from starlette.convertors import Convertor, register_url_convertor
from starlette.responses import Response

from quant_engine.api.bodies import parse_body
from quant_engine.api.cached import cached_payload
from quant_engine.api.deps import PrincipalDep, StateDep, api_router, query_date
from quant_engine.api.envelope import data_json, envelope_response
from quant_engine.api.services import research as service
from quant_engine.api.submit import submit_job
from quant_engine.jobs.catalog import PREDICT, TRAIN

router = api_router()


class ModelVersionConvertor(Convertor[str]):
    """``v<N>`` or ``champion`` in a path: ``/models/train`` is then not a version, so
    another method on it is a 405 (POST only), not a 422 from ``getModel``."""

    regex = "v[1-9][0-9]{0,8}|champion"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("model_version", ModelVersionConvertor())

VERSION_PATTERN = r"^(v[1-9][0-9]{0,8}|champion)$"
VersionParam = Annotated[str, Path(pattern=VERSION_PATTERN)]
HorizonParam = Annotated[int | None, Query(ge=1, le=63)]
DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"


@router.get("/features", operation_id="listFeatures")
async def list_features(
    request: Request, state: StateDep, feature_mode: FeatureMode = FeatureMode.core
) -> Response:
    payload, cached = await cached_payload(
        state,
        "data",
        f"features|{feature_mode.value}",
        lambda: data_json(service.feature_catalog(state.research, feature_mode.value)),
    )
    return envelope_response(request, FeatureCatalogEnvelope, payload, cached=cached)


@router.post("/models/train", operation_id="trainModel", status_code=202)
async def train_model(request: Request, state: StateDep, principal: PrincipalDep) -> Response:
    raw = await request.body()
    body = await asyncio.to_thread(parse_body, TrainRequest, raw) if raw.strip() else TrainRequest()
    params = service.train_params(body)
    await asyncio.to_thread(state.research.registry.check_readable)  # 503 before queueing
    return await submit_job(request, state, principal, TRAIN, params)


@router.get("/models", operation_id="listModels")
async def list_models(
    request: Request,
    state: StateDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(pattern=r"^v[1-9][0-9]{0,8}$")] = None,
) -> Response:
    page = await asyncio.to_thread(service.model_page, state.research, limit, cursor)
    return envelope_response(request, ModelPageEnvelope, page)


@router.get("/models/{version:model_version}", operation_id="getModel")
async def get_model(request: Request, state: StateDep, version: VersionParam) -> Response:
    lab = await asyncio.to_thread(service.model_lab, state.research, version)
    return envelope_response(request, ModelLabEnvelope, lab)


@router.get("/models/{version:model_version}/importance", operation_id="getFeatureImportance")
async def get_feature_importance(
    request: Request,
    state: StateDep,
    version: VersionParam,
    horizon: HorizonParam = None,
    kind: Literal["gain", "split"] = "gain",
) -> Response:
    # "champion" moves with promotions: trainings and promotions clear this domain
    payload, cached = await cached_payload(
        state,
        "feature_importance",
        f"importance|{version}|{horizon}|{kind}",
        lambda: data_json(service.importance(state.research, version, horizon, kind)),
    )
    return envelope_response(request, FeatureImportanceEnvelope, payload, cached=cached)


@router.post("/models/{version:model_version}/promote", operation_id="promoteModel")
async def promote_model(request: Request, state: StateDep, version: VersionParam) -> Response:
    decision = await asyncio.to_thread(service.promote, state.research, version)
    state.cache.invalidate(("signals", "feature_importance", "dashboard"))
    return envelope_response(request, GovernanceDecisionEnvelope, decision)


@router.post("/signals/generate", operation_id="generateSignals", status_code=202)
async def generate_signals(request: Request, state: StateDep, principal: PrincipalDep) -> Response:
    raw = await request.body()
    body = (
        await asyncio.to_thread(parse_body, SignalsRequest, raw)
        if raw.strip()
        else SignalsRequest()
    )
    params = service.predict_params(body)
    await asyncio.to_thread(state.research.resolve, body.version)  # 404 before queueing
    return await submit_job(request, state, principal, PREDICT, params)


@router.get("/signals", operation_id="listSignals")
async def list_signals(
    request: Request,
    state: StateDep,
    version: Annotated[str | None, Query(pattern=VERSION_PATTERN)] = None,
    horizon: HorizonParam = None,
    as_of: Annotated[str | None, Query(pattern=DATE_PATTERN)] = None,
) -> Response:
    day = query_date("as_of", as_of)
    payload, cached = await cached_payload(
        state,
        "signals",
        f"signals|{version}|{horizon}|{day}",
        lambda: data_json(service.signal_set(state.research, version, horizon, day)),
    )
    return envelope_response(request, SignalSetEnvelope, payload, cached=cached)
