"""One exception hierarchy for every expected failure.

Engines raise these; the API edge renders any of them into the error envelope with the
code and HTTP status they carry. Codes mirror the contract's ``ErrorCode`` enum (a test
checks the two sets are equal).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class ErrorDetail:
    """One offending field: ``loc`` is its path (e.g. ``("body", "volatility")``)."""

    loc: tuple[str | int, ...]
    msg: str


class QuantEngineError(Exception):
    """Base of every expected failure: a code, a human message, an HTTP status."""

    code: str = "INTERNAL"
    status: int = 500

    def __init__(self, message: str, details: Sequence[ErrorDetail] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.details: tuple[ErrorDetail, ...] = tuple(details)


class ValidationFailedError(QuantEngineError):
    """Input fails the contract or the domain (422)."""

    code = "VALIDATION_ERROR"
    status = 422


class BadRequestError(QuantEngineError):
    """The body is not parseable JSON (400)."""

    code = "BAD_REQUEST"
    status = 400


class NotFoundError(QuantEngineError):
    """Unknown id, ticker, route (404)."""

    code = "NOT_FOUND"
    status = 404


class MethodNotAllowedError(QuantEngineError):
    """The path exists, the method does not (405)."""

    code = "METHOD_NOT_ALLOWED"
    status = 405


class ConflictError(QuantEngineError):
    """The request conflicts with the resource's state (409)."""

    code = "CONFLICT"
    status = 409


class QueueFullError(QuantEngineError):
    """The job queue is at its bound (429)."""

    code = "QUEUE_FULL"
    status = 429


class PayloadTooLargeError(QuantEngineError):
    """Body or batch over its documented limit (413)."""

    code = "PAYLOAD_TOO_LARGE"
    status = 413


class UnauthorizedError(QuantEngineError):
    """Missing, malformed, badly signed or expired token (401)."""

    code = "UNAUTHORIZED"
    status = 401


class ForbiddenError(QuantEngineError):
    """The token lacks a needed scope (403)."""

    code = "FORBIDDEN"
    status = 403


class UnknownModelError(QuantEngineError):
    """A pricing engine name that is not registered (400)."""

    code = "UNKNOWN_MODEL"
    status = 400


class CalculationFailedError(QuantEngineError):
    """A numeric method could not produce a finite result (422)."""

    code = "CALCULATION_FAILED"
    status = 422


class ArtifactCorruptError(QuantEngineError):
    """A stored artifact exists but cannot be read (422)."""

    code = "ARTIFACT_CORRUPT"
    status = 422


class UnavailableError(QuantEngineError):
    """A subsystem is not available (503)."""

    code = "UNAVAILABLE"
    status = 503


class InternalError(QuantEngineError):
    """A bug (500)."""

    code = "INTERNAL"
    status = 500


ALL_ERROR_CLASSES: tuple[type[QuantEngineError], ...] = (
    ValidationFailedError,
    BadRequestError,
    NotFoundError,
    MethodNotAllowedError,
    ConflictError,
    QueueFullError,
    PayloadTooLargeError,
    UnauthorizedError,
    ForbiddenError,
    UnknownModelError,
    CalculationFailedError,
    ArtifactCorruptError,
    UnavailableError,
    InternalError,
)
