"""Response cache: serialized ``data`` payloads keyed by domain and request."""

from quant_engine.api.cache.base import DATA_DERIVED_DOMAINS, CacheDomain, ResponseCache
from quant_engine.api.cache.memory import MemoryCache

__all__ = ["DATA_DERIVED_DOMAINS", "CacheDomain", "MemoryCache", "ResponseCache"]
