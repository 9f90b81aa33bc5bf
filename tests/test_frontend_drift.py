"""Renaming a job status or an SSE event name in the contract breaks the frontend build.

Each case works on a temporary copy of the contract, the generated types and the
frontend: edit the contract, regenerate the TypeScript types the way ``make generate``
does, and run ``tsc``.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

FRONTEND = REPO_ROOT / "frontend"
_SKIP_IN_COPY = shutil.ignore_patterns("node_modules", "dist", "e2e-output")


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    if not (FRONTEND / "node_modules" / ".bin" / "tsc").exists():
        pytest.skip("frontend/node_modules is not installed (run via make test)")
    shutil.copytree(REPO_ROOT / "openapi", tmp_path / "openapi")
    shutil.copytree(REPO_ROOT / "generated", tmp_path / "generated")
    shutil.copytree(FRONTEND, tmp_path / "frontend", ignore=_SKIP_IN_COPY)
    (tmp_path / "frontend" / "node_modules").symlink_to(FRONTEND / "node_modules")
    return tmp_path


def _regenerate_and_typecheck(project: Path) -> subprocess.CompletedProcess[str]:
    frontend = project / "frontend"
    bin_dir = frontend / "node_modules" / ".bin"
    subprocess.run(
        [str(bin_dir / "openapi-typescript"), "../openapi/openapi.yaml",
         "-o", "../generated/typescript/schema.d.ts", "--default-non-nullable", "false"],
        cwd=frontend, check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    return subprocess.run(
        [str(bin_dir / "tsc"), "--noEmit", "-p", "tsconfig.json"],
        cwd=frontend, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def _edit_contract(project: Path, old: str, new: str) -> None:
    contract = project / "openapi" / "openapi.yaml"
    text = contract.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    contract.write_text(text.replace(old, new), encoding="utf-8")


def test_unchanged_contract_typechecks(project_copy: Path) -> None:
    result = _regenerate_and_typecheck(project_copy)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("old", "new", "renamed"),
    [
        (
            "enum: [queued, running, succeeded, failed, cancelled]",
            "enum: [queued, running, succeeded, failed, canceled]",
            "canceled",
        ),
        (
            "enum: [status, started, progress, completed, failed, cancelled, done]",
            "enum: [status, started, progress, completed, failed, cancelled, finished]",
            "finished",
        ),
    ],
    ids=["job-status", "sse-event-name"],
)
def test_renamed_contract_enum_fails_tsc(
    project_copy: Path, old: str, new: str, renamed: str
) -> None:
    _edit_contract(project_copy, old, new)
    result = _regenerate_and_typecheck(project_copy)
    assert result.returncode != 0
    assert "error TS" in result.stdout
    assert renamed in (project_copy / "generated" / "typescript" / "schema.d.ts").read_text()
