"""Parsing JSON request bodies straight into generated models (pydantic's Rust parser).

Bodies are parsed here rather than by FastAPI's body injection so large batches go through
one ``model_validate_json`` call, and so every body error has the same shape: 400
``BAD_REQUEST`` for bytes that are not JSON, 422 ``VALIDATION_ERROR`` with one
``details`` entry per field (``loc`` starting with ``"body"``) for everything else.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from quant_engine.core.errors import BadRequestError, ErrorDetail, ValidationFailedError

ModelT = TypeVar("ModelT", bound=BaseModel)
_MAX_LISTED_FIELDS = 5


def _loc(parts: tuple[int | str, ...]) -> tuple[str | int, ...]:
    return ("body", *parts)


def _raise_validation(details: list[ErrorDetail]) -> None:
    count = len(details)
    listed = ", ".join(".".join(str(part) for part in d.loc) for d in details[:_MAX_LISTED_FIELDS])
    suffix = ", …" if count > _MAX_LISTED_FIELDS else ""
    raise ValidationFailedError(
        f"{count} invalid field{'s' if count != 1 else ''}: {listed}{suffix}", details
    )


def _explicit_nulls(value: Any, loc: tuple[str | int, ...]) -> list[ErrorDetail]:
    """Fields a client set to ``null``: no request schema in the contract is nullable,
    but generated optional fields would accept ``None``."""
    found: list[ErrorDetail] = []
    if isinstance(value, BaseModel):
        for name in value.model_fields_set:
            field_value = getattr(value, name)
            if field_value is None:
                found.append(ErrorDetail(loc=(*loc, name), msg="Input should not be null"))
            else:
                found.extend(_explicit_nulls(field_value, (*loc, name)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, BaseModel):
                found.extend(_explicit_nulls(item, (*loc, index)))
    return found


NameCheck = Callable[[str], object]
"""Called with a name outside its field's enum; raises the specific domain error for it."""


def _check_names(errors: list[Any], name_checks: Mapping[str, NameCheck]) -> None:
    """Hand an unregistered name to its check when it is the only error of the body."""
    if len(errors) != 1:
        return
    (error,) = errors
    loc = tuple(error["loc"])
    if error["type"] == "enum" and len(loc) == 1 and loc[0] in name_checks:
        name = error["input"]
        if isinstance(name, str):
            name_checks[str(loc[0])](name)


def parse_body(
    model: type[ModelT], raw: bytes, name_checks: Mapping[str, NameCheck] | None = None
) -> ModelT:
    """Validate ``raw`` JSON into ``model`` or raise the matching domain error.

    ``name_checks`` maps a top-level field whose schema is an enum of registered names
    (e.g. pricing engines) to a check that raises the specific error for an unregistered
    name (``UNKNOWN_MODEL``); it applies when that enum is the body's only problem.
    """
    try:
        parsed = model.model_validate_json(raw)
    except ValidationError as error:
        errors = error.errors(include_url=False)
        if any(e["type"] == "json_invalid" for e in errors):
            reason = errors[0]["msg"]
            raise BadRequestError(f"Request body is not valid JSON: {reason}") from None
        _check_names(errors, name_checks or {})
        _raise_validation(
            [ErrorDetail(loc=_loc(tuple(e["loc"])), msg=str(e["msg"])) for e in errors]
        )
        raise  # unreachable: _raise_validation always raises
    # Cheap pre-check: without the token "null" in the bytes there is nothing to walk.
    nulls = _explicit_nulls(parsed, ("body",)) if b"null" in raw else []
    if nulls:
        _raise_validation(nulls)
    return parsed
