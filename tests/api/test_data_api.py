"""Market-data operations over HTTP: mode, universe pages, bars, quality, cache, safety."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from quant_engine.api.app import create_app
from quant_engine.core.settings import Settings
from tests.conftest import SHARED_DATA

SP500 = SHARED_DATA / "sp500_5yr"


def _wait_for_jobs(client: TestClient, timeout: float = 180) -> list[dict[str, object]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        items = client.get("/api/v1/jobs").json()["data"]["items"]
        if items and all(job["status"] not in {"queued", "running"} for job in items):
            return list(items)
        time.sleep(0.1)
    raise AssertionError("jobs did not finish")


def test_data_mode_describes_the_sample(data_client: TestClient) -> None:
    data = data_client.get("/api/v1/data/mode").json()["data"]
    assert data["mode"] == "sample"
    assert data["source"] == "sample"
    assert data["synthetic"] is True
    assert data["tickers"] >= 50
    assert data["first_date"] == "1999-01-04"
    assert data["last_date"] == "2018-12-31"
    assert len(data["universe_fingerprint"]) == 64


def test_startup_with_a_current_store_starts_no_import(data_settings: Settings) -> None:
    settings = data_settings.model_copy(update={"auto_import": True})
    with TestClient(create_app(settings)) as client:
        assert client.get("/api/v1/jobs").json()["data"]["items"] == []
        assert client.get("/api/v1/data/mode").status_code == 200


def test_data_is_unavailable_until_the_first_import(client: TestClient) -> None:
    reply = client.get("/api/v1/data/mode")
    assert reply.status_code == 503
    assert reply.json()["error"]["code"] == "UNAVAILABLE"


def test_universe_pages_cover_every_ticker_once(data_client: TestClient) -> None:
    seen: list[str] = []
    cursor: str | None = None
    while True:
        query = "limit=10" + (f"&cursor={cursor}" if cursor else "")
        page = data_client.get(f"/api/v1/data/universe?{query}").json()["data"]
        seen += [item["ticker"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(seen)
    assert len(seen) == len(set(seen)) == page["total"]
    assert {"SP500", "NASDAQ"} <= set(seen)


def test_universe_filter_and_bad_cursor(data_client: TestClient) -> None:
    failed = data_client.get("/api/v1/data/universe?status=failed").json()["data"]
    assert failed == {"items": [], "next_cursor": None, "total": 0}
    bad = data_client.get("/api/v1/data/universe?cursor=zzzz")
    assert bad.status_code == 422
    assert bad.json()["error"]["details"][0]["loc"] == ["query", "cursor"]


def test_bars_are_ascending_and_limit_keeps_the_latest(data_client: TestClient) -> None:
    everything = data_client.get("/api/v1/data/tickers/SP500/bars").json()["data"]
    assert everything["count"] == 5031
    dates = [bar["date"] for bar in everything["bars"]]
    assert dates == sorted(dates)
    latest = data_client.get("/api/v1/data/tickers/SP500/bars?limit=3").json()["data"]
    assert latest["bars"] == everything["bars"][-3:]
    window = data_client.get(
        "/api/v1/data/tickers/SP500/bars?start=2008-09-15&end=2008-09-19"
    ).json()["data"]
    assert [bar["date"] for bar in window["bars"]] == [
        "2008-09-15", "2008-09-16", "2008-09-17", "2008-09-18", "2008-09-19",
    ]  # fmt: skip


def test_benchmark_bars_are_the_real_index(data_client: TestClient) -> None:
    from arch.data import sp500

    reference = sp500.load()
    bars = data_client.get("/api/v1/data/tickers/SP500/bars?limit=1").json()["data"]["bars"]
    last = reference.iloc[-1]
    assert bars[0]["date"] == reference.index[-1].strftime("%Y-%m-%d")
    assert bars[0]["close"] == pytest.approx(float(last["Close"]), abs=1e-3)
    assert bars[0]["adj_close"] == pytest.approx(float(last["Adj Close"]), abs=1e-3)


@pytest.mark.parametrize(
    "query", ["start=2010-01-10&end=2010-01-01", "start=2010-13-01", "start=yesterday"]
)
def test_bad_date_ranges_are_422(data_client: TestClient, query: str) -> None:
    reply = data_client.get(f"/api/v1/data/tickers/SP500/bars?{query}")
    assert reply.status_code == 422
    assert reply.json()["error"]["details"][0]["loc"][0] == "query"


def test_unknown_ticker_is_404(data_client: TestClient) -> None:
    for path in ("/api/v1/data/tickers/NOPE", "/api/v1/data/tickers/NOPE/bars"):
        reply = data_client.get(path)
        assert reply.status_code == 404
        assert reply.json()["error"]["code"] == "NOT_FOUND"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/data/tickers/..%2F..%2Fetc/bars",
        "/api/v1/data/tickers/%2E%2E/bars",
        "/api/v1/data/tickers/..%5C..%5Cmanifest/bars",
        "/api/v1/data/tickers/sp500/bars",
        "/api/v1/data/tickers/A%00B/bars",
        "/api/v1/data/tickers/..%252F..%252Fetc%252Fpasswd",
    ],
)
def test_traversal_attempts_never_reach_the_filesystem(data_client: TestClient, path: str) -> None:
    reply = data_client.get(path)
    assert reply.status_code in {404, 422}
    assert reply.json()["ok"] is False


def test_second_identical_request_is_cached_until_a_refresh(data_client: TestClient) -> None:
    url = "/api/v1/data/tickers/SP500/bars?start=2018-01-01"
    first = data_client.get(url).json()
    second = data_client.get(url).json()
    assert first["meta"]["cached"] is False
    assert second["meta"]["cached"] is True
    assert second["data"] == first["data"]
    job = data_client.post("/api/v1/data/refresh", json={"force": False}).json()["data"]
    _wait_for_jobs(data_client)
    assert data_client.get(f"/api/v1/jobs/{job['job_id']}").json()["data"]["status"] == "succeeded"
    assert data_client.get(url).json()["meta"]["cached"] is False


def test_quality_report_of_the_sample_is_clean(data_client: TestClient) -> None:
    report = data_client.get("/api/v1/data/quality").json()["data"]
    summary = report["summary"]
    assert summary["failed"] == 0
    assert summary["rows_read"] == summary["rows_stored"] + summary["rows_quarantined"]
    assert len(report["entries"]) == summary["sources"]


def test_yahoo_layout_file_round_trips(tmp_path: Path) -> None:
    folder = tmp_path / "yahoo"
    folder.mkdir()
    rows = pd.DataFrame(
        {
            "Date": ["2021-03-01", "2021-03-02", "2021-03-03"],
            "Open": [10.0, 10.5, 10.25],
            "High": [11.0, 10.75, 10.5],
            "Low": [9.5, 10.0, 9.75],
            "Close": [10.5, 10.25, 10.0],
            "Adj Close": [10.4, 10.15, 9.9],
            "Volume": [1000, 1500, 1200],
        }
    )
    rows.to_csv(folder / "ACME.csv", index=False)
    settings = Settings(home=tmp_path / "home", env="dev", data_dir=folder)
    with TestClient(create_app(settings)) as client:
        _wait_for_jobs(client)
        bars = client.get("/api/v1/data/tickers/ACME/bars").json()["data"]["bars"]
        mode = client.get("/api/v1/data/mode").json()["data"]
    assert mode["mode"] == "directory"
    assert mode["synthetic"] is False
    assert [bar["date"] for bar in bars] == list(rows["Date"])
    assert [bar["adj_close"] for bar in bars] == list(rows["Adj Close"])
    assert [bar["close"] for bar in bars] == list(rows["Close"])
    assert [bar["volume"] for bar in bars] == list(rows["Volume"].astype(float))


@pytest.mark.skipif(not SP500.is_dir(), reason="../shared/data/sp500_5yr absent")
def test_real_sp500_import_counts_missing_values_like_pandas(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home", env="dev", data_dir=SP500)
    with TestClient(create_app(settings)) as client:
        jobs = _wait_for_jobs(client)
        report = client.get("/api/v1/data/quality").json()["data"]
        universe = client.get("/api/v1/data/universe?limit=1").json()["data"]
    assert jobs[0]["status"] == "succeeded"
    assert universe["total"] == 505
    independent = 0
    for path in sorted(SP500.glob("*.csv")):
        frame = pd.read_csv(path)
        independent += int(
            frame[["open", "high", "low", "close", "volume"]].isna().any(axis=1).sum()
        )
    assert report["summary"]["quarantined"]["missing_value"] == independent
    assert independent > 0


def test_refresh_where_most_files_fail_is_a_failed_job_with_its_result(tmp_path: Path) -> None:
    folder = tmp_path / "mostly-bad"
    folder.mkdir()
    (folder / "GOOD.csv").write_text(
        "date,open,high,low,close,volume\n2021-03-01,10,11,9,10.5,1000\n"
    )
    for name in ("BAD1.csv", "BAD2.csv"):
        (folder / name).write_bytes(b"\x89PNG\x00\x00 binary garbage \xff\xfe")
    settings = Settings(home=tmp_path / "home", env="dev", data_dir=folder)
    with TestClient(create_app(settings)) as client:
        job = _wait_for_jobs(client)[0]
        universe = client.get("/api/v1/data/universe").json()["data"]
    assert job["status"] == "failed"
    assert job["error"]["code"] == "ITEMS_FAILED"
    assert job["error"]["message"] == "2 of 3 sources failed"
    assert job["result"]["tickers_failed"] == 2
    assert {failure["source_file"] for failure in job["result"]["failed"]} == {
        "BAD1.csv",
        "BAD2.csv",
    }
    assert [item["ticker"] for item in universe["items"]] == ["GOOD"]


def test_refresh_of_a_missing_folder_fails_with_data_source_unavailable(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home", env="dev", data_dir=tmp_path / "nowhere")
    with TestClient(create_app(settings)) as client:
        job = _wait_for_jobs(client)[0]
    assert job["status"] == "failed"
    assert job["error"]["code"] == "DATA_SOURCE_UNAVAILABLE"
