"""The cache interface routers use; a shared backend (e.g. Redis) implements the same."""

from __future__ import annotations

from typing import Literal, Protocol

CacheDomain = Literal["data", "dashboard", "signals", "benchmark", "feature_importance"]
# Domains whose entries are computed from market data: cleared by every data refresh.
DATA_DERIVED_DOMAINS: tuple[CacheDomain, ...] = (
    "data",
    "dashboard",
    "signals",
    "benchmark",
    "feature_importance",
)


class ResponseCache(Protocol):
    """Stores immutable ``bytes`` (serialized JSON), so no caller can mutate a cached value."""

    def get(self, domain: CacheDomain, key: str) -> bytes | None:
        """The cached value, or None when absent or expired."""
        ...

    @property
    def generation(self) -> int:
        """A counter bumped by every invalidation."""
        ...

    def put(
        self, domain: CacheDomain, key: str, value: bytes, generation: int | None = None
    ) -> None:
        """Store ``value`` under ``(domain, key)``, evicting the least recently used;
        skipped when ``generation`` is given and an invalidation happened since."""
        ...

    def invalidate(self, domains: tuple[CacheDomain, ...]) -> int:
        """Drop every entry of ``domains``; returns how many were dropped."""
        ...

    def invalidate_on_data_refresh(self) -> int:
        """Drop every entry computed from market data."""
        ...

    def lookups(self) -> tuple[int, int]:
        """(hits, misses) since the cache was created."""
        ...
