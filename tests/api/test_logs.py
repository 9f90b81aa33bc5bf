"""The ring-buffer log handler and the listLogs operation."""

from __future__ import annotations

import logging

from fastapi.testclient import TestClient

from quant_engine.api.app import create_app
from quant_engine.core.logbuffer import RingBufferHandler
from quant_engine.core.settings import Settings


def _ring_handlers() -> list[logging.Handler]:
    return [h for h in logging.getLogger().handlers if isinstance(h, RingBufferHandler)]


def test_creating_an_app_attaches_nothing(settings: Settings) -> None:
    before = len(_ring_handlers())
    create_app(settings)
    create_app(settings)
    assert len(_ring_handlers()) == before


def test_handler_attached_during_lifespan_and_detached_after(settings: Settings) -> None:
    before = len(_ring_handlers())
    with TestClient(create_app(settings)):
        assert len(_ring_handlers()) == before + 1
    assert len(_ring_handlers()) == before
    with TestClient(create_app(settings)):
        assert len(_ring_handlers()) == before + 1
    assert len(_ring_handlers()) == before


def test_logs_are_newest_first_with_request_ids(client: TestClient) -> None:
    client.get("/api/v1/health", headers={"X-Request-ID": "first-call"})
    client.get("/api/v1/health", headers={"X-Request-ID": "second-call"})
    records = client.get("/api/v1/logs?limit=2&level=info").json()["data"]["records"]
    assert [r["request_id"] for r in records] == ["second-call", "first-call"]
    assert records[0]["logger"] == "quant_engine.api.access"
    assert "GET /api/v1/health -> 200" in records[0]["message"]


def test_level_filter_is_a_minimum(client: TestClient) -> None:
    logger = logging.getLogger("quant_engine.test")
    logger.info("an info line")
    logger.warning("a warning line")
    logger.error("an error line")
    data = client.get("/api/v1/logs?level=warning&limit=1000").json()["data"]
    levels = {r["level"] for r in data["records"]}
    messages = [r["message"] for r in data["records"]]
    assert levels <= {"warning", "error", "critical"}
    assert "a warning line" in messages
    assert "an error line" in messages
    assert "an info line" not in messages


def test_buffer_is_bounded(tmp_path: object) -> None:
    handler = RingBufferHandler(capacity=3)
    logger = logging.getLogger("quant_engine.test.bounded")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        for number in range(10):
            logger.info("line %d", number)
    finally:
        logger.removeHandler(handler)
    assert [r.message for r in handler.recent(100)] == ["line 9", "line 8", "line 7"]


def test_limit_caps_the_records(client: TestClient) -> None:
    for _ in range(5):
        client.get("/api/v1/health")
    data = client.get("/api/v1/logs?limit=3").json()["data"]
    assert len(data["records"]) == 3
    assert data["buffer_size"] == 2000
