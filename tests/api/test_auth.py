"""Bearer JWT authentication with scopes read from the contract."""

from __future__ import annotations

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient

from quant_engine.api.app import create_app
from quant_engine.core.settings import Settings
from tests.conftest import TEST_SECRET, TokenFactory


def _error(response_json: dict[str, object]) -> dict[str, object]:
    error = response_json["error"]
    assert isinstance(error, dict)
    return error


def test_no_token_is_401(auth_client: TestClient) -> None:
    response = auth_client.get("/api/v1/logs")
    assert response.status_code == 401
    assert _error(response.json())["code"] == "UNAUTHORIZED"
    assert "Missing bearer token" in str(_error(response.json())["message"])
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_expired_token_is_401_saying_expired(
    auth_client: TestClient, make_token: TokenFactory
) -> None:
    token = make_token(ttl=-60)
    response = auth_client.get("/api/v1/logs", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert "expired" in str(_error(response.json())["message"]).lower()


def test_bad_signature_is_401(auth_client: TestClient, make_token: TokenFactory) -> None:
    token = make_token(secret="another-secret-entirely-but-also-long-enough-xx")
    response = auth_client.get("/api/v1/logs", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert "signature" in str(_error(response.json())["message"]).lower()


@pytest.mark.parametrize("header", ["Bearer not.a.jwt", "Basic abc", "Bearer", "token"])
def test_malformed_token_is_401(auth_client: TestClient, header: str) -> None:
    response = auth_client.get("/api/v1/logs", headers={"Authorization": header})
    assert response.status_code == 401
    assert "malformed" in str(_error(response.json())["message"]).lower()


def test_token_without_exp_is_401(auth_client: TestClient) -> None:
    token = jwt.encode({"sub": "alice", "scope": "read"}, TEST_SECRET)
    response = auth_client.get("/api/v1/logs", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert "'exp'" in str(_error(response.json())["message"])


def test_valid_read_token_lists_logs(auth_client: TestClient, make_token: TokenFactory) -> None:
    token = make_token(scope="read")
    response = auth_client.get("/api/v1/logs", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.json()["ok"] is True


def test_missing_scope_is_403_naming_it(auth_client: TestClient, make_token: TokenFactory) -> None:
    token = make_token(scope="compute")
    response = auth_client.get("/api/v1/logs", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403
    error = _error(response.json())
    assert error["code"] == "FORBIDDEN"
    assert "'read'" in str(error["message"])


def test_health_is_open_with_auth_on(auth_client: TestClient) -> None:
    response = auth_client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json()["data"]["auth_enabled"] is True


def test_auth_is_checked_before_parameters(auth_client: TestClient) -> None:
    response = auth_client.get("/api/v1/logs?limit=abc")
    assert response.status_code == 401


def test_rs256_public_key_verifies_tokens(tmp_path: pytest.TempPathFactory) -> None:
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = (
        private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    settings = Settings(home=str(tmp_path), jwt_public_key=public_pem)  # type: ignore[arg-type]
    good = jwt.encode({"sub": "bob", "scope": "read", "exp": 4102444800}, private_key, "RS256")
    with TestClient(create_app(settings)) as client:
        ok = client.get("/api/v1/logs", headers={"Authorization": f"Bearer {good}"})
        hs = jwt.encode({"sub": "bob", "scope": "read", "exp": 4102444800}, "x" * 40, "HS256")
        refused = client.get("/api/v1/logs", headers={"Authorization": f"Bearer {hs}"})
    assert ok.status_code == 200
    assert refused.status_code == 401


def test_cors_allows_only_listed_origins(settings: Settings) -> None:
    configured = settings.model_copy(update={"cors_origins": ("http://allowed.example",)})
    with TestClient(create_app(configured)) as client:
        allowed = client.get("/api/v1/health", headers={"Origin": "http://allowed.example"})
        other = client.get("/api/v1/health", headers={"Origin": "http://evil.example"})
    assert allowed.headers["access-control-allow-origin"] == "http://allowed.example"
    assert "access-control-allow-origin" not in other.headers


def test_no_cors_headers_by_default(client: TestClient) -> None:
    response = client.get("/api/v1/health", headers={"Origin": "http://allowed.example"})
    assert "access-control-allow-origin" not in response.headers
