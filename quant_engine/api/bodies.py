"""Parsing JSON request bodies straight into generated models (pydantic's Rust parser).

Bodies are parsed here rather than by FastAPI's body injection so large batches go through
one ``model_validate_json`` call, and so every body error has the same shape: 400
``BAD_REQUEST`` for bytes that are not JSON, 422 ``VALIDATION_ERROR`` with one
``details`` entry per field (``loc`` starting with ``"body"``) for everything else.
"""

from __future__ import annotations

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


def parse_body(model: type[ModelT], raw: bytes) -> ModelT:
    """Validate ``raw`` JSON into ``model`` or raise the matching domain error."""
    try:
        parsed = model.model_validate_json(raw)
    except ValidationError as error:
        errors = error.errors(include_url=False)
        if any(e["type"] == "json_invalid" for e in errors):
            reason = errors[0]["msg"]
            raise BadRequestError(f"Request body is not valid JSON: {reason}") from None
        _raise_validation(
            [ErrorDetail(loc=_loc(tuple(e["loc"])), msg=str(e["msg"])) for e in errors]
        )
        raise  # unreachable: _raise_validation always raises
    # Cheap pre-check: without the token "null" in the bytes there is nothing to walk.
    nulls = _explicit_nulls(parsed, ("body",)) if b"null" in raw else []
    if nulls:
        _raise_validation(nulls)
    return parsed
