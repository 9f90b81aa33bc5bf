"""How tracking tables store instants: fixed-width ISO 8601 in UTC, so text order is time order."""

from __future__ import annotations

import datetime as dt

from quant_engine.core.errors import ErrorDetail, ValidationFailedError


def to_stored(at: dt.datetime, field: str) -> str:
    """``at`` as ``YYYY-MM-DDTHH:MM:SS.ffffff+00:00``; naive datetimes are refused.

    A naive datetime would be read as the machine's local time, silently shifting the
    history, so it is a ``ValidationFailedError`` naming ``field``.
    """
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValidationFailedError(
            f"{field} must be timezone-aware",
            [ErrorDetail((field,), f"naive datetime {at.isoformat()}")],
        )
    return at.astimezone(dt.UTC).isoformat(timespec="microseconds")


def from_stored(text: str) -> dt.datetime:
    """The aware UTC datetime written by :func:`to_stored` (``ValueError`` if malformed)."""
    at = dt.datetime.fromisoformat(text)
    if at.tzinfo is None:
        raise ValueError(f"stored instant {text!r} has no UTC offset")
    return at.astimezone(dt.UTC)
