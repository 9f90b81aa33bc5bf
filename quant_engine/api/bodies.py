"""Parsing JSON request bodies straight into generated models (pydantic's Rust parser).

Bodies are parsed here rather than by FastAPI's body injection so large batches go through
one ``model_validate_json`` call, and so every body error has the same shape: 400
``BAD_REQUEST`` for bytes that are not JSON, 422 ``VALIDATION_ERROR`` with one
``details`` entry per field (``loc`` starting with ``"body"``) for everything else.
"""

from __future__ import annotations

import datetime as dt
import typing
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import orjson
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


def _integral_float(error: Any) -> bool:
    """An integer field given a float with no fractional part (``4.0``), which JSON Schema's
    ``integer`` accepts but pydantic's strict int does not."""
    value = error.get("input")
    return error["type"] == "int_type" and isinstance(value, float) and value.is_integer()


def _integers_for_integral_floats(value: Any) -> Any:
    """``value`` with every float that is a whole number replaced by that int (a float
    field accepts an int, so only integer fields see the difference)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        return int(value)
    if isinstance(value, list):
        return [_integers_for_integral_floats(item) for item in value]
    if isinstance(value, dict):
        return {key: _integers_for_integral_floats(item) for key, item in value.items()}
    return value


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
        if any(_integral_float(e) for e in errors):
            return parse_body(
                model, orjson.dumps(_integers_for_integral_floats(orjson.loads(raw))), name_checks
            )
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
    date_fields = _date_fields(model)
    if date_fields:
        _require_date_strings(orjson.loads(raw), date_fields)
    return parsed


def _date_fields(model: type[BaseModel]) -> tuple[str, ...]:
    """Top-level fields of ``model`` holding a calendar date."""
    return tuple(
        name
        for name, field in model.model_fields.items()
        if field.annotation is dt.date or dt.date in typing.get_args(field.annotation)
    )


def _require_date_strings(document: Any, fields: tuple[str, ...]) -> None:
    """A date must be a ``YYYY-MM-DD`` string: pydantic's lax mode would also take a number
    (seconds since 1970), which the contract's ``format: date`` does not allow."""
    if not isinstance(document, dict):
        return
    wrong = [name for name in fields if name in document and not isinstance(document[name], str)]
    if wrong:
        _raise_validation(
            [
                ErrorDetail(loc=("body", name), msg="expected a date string YYYY-MM-DD")
                for name in wrong
            ]
        )
