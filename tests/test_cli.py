"""The command line: serve refuses insecure binds, token signs verifiable JWTs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import jwt

from tests.conftest import REPO_ROOT, TEST_SECRET


def _run(args: list[str], env: dict[str, str], home: Path) -> subprocess.CompletedProcess[str]:
    clean_env = {k: v for k, v in os.environ.items() if not k.startswith("QE_")}
    return subprocess.run(
        [sys.executable, "-m", "quant_engine", *args],
        cwd=REPO_ROOT,
        env={**clean_env, "QE_HOME": str(home), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_serve_on_all_interfaces_without_auth_is_refused(tmp_path: Path) -> None:
    result = _run(["serve", "--host", "0.0.0.0", "--port", "8999"], {}, tmp_path)
    assert result.returncode != 0
    assert "refusing to bind '0.0.0.0' without authentication" in result.stderr


def test_token_command_prints_a_verifiable_token(tmp_path: Path) -> None:
    result = _run(
        ["token", "--sub", "carol", "--scope", "read compute", "--ttl", "120"],
        {"QE_JWT_SECRET": TEST_SECRET},
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    claims = jwt.decode(result.stdout.strip(), TEST_SECRET, algorithms=["HS256"])
    assert claims["sub"] == "carol"
    assert claims["scope"] == "read compute"
    assert 115 <= claims["exp"] - claims["iat"] <= 120


def test_token_command_without_secret_fails_clearly(tmp_path: Path) -> None:
    result = _run(["token", "--sub", "carol"], {}, tmp_path)
    assert result.returncode == 2
    assert "QE_JWT_SECRET is not set" in result.stderr


def test_invalid_configuration_is_reported(tmp_path: Path) -> None:
    result = _run(["serve"], {"QE_JWT_SECRET": "changeme", "QE_ENV": "prod"}, tmp_path)
    assert result.returncode != 0
    assert "placeholder" in result.stderr


def test_data_import_command_imports_and_summarises(tmp_path: Path) -> None:
    folder = tmp_path / "files"
    folder.mkdir()
    (folder / "ACME.csv").write_text(
        "date,open,high,low,close,volume\n"
        "2020-01-02,10,11,9,10.5,1000\n"
        "2020-01-03,10.5,11,10,,1200\n"
        "2020-01-06,10.4,10.8,10.1,10.6,900\n"
    )
    (folder / "JUNK.csv").write_bytes(b"\x00\x01\x02 not a csv \xff")
    result = _run(["data", "import", str(folder)], {}, tmp_path / "home")
    assert result.returncode == 0, result.stderr
    assert "missing_value" in result.stdout
    lines = {line.split()[0]: line.split()[-1] for line in result.stdout.splitlines() if line}
    assert lines["missing_value"] == "1"
    assert "JUNK.csv" in result.stdout
    assert (tmp_path / "home" / "store" / "manifest.json").is_file()
