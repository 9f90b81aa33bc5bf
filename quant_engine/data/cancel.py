"""Cancellation and progress hooks an import accepts from its caller (e.g. the job runner)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable


@runtime_checkable
class CancelToken(Protocol):
    """Anything that can say whether the work it was handed to should stop."""

    def is_cancelled(self) -> bool:
        """True once the caller asked to stop; checked once per ticker."""
        ...


ProgressCallback = Callable[[float, str], None]
"""``progress(fraction, message)``: fraction of the work done in [0, 1] and a short note."""


class ImportCancelled(Exception):  # noqa: N818 - the name the job runner expects
    """Raised when an import saw its cancel token set; the store is left as it was."""


def is_cancelled(token: CancelToken | None) -> bool:
    """True when ``token`` is given and set."""
    return token is not None and token.is_cancelled()
