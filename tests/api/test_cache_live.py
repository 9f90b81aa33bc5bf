"""The response cache sees an import committed by another process (the CLI) at once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

from tests.live_server import REPO_ROOT, running_server, wait_for_data

HEADER = "date,open,high,low,close,volume,Name\n"


def _write_ticker(folder: Path, closes: list[float]) -> None:
    rows = [
        f"2020-01-{day:02d},{close},{close + 1},{close - 1},{close},1000,ACME\n"
        for day, close in zip(range(2, 2 + len(closes)), closes, strict=True)
    ]
    (folder / "ACME.csv").write_text(HEADER + "".join(rows))


def test_bars_cached_by_the_server_are_fresh_after_a_cli_import(tmp_path: Path) -> None:
    folder = tmp_path / "src"
    folder.mkdir()
    _write_ticker(folder, [10.0, 11.0, 12.0])
    home = tmp_path / "home"
    env = {"QE_DATA_DIR": str(folder), "QE_CACHE_TTL_SECONDS": "3600"}
    with running_server(home, env) as server:
        wait_for_data(server)
        url = f"{server.base_url}/api/v1/data/tickers/ACME/bars"
        first = httpx.get(url, timeout=10).json()
        again = httpx.get(url, timeout=10).json()
        assert again["meta"]["cached"] is True
        assert [bar["close"] for bar in again["data"]["bars"]] == [10.0, 11.0, 12.0]

        _write_ticker(folder, [20.0, 21.0, 22.0, 23.0])
        command = [sys.executable, "-m", "quant_engine", "data", "import", str(folder)]
        imported = subprocess.run(
            command,
            cwd=REPO_ROOT,
            env={**os.environ, "QE_HOME": str(home)},
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert imported.returncode == 0, imported.stderr

        fresh = httpx.get(url, timeout=10).json()
    assert first["meta"]["cached"] is False
    assert fresh["ok"] is True
    assert fresh["meta"]["cached"] is False
    assert [bar["close"] for bar in fresh["data"]["bars"]] == [20.0, 21.0, 22.0, 23.0]
