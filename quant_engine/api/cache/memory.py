"""In-process LRU cache with a time-to-live, safe across the loop and worker threads."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from quant_engine.api.cache.base import DATA_DERIVED_DOMAINS, CacheDomain


class MemoryCache:
    """At most ``max_entries`` values; each lives ``ttl_seconds``; LRU evicted first."""

    def __init__(
        self,
        max_entries: int,
        ttl_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_entries = max_entries
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self._entries: OrderedDict[tuple[str, str], tuple[float, bytes]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0
        self._generation = 0

    @property
    def generation(self) -> int:
        """Bumped by every invalidation; see ``put(..., generation=)``."""
        return self._generation

    def get(self, domain: CacheDomain, key: str) -> bytes | None:
        """The cached value, or None when absent or expired."""
        slot = (domain, key)
        with self._lock:
            entry = self._entries.get(slot)
            if entry is None or entry[0] <= self._clock():
                if entry is not None:
                    del self._entries[slot]
                self.misses += 1
                return None
            self._entries.move_to_end(slot)
            self.hits += 1
            return entry[1]

    def put(
        self, domain: CacheDomain, key: str, value: bytes, generation: int | None = None
    ) -> None:
        """Store ``value``; evict least recently used entries beyond ``max_entries``.

        With ``generation`` (read before computing ``value``), nothing is stored when an
        invalidation happened meanwhile, so a value computed from old data never lands
        after the refresh that made it stale.
        """
        if not isinstance(value, bytes):
            raise TypeError("cache values must be bytes (immutable)")
        with self._lock:
            if generation is not None and generation != self._generation:
                return
            self._entries[(domain, key)] = (self._clock() + self.ttl_seconds, value)
            self._entries.move_to_end((domain, key))
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def invalidate(self, domains: tuple[CacheDomain, ...]) -> int:
        """Drop every entry of ``domains``; returns how many were dropped."""
        with self._lock:
            self._generation += 1
            doomed = [slot for slot in self._entries if slot[0] in domains]
            for slot in doomed:
                del self._entries[slot]
        return len(doomed)

    def invalidate_on_data_refresh(self) -> int:
        """Drop every entry computed from market data."""
        return self.invalidate(DATA_DERIVED_DOMAINS)

    def lookups(self) -> tuple[int, int]:
        """(hits, misses) since the cache was created."""
        with self._lock:
            return self.hits, self.misses

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
