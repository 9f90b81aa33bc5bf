"""The data package's public surface and its purity (no web framework)."""

from __future__ import annotations

import subprocess
import sys

from quant_engine import data


def test_public_names_are_exported() -> None:
    assert sorted(data.__all__) == sorted(set(data.__all__))
    for name in data.__all__:
        assert hasattr(data, name), name


def test_importing_the_engine_pulls_in_no_web_framework() -> None:
    code = (
        "import sys, quant_engine.data; "
        "bad = [m for m in ('fastapi', 'starlette', 'qe_contract', 'quant_engine.api') "
        "if m in sys.modules]; print(','.join(bad))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == ""
