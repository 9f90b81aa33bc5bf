"""In-process property-based testing of every operation against the contract."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings

from quant_engine.api.app import create_app
from quant_engine.core.settings import Settings
from tests.conftest import TEST_SECRET, install_store

_HOME = Path(tempfile.mkdtemp(prefix="qe-schemathesis-"))
# auto_import stays on: the store is filled before the lifespan starts (see the fixture), so
# the startup check must find it current and start no import.
_APP = create_app(Settings(home=_HOME, env="prod", jwt_secret=TEST_SECRET))
schema = schemathesis.openapi.from_asgi("/openapi.json", _APP)


def _token() -> str:
    now = int(time.time())
    claims = {"sub": "schemathesis", "scope": "read compute admin", "iat": now, "exp": now + 3600}
    return jwt.encode(claims, TEST_SECRET)


@pytest.fixture(scope="module", autouse=True)
def _lifespan(sample_store: Path) -> Iterator[TestClient]:
    # Run the app's lifespan around the whole module so its AppState exists.
    if not (_HOME / "store").exists():
        install_store(sample_store, _HOME)
    with TestClient(_APP) as client:
        yield client


def _auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {_token()}"}


@schema.parametrize()
@settings(max_examples=20, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_operation_conforms_to_contract(case: schemathesis.Case) -> None:
    case.call_and_validate(headers=_auth())
