"""Building the ``{ok, data, error, meta}`` envelope around every JSON response."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel
from qe_contract.models import ErrorBody, ErrorCode, ErrorEnvelope, Meta
from qe_contract.models import ErrorDetail as WireErrorDetail
from starlette.requests import Request
from starlette.responses import Response

from quant_engine.core.errors import QuantEngineError

JSON_MEDIA_TYPE = "application/json"


def request_meta(scope_state: Mapping[str, Any], cached: bool = False) -> Meta:
    """``meta`` for the request whose scope state the middleware filled in."""
    started = scope_state.get("started", time.perf_counter())
    elapsed_ms = max(0.0, (time.perf_counter() - started) * 1000.0)
    return Meta(
        request_id=str(scope_state.get("request_id", "")),
        elapsed_ms=round(elapsed_ms, 3),
        cached=cached,
    )


def data_json(data: BaseModel) -> bytes:
    """The serialized ``data`` member of an envelope (what the response cache stores)."""
    return data.model_dump_json(by_alias=True).encode()


def envelope_response(
    request: Request,
    envelope_type: type[BaseModel],
    data: BaseModel | bytes,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
    cached: bool = False,
) -> Response:
    """Wrap ``data`` in the operation's generated envelope and serialize it.

    ``data`` is a generated model, or that model already serialized with ``data_json``
    (a cached payload, or a large one serialized off the event loop): then the envelope is
    assembled around the bytes instead of re-validating them.
    """
    meta = request_meta(request.scope.get("state", {}), cached)
    if isinstance(data, bytes):
        content = b"".join(
            (
                b'{"ok":true,"data":',
                data,
                b',"error":null,"meta":',
                meta.model_dump_json().encode(),
                b"}",
            )
        )
    else:
        envelope = envelope_type(ok=True, data=data, error=None, meta=meta)
        content = envelope.model_dump_json(by_alias=True).encode()
    return Response(
        content=content,
        status_code=status_code,
        media_type=JSON_MEDIA_TYPE,
        headers=dict(headers) if headers else None,
    )


def error_envelope_bytes(error: QuantEngineError, scope_state: Mapping[str, Any]) -> bytes:
    """The serialized error envelope for ``error``."""
    envelope = ErrorEnvelope(
        ok=False,
        data=None,
        error=ErrorBody(
            code=ErrorCode(error.code),
            message=error.message,
            details=[WireErrorDetail(loc=list(d.loc), msg=d.msg) for d in error.details],
        ),
        meta=request_meta(scope_state),
    )
    return envelope.model_dump_json().encode()


def error_response(
    request: Request, error: QuantEngineError, headers: Mapping[str, str] | None = None
) -> Response:
    """Render ``error`` into the envelope with the HTTP status it carries."""
    return Response(
        content=error_envelope_bytes(error, request.scope.get("state", {})),
        status_code=error.status,
        media_type=JSON_MEDIA_TYPE,
        headers=dict(headers) if headers else None,
    )
