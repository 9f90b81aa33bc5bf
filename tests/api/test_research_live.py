"""A training job through a real uvicorn: live progress per fold, and a cancel that lands
within a second while LightGBM is boosting."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from tests.api.sse import read_events
from tests.live_server import running_server, wait_for_data

# Heavy enough to be mid-way through boosting for many seconds: 15 years of the sample,
# full features, 2,000 trees per fit.
HEAVY = {"years": 15, "feature_mode": "full", "folds": 5, "lightgbm": {"n_estimators": 2000}}
CANCEL_WITHIN_SECONDS = 1.0


def test_running_training_reports_folds_and_cancels_within_a_second(tmp_path: Path) -> None:
    with running_server(tmp_path / "home", {}) as server:
        wait_for_data(server)
        submitted = httpx.post(f"{server.base_url}/api/v1/models/train", json=HEAVY, timeout=30)
        assert submitted.status_code == 202
        job_id = submitted.json()["data"]["job_id"]
        url = f"{server.base_url}/api/v1/jobs/{job_id}/events"
        names: list[str] = []
        cancelled_at = 0.0
        latency = float("inf")
        with httpx.stream("GET", url, timeout=120) as reply:
            for event in read_events(reply):
                names.append(event.name)
                message = event.data.get("progress_message") or ""
                if event.name == "progress" and "fold 1/5" in message and not cancelled_at:
                    time.sleep(0.5)  # well inside the first fold's boosting
                    cancel = httpx.post(f"{server.base_url}/api/v1/jobs/{job_id}/cancel")
                    assert cancel.status_code == 200
                    cancelled_at = time.monotonic()
                if event.name == "cancelled":
                    latency = time.monotonic() - cancelled_at
        job = httpx.get(f"{server.base_url}/api/v1/jobs/{job_id}", timeout=10).json()["data"]
        models = httpx.get(f"{server.base_url}/api/v1/models", timeout=10).json()["data"]
    assert cancelled_at > 0
    assert names[0] == "status"
    assert names[-2:] == ["cancelled", "done"]
    assert latency < CANCEL_WITHIN_SECONDS
    assert job["status"] == "cancelled"
    assert models["items"] == []  # nothing half-trained reached the registry
    assert not any((tmp_path / "home" / "registry").glob("v*"))
