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
    code = "VALIDATION_ERROR"
    status = 422


class BadRequestError(QuantEngineError):
    code = "BAD_REQUEST"
    status = 400


class NotFoundError(QuantEngineError):
    code = "NOT_FOUND"
    status = 404


class MethodNotAllowedError(QuantEngineError):
    code = "METHOD_NOT_ALLOWED"
    status = 405


class ConflictError(QuantEngineError):
    code = "CONFLICT"
    status = 409


class QueueFullError(QuantEngineError):
    code = "QUEUE_FULL"
    status = 429


class PayloadTooLargeError(QuantEngineError):
    code = "PAYLOAD_TOO_LARGE"
    status = 413


class UnauthorizedError(QuantEngineError):
    code = "UNAUTHORIZED"
    status = 401


class ForbiddenError(QuantEngineError):
    code = "FORBIDDEN"
    status = 403


class UnknownModelError(QuantEngineError):
    code = "UNKNOWN_MODEL"
    status = 400


class CalculationFailedError(QuantEngineError):
    code = "CALCULATION_FAILED"
    status = 422


class ArtifactCorruptError(QuantEngineError):
    code = "ARTIFACT_CORRUPT"
    status = 422


class UnavailableError(QuantEngineError):
    code = "UNAVAILABLE"
    status = 503


class InternalError(QuantEngineError):
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
