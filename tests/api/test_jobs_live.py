"""The job lifecycle through a real uvicorn: SSE order, cancellation, bounds, restarts."""

from __future__ import annotations

import json
import signal
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api.sse import Event, read_events
from tests.conftest import SHARED_DATA
from tests.live_server import LiveServer, running_server, start_server, stop_server

SP500 = SHARED_DATA / "sp500_5yr"
pytestmark = pytest.mark.skipif(not SP500.is_dir(), reason="../shared/data/sp500_5yr absent")


def _env(**extra: str) -> dict[str, str]:
    return {"QE_DATA_DIR": str(SP500), "QE_AUTO_IMPORT": "0", **extra}


def _sample_env(**extra: str) -> dict[str, str]:
    # The sample universe is generated on a forced refresh (about 1.5 s, several times the
    # 505-file import), which leaves room to act while the job is mid-way.
    return {"QE_AUTO_IMPORT": "0", **extra}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    with running_server(tmp_path / "home", _env()) as live:
        yield live


def _submit(base_url: str, force: bool = False) -> httpx.Response:
    return httpx.post(f"{base_url}/api/v1/data/refresh", json={"force": force}, timeout=30)


def _wait_terminal(base_url: str, job_id: str, timeout: float = 120) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = httpx.get(f"{base_url}/api/v1/jobs/{job_id}", timeout=10).json()["data"]
        if job["status"] in {"succeeded", "failed", "cancelled"}:
            return dict(job)
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish")


def _wait_status(base_url: str, job_id: str, status: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = httpx.get(f"{base_url}/api/v1/jobs/{job_id}", timeout=10).json()["data"]
        if job["status"] == status:
            return
        time.sleep(0.02)
    raise AssertionError(f"job {job_id} never reached {status}")


def _stream(base_url: str, job_id: str) -> list[Event]:
    with httpx.stream("GET", f"{base_url}/api/v1/jobs/{job_id}/events", timeout=120) as reply:
        assert reply.status_code == 200
        assert reply.headers["content-type"].startswith("text/event-stream")
        return list(read_events(reply))


def test_refresh_stream_runs_status_started_progress_completed_done(server: LiveServer) -> None:
    reply = _submit(server.base_url)
    assert reply.status_code == 202
    job = reply.json()["data"]
    assert reply.headers["location"] == f"/api/v1/jobs/{job['job_id']}"
    events = _stream(server.base_url, job["job_id"])
    names = [event.name for event in events]
    assert names[0] == "status"
    assert names[-2:] == ["completed", "done"]
    assert "started" in names or events[0].data["status"] == "running"
    assert names.count("progress") >= 1
    assert all(event.data["job_id"] == job["job_id"] for event in events)
    final = httpx.get(f"{server.base_url}/api/v1/jobs/{job['job_id']}").json()["data"]
    assert final["status"] == "succeeded"
    assert final["result"]["tickers_imported"] == 505
    assert final["result"]["tickers_failed"] == 0


def test_stream_of_a_finished_job_is_status_then_done(server: LiveServer) -> None:
    job_id = _submit(server.base_url).json()["data"]["job_id"]
    _wait_terminal(server.base_url, job_id)
    events = _stream(server.base_url, job_id)
    assert [event.name for event in events] == ["status", "done"]
    assert events[0].data["status"] == "succeeded"


def test_queued_job_cancelled_while_subscribed_ends_stream(tmp_path: Path) -> None:
    # The blocker generates the sample into an empty store (seconds), so the second job is
    # still queued while the client subscribes and cancels it.
    with running_server(tmp_path / "home", _sample_env(QE_MAX_CONCURRENT_JOBS="1")) as server:
        blocker = _submit(server.base_url).json()["data"]["job_id"]
        queued = _submit(server.base_url, force=True).json()["data"]["job_id"]
        received: list[tuple[float, Event]] = []

        def listen() -> None:
            url = f"{server.base_url}/api/v1/jobs/{queued}/events"
            with httpx.stream("GET", url, timeout=30) as reply:
                for event in read_events(reply):
                    received.append((time.monotonic(), event))

        listener = threading.Thread(target=listen)
        listener.start()
        deadline = time.monotonic() + 10
        while not received and time.monotonic() < deadline:
            time.sleep(0.01)
        assert received[0][1].data["status"] == "queued"
        cancelled_at = time.monotonic()
        reply = httpx.post(f"{server.base_url}/api/v1/jobs/{queued}/cancel")
        assert reply.status_code == 200
        assert reply.json()["data"]["status"] == "cancelled"
        listener.join(timeout=5)
        assert not listener.is_alive()
        assert [event.name for _, event in received] == ["status", "cancelled", "done"]
        assert received[-1][0] - cancelled_at < 1.0
        httpx.post(f"{server.base_url}/api/v1/jobs/{blocker}/cancel")


def test_running_refresh_cancelled_leaves_store_unchanged(tmp_path: Path) -> None:
    env = _sample_env(QE_MAX_CONCURRENT_JOBS="1")
    with running_server(tmp_path / "home", env) as server:
        manifest = server.log_path.parent / "store" / "manifest.json"
        # The first refresh builds the store; the second (forced) waits behind it, so its
        # stream is open before it starts and the cancel lands right after `started`.
        first = _submit(server.base_url).json()["data"]["job_id"]
        job_id = _submit(server.base_url, force=True).json()["data"]["job_id"]
        names: list[str] = []
        cancel_reply: dict[str, object] = {}
        manifest_before = b""
        requested_at = 0.0
        url = f"{server.base_url}/api/v1/jobs/{job_id}/events"
        with httpx.stream("GET", url, timeout=60) as reply:
            for event in read_events(reply):
                names.append(event.name)
                if event.name == "started":
                    manifest_before = manifest.read_bytes()
                    requested_at = time.monotonic()
                    cancel = httpx.post(f"{server.base_url}/api/v1/jobs/{job_id}/cancel")
                    cancel_reply = cancel.json()["data"]
        ended_at = time.monotonic()
        assert _wait_terminal(server.base_url, first)["status"] == "succeeded"
        assert cancel_reply["cancel_requested"] is True
        assert names[0] == "status"
        assert names[-2:] == ["cancelled", "done"]
        assert ended_at - requested_at < 1.0
        final = httpx.get(f"{server.base_url}/api/v1/jobs/{job_id}").json()["data"]
        assert final["status"] == "cancelled"
        assert manifest.read_bytes() == manifest_before
        fingerprint = json.loads(manifest_before)["universe_fingerprint"]
        mode = httpx.get(f"{server.base_url}/api/v1/data/mode").json()["data"]
        assert mode["universe_fingerprint"] == fingerprint


def test_cancelling_a_finished_job_is_conflict(server: LiveServer) -> None:
    job_id = _submit(server.base_url).json()["data"]["job_id"]
    _wait_terminal(server.base_url, job_id)
    reply = httpx.post(f"{server.base_url}/api/v1/jobs/{job_id}/cancel")
    assert reply.status_code == 409
    assert reply.json()["error"]["code"] == "CONFLICT"
    missing = httpx.post(
        f"{server.base_url}/api/v1/jobs/{'0' * 8}-0000-4000-8000-{'0' * 12}/cancel"
    )
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "NOT_FOUND"


def test_fourth_submission_is_queue_full(tmp_path: Path) -> None:
    env = _sample_env(QE_MAX_CONCURRENT_JOBS="1", QE_MAX_QUEUED="2")
    with running_server(tmp_path / "home", env) as server:
        replies = [_submit(server.base_url, force=True) for _ in range(4)]
        assert [r.status_code for r in replies] == [202, 202, 202, 429]
        error = replies[3].json()["error"]
        assert error["code"] == "QUEUE_FULL"
        assert error["message"] == "Job queue full. 2 jobs pending. Try again later."
        for reply in replies[:3]:
            httpx.post(f"{server.base_url}/api/v1/jobs/{reply.json()['data']['job_id']}/cancel")


def test_sigkill_during_a_job_then_restart(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = _sample_env(QE_MAX_CONCURRENT_JOBS="1")
    server = start_server(home, env)
    try:
        # A first refresh builds the store; a long training queued behind it is the victim
        # (a forced re-import of the sample takes ~0.1 s once the process has generated it,
        # too short to kill reliably): its stream is open before it starts, so the kill
        # lands mid-way through its first fold.
        blocker = _submit(server.base_url).json()["data"]["job_id"]
        running = httpx.post(
            f"{server.base_url}/api/v1/models/train",
            json={"years": 15, "lightgbm": {"n_estimators": 2000}},
            timeout=30,
        ).json()["data"]["job_id"]
        queued = [_submit(server.base_url).json()["data"]["job_id"] for _ in range(2)]
        url = f"{server.base_url}/api/v1/jobs/{running}/events"
        with httpx.stream("GET", url, timeout=60) as reply:
            for event in read_events(reply):
                if event.name == "started":
                    break
        time.sleep(0.5)  # mid-way through the training: kill the server now
    finally:
        stop_server(server, signal.SIGKILL)
    with running_server(home, env) as restarted:
        done = httpx.get(f"{restarted.base_url}/api/v1/jobs/{blocker}").json()["data"]
        assert done["status"] == "succeeded"
        dead = httpx.get(f"{restarted.base_url}/api/v1/jobs/{running}").json()["data"]
        assert dead["status"] == "failed"
        assert dead["error"]["code"] == "INTERRUPTED"
        for job_id in queued:
            assert _wait_terminal(restarted.base_url, job_id)["status"] == "succeeded"
    with sqlite3.connect(home / "state" / "jobs.sqlite3") as database:
        assert database.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_disconnecting_subscribers_are_removed(server: LiveServer) -> None:
    job_id = _submit(server.base_url).json()["data"]["job_id"]
    _wait_terminal(server.base_url, job_id)
    running = _submit(server.base_url, force=True).json()["data"]["job_id"]
    url = f"{server.base_url}/api/v1/jobs/{running}/events"
    with httpx.Client(timeout=10) as client:
        for _ in range(300):
            with client.stream("GET", url) as reply:
                next(reply.iter_lines())  # read the first line, then hang up
    deadline = time.monotonic() + 10
    subscribers = -1
    while time.monotonic() < deadline:
        health = httpx.get(f"{server.base_url}/api/v1/health").json()["data"]
        subscribers = health["jobs"]["event_subscribers"]
        if subscribers == 0:
            break
        time.sleep(0.1)
    assert subscribers == 0
    httpx.post(f"{server.base_url}/api/v1/jobs/{running}/cancel")
