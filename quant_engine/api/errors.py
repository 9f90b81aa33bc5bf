"""The one place where exceptions become error envelopes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response

from quant_engine.api.envelope import error_response
from quant_engine.core.errors import (
    BadRequestError,
    ErrorDetail,
    InternalError,
    MethodNotAllowedError,
    NotFoundError,
    QuantEngineError,
    UnauthorizedError,
    ValidationFailedError,
)

# pydantic error types that mean "the body is not JSON at all", answered with 400.
_UNPARSEABLE_BODY_TYPES = frozenset({"json_invalid"})


def _details(errors: Sequence[Any]) -> list[ErrorDetail]:
    details = []
    for error in errors:
        loc = tuple(part if isinstance(part, int) else str(part) for part in error.get("loc", ()))
        details.append(ErrorDetail(loc=loc, msg=str(error.get("msg", "invalid value"))))
    return details


async def handle_domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, QuantEngineError)
    headers = None
    if isinstance(exc, UnauthorizedError):
        headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
    return error_response(request, exc, headers)


async def handle_request_validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    if any(error.get("type") in _UNPARSEABLE_BODY_TYPES for error in errors):
        return error_response(
            request, BadRequestError("Request body is not valid JSON", _details(errors))
        )
    count = len(errors)
    message = f"{count} invalid field{'s' if count != 1 else ''}: " + ", ".join(
        ".".join(str(part) for part in error.get("loc", ())) for error in errors[:5]
    )
    return error_response(request, ValidationFailedError(message, _details(errors)))


async def handle_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if isinstance(exc.__cause__, QuantEngineError):  # e.g. body over the size limit
        return error_response(request, exc.__cause__)
    error: QuantEngineError
    headers: dict[str, str] | None = None
    if exc.status_code == 404:
        error = NotFoundError(f"No route for {request.method} {request.url.path}")
    elif exc.status_code == 405:
        error = MethodNotAllowedError(f"Method {request.method} not allowed on {request.url.path}")
        if exc.headers and "Allow" in exc.headers:
            headers = {"Allow": exc.headers["Allow"]}
    elif exc.status_code == 400:
        error = BadRequestError(str(exc.detail))
    else:
        error = InternalError(str(exc.detail))
        error.status = exc.status_code
    return error_response(request, error, headers)


def install_error_handlers(app: FastAPI) -> None:
    """Register the envelope-rendering handlers on ``app``."""
    app.add_exception_handler(QuantEngineError, handle_domain_error)
    app.add_exception_handler(RequestValidationError, handle_request_validation)
    app.add_exception_handler(StarletteHTTPException, handle_http_exception)
