"""Shared fixtures: a fresh app per test with its own temporary QE_HOME."""

from __future__ import annotations

import shutil
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import jwt
import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient

from quant_engine.api.app import create_app
from quant_engine.core.settings import Settings
from quant_engine.data import Store, materialize_sample

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
TEST_SECRET = "test-secret-that-is-long-enough-for-hs256-0123456789"

TokenFactory = Callable[..., str]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home", env="dev", auto_import=False)


@pytest.fixture(scope="session")
def sample_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample universe materialized once per session; copy it, never write to it."""
    root = tmp_path_factory.mktemp("sample") / "store"
    materialize_sample(Store(root))
    return root


def install_store(source: Path, home: Path) -> None:
    """Give ``home`` a copy of an already-built store."""
    shutil.copytree(source, home / "store")


@pytest.fixture
def data_settings(tmp_path: Path, sample_store: Path) -> Settings:
    """Settings of a home that already holds the sample universe."""
    home = tmp_path / "home"
    install_store(sample_store, home)
    return Settings(home=home, env="dev", auto_import=False)


@pytest.fixture
def data_client(data_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(data_settings)) as test_client:
        yield test_client


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def auth_settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home", env="prod", jwt_secret=TEST_SECRET, auto_import=False)


@pytest.fixture
def auth_client(auth_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(auth_settings)) as test_client:
        yield test_client


@pytest.fixture
def make_token() -> TokenFactory:
    def factory(
        scope: str = "read compute admin",
        sub: str = "alice",
        ttl: int = 600,
        secret: str = TEST_SECRET,
    ) -> str:
        now = int(time.time())
        return jwt.encode({"sub": sub, "scope": scope, "iat": now, "exp": now + ttl}, secret)

    return factory
