"""Every response is an envelope with meta; errors carry specific codes."""

from __future__ import annotations

import logging
import re

import pytest
import yaml
from fastapi import APIRouter, Body, FastAPI
from fastapi.testclient import TestClient

from quant_engine.api.app import create_app
from quant_engine.core.settings import Settings
from tests.conftest import REPO_ROOT


def assert_meta(payload: dict[str, object], request_id: str | None = None) -> None:
    meta = payload["meta"]
    assert isinstance(meta, dict)
    assert set(meta) == {"request_id", "elapsed_ms", "cached"}
    assert isinstance(meta["elapsed_ms"], float)
    assert meta["elapsed_ms"] >= 0
    assert meta["cached"] is False
    if request_id is not None:
        assert meta["request_id"] == request_id


def test_health_is_ok_envelope_with_versions(client: TestClient) -> None:
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True
    assert body["error"] is None
    contract = yaml.safe_load((REPO_ROOT / "openapi" / "openapi.yaml").read_text())
    assert body["data"]["contract_version"] == contract["info"]["version"]
    assert body["data"]["auth_enabled"] is False
    assert body["data"]["uptime_seconds"] >= 0
    assert_meta(body, response.headers["x-request-id"])


def test_unknown_api_route_is_not_found_envelope(client: TestClient) -> None:
    response = client.get("/api/v1/nope")
    assert response.status_code == 404
    body = response.json()
    assert body["ok"] is False
    assert body["data"] is None
    assert body["error"]["code"] == "NOT_FOUND"
    assert_meta(body)


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("limit=abc", "integer"),
        ("limit=5000", "less than or equal to 1000"),
        ("limit=0", "greater"),
    ],
)
def test_bad_limit_is_validation_error_naming_limit(
    client: TestClient, query: str, reason: str
) -> None:
    response = client.get(f"/api/v1/logs?{query}")
    assert response.status_code == 422
    body = response.json()
    assert body["ok"] is False
    assert body["error"]["code"] == "VALIDATION_ERROR"
    assert body["error"]["details"][0]["loc"] == ["query", "limit"]
    assert reason in body["error"]["details"][0]["msg"]
    assert_meta(body)


def test_wrong_method_is_405_envelope_with_allow_header(client: TestClient) -> None:
    response = client.post("/api/v1/health")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET"
    assert response.json()["error"]["code"] == "METHOD_NOT_ALLOWED"


def test_get_on_a_post_operation_is_405(client: TestClient) -> None:
    response = client.get("/api/v1/pricing/price")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json()["error"]["code"] == "METHOD_NOT_ALLOWED"


def test_incoming_request_id_is_honoured_and_echoed(client: TestClient) -> None:
    response = client.get("/api/v1/health", headers={"X-Request-ID": "trace-abc.123"})
    assert response.headers["x-request-id"] == "trace-abc.123"
    assert response.json()["meta"]["request_id"] == "trace-abc.123"


def test_malformed_request_id_is_replaced(client: TestClient) -> None:
    response = client.get("/api/v1/health", headers={"X-Request-ID": "bad id\twith<tags>"})
    generated = response.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    assert response.json()["meta"]["request_id"] == generated


def test_generated_request_ids_differ(client: TestClient) -> None:
    first = client.get("/api/v1/health").headers["x-request-id"]
    second = client.get("/api/v1/health").headers["x-request-id"]
    assert first != second


def _app_with_test_routes(settings: Settings) -> FastAPI:
    """The real app plus two routes that exercise the body and crash handlers."""
    app = create_app(settings)

    async def explode() -> None:
        raise RuntimeError("kaboom in a handler")

    async def echo(payload: dict[str, int] = Body()) -> dict[str, int]:  # noqa: B008
        return payload

    extra = APIRouter()
    extra.add_api_route("/test-only/explode", explode)
    extra.add_api_route("/test-only/echo", echo, methods=["POST"])
    app.router.routes[:0] = extra.routes  # ahead of the UI's catch-all route
    return app


@pytest.mark.parametrize(("env", "shows_type"), [("dev", True), ("prod", False)])
def test_unexpected_exception_is_500_internal(
    settings: Settings, env: str, shows_type: bool, caplog: pytest.LogCaptureFixture
) -> None:
    app = _app_with_test_routes(settings.model_copy(update={"env": env}))
    with caplog.at_level(logging.ERROR), TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/test-only/explode", headers={"X-Request-ID": "req-500"})
    assert response.status_code == 500
    body = response.json()
    assert body["error"]["code"] == "INTERNAL"
    assert ("RuntimeError: kaboom in a handler" in body["error"]["message"]) is shows_type
    assert "Traceback" not in body["error"]["message"]
    assert body["meta"]["request_id"] == "req-500"
    logged = [
        r for r in caplog.records if r.levelno == logging.ERROR and "req-500" in r.getMessage()
    ]
    assert logged
    assert logged[0].exc_info is not None


def test_unparseable_body_is_400_bad_request(settings: Settings) -> None:
    with TestClient(_app_with_test_routes(settings)) as client:
        response = client.post(
            "/test-only/echo", content=b"{not json", headers={"Content-Type": "application/json"}
        )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "BAD_REQUEST"


def test_body_over_limit_is_413(settings: Settings) -> None:
    small = settings.model_copy(update={"max_body_bytes": 1024})
    with TestClient(_app_with_test_routes(small)) as client:
        response = client.post("/test-only/echo", content=b"{" + b" " * 4096 + b"}")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"


def test_wrong_json_type_is_422_with_details(settings: Settings) -> None:
    with TestClient(_app_with_test_routes(settings)) as client:
        response = client.post("/test-only/echo", json={"a": "not-an-int"})
    assert response.status_code == 422
    details = response.json()["error"]["details"]
    assert details[0]["loc"] == ["body", "a"]


def test_unknown_query_parameter_is_422_naming_it(client: TestClient) -> None:
    response = client.get("/api/v1/logs?limit=5&colour=blue")
    assert response.status_code == 422
    details = response.json()["error"]["details"]
    assert details == [{"loc": ["query", "colour"], "msg": "unknown query parameter"}]


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_unknown_api_route_is_404_for_every_method(client: TestClient, method: str) -> None:
    response = client.request(method, "/api/v1/nonexistent")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


def test_route_outside_the_contract_fails_closed(auth_settings: Settings) -> None:
    from quant_engine.api.deps import api_router

    app = create_app(auth_settings)
    stray = api_router()

    @stray.get("/stray", operation_id="notInTheContract")
    async def not_in_the_contract() -> dict[str, str]:
        return {"secret": "data"}

    app.router.routes[:0] = stray.routes
    with TestClient(app) as client:
        response = client.get("/api/v1/stray")
    assert response.status_code == 403
    assert "not an operation of the contract" in response.json()["error"]["message"]


def test_health_is_degraded_until_data_is_imported(client: TestClient) -> None:
    assert client.get("/api/v1/health").json()["data"]["status"] == "degraded"


def test_health_is_ok_with_data(data_client: TestClient) -> None:
    assert data_client.get("/api/v1/health").json()["data"]["status"] == "ok"
