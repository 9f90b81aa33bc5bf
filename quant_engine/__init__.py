"""quant_engine: a self-hosted quant research workbench behind a contract-first HTTP API."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("quant_engine")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
