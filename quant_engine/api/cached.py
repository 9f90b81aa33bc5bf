"""Serving data-derived responses from the response cache."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from quant_engine.api.cache import CacheDomain
from quant_engine.api.state import AppState


async def cached_payload(
    state: AppState, domain: CacheDomain, key: str, build: Callable[[], bytes]
) -> tuple[bytes, bool]:
    """The serialized data for ``key``: from the cache, or built off the loop and stored.

    The key is prefixed with the store's universe fingerprint, so after an import committed
    by any process (the server's own refresh job or the ``data import`` command) no response
    computed from the previous data is served, whatever its time to live.
    """
    fingerprint = await asyncio.to_thread(state.store.universe_fingerprint)
    key = f"{fingerprint or 'empty'}|{key}"
    hit = state.cache.get(domain, key)
    if hit is not None:
        return hit, True
    generation = state.cache.generation
    payload = await asyncio.to_thread(build)
    state.cache.put(domain, key, payload, generation=generation)
    return payload, False
