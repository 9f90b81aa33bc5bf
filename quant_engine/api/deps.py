"""Dependencies shared by the routers, as ``Annotated`` aliases."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from quant_engine.api.auth import Principal
from quant_engine.api.state import AppState
from quant_engine.core.errors import (
    ErrorDetail,
    ForbiddenError,
    UnavailableError,
    ValidationFailedError,
)

API_PREFIX = "/api/v1"


def get_state(request: Request) -> AppState:
    """The app's runtime state; UNAVAILABLE if the lifespan has not run."""
    state = getattr(request.app.state, "qe", None)
    if not isinstance(state, AppState):
        raise UnavailableError("Service is starting up or shutting down")
    return state


StateDep = Annotated[AppState, Depends(get_state)]


def authenticate(request: Request, state: StateDep) -> Principal | None:
    """Enforce the calling operation's ``security`` from the contract.

    Returns the principal, or None when auth is off or the operation is open.
    """
    if state.verifier is None:
        return None
    route = request.scope.get("route")
    operation_id = getattr(route, "operation_id", None)
    operation = state.contract.operations.get(operation_id or "")
    if operation is None:
        # Fail closed: a route the contract does not describe is never served unguarded.
        raise ForbiddenError(f"Route {request.url.path} is not an operation of the contract")
    if operation.scope_alternatives is None:
        return None
    principal = state.verifier.verify(request.headers.get("authorization"))
    state.verifier.authorize(principal, operation)
    request.state.principal = principal
    return principal


PrincipalDep = Annotated[Principal | None, Depends(authenticate)]


def reject_unknown_query_parameters(request: Request) -> None:
    """Query strings are closed like bodies: an undeclared parameter is a 422, not ignored."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    declared = {param.alias for param in dependant.query_params}
    unknown = sorted({name for name in request.query_params if name not in declared})
    if unknown:
        allowed = ", ".join(sorted(declared)) or "none"
        raise ValidationFailedError(
            f"Unknown query parameter(s): {', '.join(unknown)} (allowed: {allowed})",
            [ErrorDetail(loc=("query", name), msg="unknown query parameter") for name in unknown],
        )


def api_router() -> APIRouter:
    """A router for one domain's operations: ``/api/v1`` prefix, contract-driven auth,
    closed query strings."""
    return APIRouter(
        prefix=API_PREFIX,
        dependencies=[Depends(authenticate), Depends(reject_unknown_query_parameters)],
    )


def query_date(name: str, value: str | None) -> dt.date | None:
    """A ``YYYY-MM-DD`` query parameter as a date (None when absent); 422 naming it when it
    matches the pattern but is no calendar date (``2021-02-30``)."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationFailedError(
            f"{name} is not a valid date: {value!r}",
            [ErrorDetail(loc=("query", name), msg="expected a calendar date YYYY-MM-DD")],
        ) from None


DATETIME_PATTERN = r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$"


def query_datetime(name: str, value: str | None) -> dt.datetime | None:
    """An RFC 3339 date-time query parameter (offset required) as an aware UTC datetime;
    422 naming it when it is no real instant (``2021-02-30T00:00:00Z``). Digits past
    microseconds are truncated."""
    if value is None:
        return None
    text = value.upper().replace("Z", "+00:00")
    head, dot, rest = text.partition(".")
    if dot:  # Python reads at most 6 fractional digits
        digits = rest[: len(rest) - 6]
        text = f"{head}.{digits[:6].ljust(6, '0')}{rest[-6:]}"
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValidationFailedError(
            f"{name} is not a valid date-time: {value!r}",
            [ErrorDetail(loc=("query", name), msg="expected an RFC 3339 date-time")],
        ) from None
    return parsed.astimezone(dt.UTC)
