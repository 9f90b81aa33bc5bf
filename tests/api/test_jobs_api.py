"""Job operations in-process: permissions, pagination, keep-alive of the event stream."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from quant_engine.api.app import create_app
from quant_engine.api.services.jobs import job_event_stream
from quant_engine.core.settings import Settings
from quant_engine.core.tasks import TaskSupervisor
from quant_engine.jobs import CancelToken, JobRunner, JobStore, ProgressReporter
from tests.conftest import TokenFactory


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_cancelling_another_users_job_needs_admin(
    auth_settings: Settings, make_token: TokenFactory
) -> None:
    settings = auth_settings.model_copy(update={"max_concurrent_jobs": 1})
    alice = make_token(scope="read compute admin", sub="alice")
    bob = make_token(scope="read compute", sub="bob")
    root = make_token(scope="read compute admin", sub="root")
    with TestClient(create_app(settings)) as client:
        first = client.post("/api/v1/data/refresh", json={}, headers=_auth(alice)).json()
        second = client.post("/api/v1/data/refresh", json={}, headers=_auth(alice)).json()
        assert first["data"]["owner"] == "alice"
        job_id = second["data"]["job_id"]
        refused = client.post(f"/api/v1/jobs/{job_id}/cancel", headers=_auth(bob))
        assert refused.status_code == 403
        assert "admin" in refused.json()["error"]["message"]
        allowed = client.post(f"/api/v1/jobs/{job_id}/cancel", headers=_auth(root))
        assert allowed.status_code == 200
        assert allowed.json()["data"]["status"] == "cancelled"
        client.post(f"/api/v1/jobs/{first['data']['job_id']}/cancel", headers=_auth(alice))


def test_refresh_needs_admin_scope(auth_client: TestClient, make_token: TokenFactory) -> None:
    reply = auth_client.post(
        "/api/v1/data/refresh", json={}, headers=_auth(make_token(scope="read compute"))
    )
    assert reply.status_code == 403
    assert "'admin'" in reply.json()["error"]["message"]


def test_refresh_rejects_unknown_fields(client: TestClient) -> None:
    reply = client.post("/api/v1/data/refresh", json={"force": True, "everything": 1})
    assert reply.status_code == 422
    assert reply.json()["error"]["details"][0]["loc"] == ["body", "everything"]


def test_jobs_are_listed_newest_first_with_cursor_pages(data_client: TestClient) -> None:
    ids = [data_client.post("/api/v1/data/refresh").json()["data"]["job_id"] for _ in range(3)]
    first = data_client.get("/api/v1/jobs?limit=2").json()["data"]
    second = data_client.get(f"/api/v1/jobs?limit=2&cursor={first['next_cursor']}").json()
    listed = [job["job_id"] for job in first["items"] + second["data"]["items"]]
    assert listed == list(reversed(ids))
    assert second["data"]["next_cursor"] is None
    only = data_client.get("/api/v1/jobs?job_type=data_refresh&status=queued").json()["data"]
    assert all(job["status"] == "queued" for job in only["items"])


def test_unknown_and_malformed_job_ids(client: TestClient) -> None:
    missing = client.get("/api/v1/jobs/6f1c8a52-1d0e-4b7a-9a51-0c1f1d7e0a11")
    assert missing.status_code == 404
    assert missing.json()["error"]["message"].startswith("Job '")
    malformed = client.get("/api/v1/jobs/not-a-uuid")
    assert malformed.status_code == 422
    assert malformed.json()["error"]["details"][0]["loc"] == ["path", "job_id"]


def test_quiet_stream_sends_keep_alive_comments(tmp_path: Path) -> None:
    def slow(
        params: Mapping[str, Any], token: CancelToken, progress: ProgressReporter
    ) -> Mapping[str, Any]:
        deadline = time.monotonic() + 2.5
        while time.monotonic() < deadline:
            token.raise_if_cancelled()
            time.sleep(0.01)
        return {}

    async def scenario() -> list[bytes]:
        runner = JobRunner(
            JobStore(tmp_path / "jobs.sqlite3"),
            {"slow": slow},
            max_concurrent=1,
            max_queued=1,
            supervisor=TaskSupervisor(),
        )
        await runner.start()
        record = await runner.submit("slow", {}, None)
        chunks = [chunk async for chunk in job_event_stream(runner, record.job_id, 0.5)]
        assert runner.subscriber_count() == 0
        return chunks

    chunks = asyncio.run(scenario())
    assert any(chunk == b": keep-alive\n\n" for chunk in chunks)
    assert chunks[0].startswith(b"event: status\n")
    assert chunks[-1].startswith(b"event: done\n")


def test_cursor_beyond_sqlite_integers_is_rejected(client: TestClient) -> None:
    reply = client.get("/api/v1/jobs?cursor=9999999999999999999")
    assert reply.status_code == 422
    assert reply.json()["error"]["details"][0]["loc"] == ["query", "cursor"]
