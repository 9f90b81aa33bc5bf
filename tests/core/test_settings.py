"""Settings come from QE_ environment variables and refuse unsafe configurations."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import ValidationError

from quant_engine.core.settings import Settings


def test_environment_variables_use_the_qe_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QE_PORT", "9001")
    monkeypatch.setenv("QE_CORS_ORIGINS", "http://a.example, http://b.example")
    monkeypatch.setenv("QE_LOG_BUFFER_SIZE", "50")
    settings = Settings()
    assert settings.port == 9001
    assert settings.cors_origins == ("http://a.example", "http://b.example")
    assert settings.log_buffer_size == 50


def test_defaults_bind_loopback_without_auth() -> None:
    settings = Settings()
    assert settings.host == "127.0.0.1"
    assert settings.auth_enabled is False
    assert settings.insecure_bind_problem("127.0.0.1") is None
    problem = settings.insecure_bind_problem("0.0.0.0")
    assert problem is not None
    assert "QE_ALLOW_INSECURE" in problem


def test_placeholder_secret_refused_outside_dev() -> None:
    with pytest.raises(ValidationError, match="placeholder"):
        Settings(env="prod", jwt_secret="changeme")
    with pytest.raises(ValidationError, match="at least 32 bytes"):
        Settings(env="prod", jwt_secret="short-secret")
    assert Settings(env="dev", jwt_secret="changeme").auth_enabled


def _public_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def test_secret_and_public_key_are_exclusive() -> None:
    with pytest.raises(ValidationError, match="not both"):
        Settings(env="dev", jwt_secret="x" * 40, jwt_public_key=_public_pem())


def test_unparseable_public_key_is_refused_at_startup() -> None:
    with pytest.raises(ValidationError, match="not a PEM public key"):
        Settings(jwt_public_key="-----BEGIN PUBLIC KEY-----\nnot a key\n")
