"""A/B tests over HTTP: SHA-256 assignment of the stored universe, per-arm realized returns
on independently computed labels, Welch and Mann–Whitney statistics equal to scipy's,
validation, stop and conflicts."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from qe_contract.models import AbTestDetailEnvelope, AbTestEnvelope, AbTestListEnvelope
from scipy.stats import mannwhitneyu, spearmanr, ttest_ind

from quant_engine.api.app import create_app
from quant_engine.core.settings import Settings
from quant_engine.data import Store
from tests.api.test_health_api import (
    API,
    SIGNAL_DATES,
    _error,
    _independent_labels,
    tracked_home,
    tracked_settings,
)

__all__ = ["tracked_home", "tracked_settings"]  # fixtures shared with the health tests
BODY: dict[str, Any] = {
    "name": "v1 vs v2",
    "arms": [{"version": "v1", "weight": 0.5}, {"version": "v2", "weight": 0.5}],
    "salt": "fixed-salt",
    "top_n": 5,
}


@pytest.fixture
def ab_client(tracked_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(tracked_settings)) as client:
        yield client


def _create(client: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    reply = client.post(f"{API}/ab-tests", json=body)
    assert reply.status_code == 201, reply.text
    AbTestEnvelope.model_validate_json(reply.content)
    data: dict[str, Any] = reply.json()["data"]
    assert reply.headers["Location"] == f"{API}/ab-tests/{data['test_id']}"
    return data


def _arm_of(ticker: str, salt: str) -> int:
    bucket = int.from_bytes(hashlib.sha256(f"{salt}:{ticker}".encode()).digest(), "big") % 10000
    return 0 if bucket < 5000 else 1


def test_assignment_arms_and_statistics_against_independent_references(
    ab_client: TestClient, tracked_settings: Settings
) -> None:
    test = _create(ab_client, BODY)
    assert test["status"] == "running"
    assert test["horizon"] == 5
    reply = ab_client.get(f"{API}/ab-tests/{test['test_id']}")
    assert reply.status_code == 200, reply.text
    detail = AbTestDetailEnvelope.model_validate_json(reply.content).data
    stocks = [
        item["ticker"]
        for item in ab_client.get(f"{API}/data/universe?limit=1000").json()["data"]["items"]
        if item["kind"] == "stock"
    ]
    assert detail.assignments == {t: _arm_of(t, "fixed-salt") for t in stocks}
    assert [arm.tickers for arm in detail.arms] == [
        sum(1 for t in stocks if _arm_of(t, "fixed-salt") == i) for i in (0, 1)
    ]
    store = Store(tracked_settings.store_dir)
    daily: list[list[float]] = [[], []]
    for index, version in enumerate(("v1", "v2")):
        arm = detail.arms[index]
        expected_days = []
        for as_of in SIGNAL_DATES[:2]:  # the last date has not matured
            rows = ab_client.get(f"{API}/signals?version={version}&as_of={as_of}").json()["data"][
                "signals"
            ]
            own = [row for row in rows if detail.assignments.get(row["ticker"]) == index]
            top = sorted(own, key=lambda row: (-row["score"], row["ticker"]))[:5]
            realized = _independent_labels(store, [row["ticker"] for row in top], as_of)
            expected_days.append((as_of, float(np.nanmean(realized))))
            everything = _independent_labels(store, [row["ticker"] for row in own], as_of)
            keep = np.isfinite(everything)
            scores = np.array([row["score"] for row in own])
            rank_ic = spearmanr(scores[keep], everything[keep])[0]
            day = next(d for d in arm.days if d.date.isoformat() == as_of)
            assert day.rank_ic == pytest.approx(rank_ic, abs=1e-12)
        assert [(d.date.isoformat(), d.mean_return) for d in arm.days] == [
            (as_of, pytest.approx(value, abs=1e-12)) for as_of, value in expected_days
        ]
        daily[index] = [value for _, value in expected_days]
    welch = ttest_ind(daily[0], daily[1], equal_var=False)
    mwu = mannwhitneyu(daily[0], daily[1], alternative="two-sided")
    stats = detail.statistics
    assert stats.dates == 2
    assert stats.welch_t == pytest.approx(welch.statistic, rel=1e-12)
    assert stats.welch_p == pytest.approx(welch.pvalue, rel=1e-12)
    assert stats.mann_whitney_u == pytest.approx(mwu.statistic)
    assert stats.mann_whitney_p == pytest.approx(mwu.pvalue, rel=1e-12)


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        (
            {"arms": [{"version": "v1", "weight": 0.5}, {"version": "v7", "weight": 0.5}]},
            ["body", "arms", 1, "version"],
        ),
        (
            {"arms": [{"version": "v1", "weight": 0.5}, {"version": "v2", "weight": 0.4}]},
            ["body", "arms"],
        ),
        ({"horizon": 21}, ["body", "arms", 0, "version"]),
    ],
)
def test_invalid_tests_are_refused_naming_the_field(
    ab_client: TestClient, change: dict[str, Any], loc: list[Any]
) -> None:
    error = _error(
        ab_client.post(f"{API}/ab-tests", json={**BODY, **change}), 422, "VALIDATION_ERROR"
    )
    assert loc in [detail["loc"] for detail in error["details"]]
    assert ab_client.get(f"{API}/ab-tests").json()["data"]["items"] == []


def test_stop_list_and_conflicts(ab_client: TestClient) -> None:
    first = _create(ab_client, BODY)
    second = _create(ab_client, {**BODY, "name": "second", "salt": None} | {"salt": "other"})
    listed = AbTestListEnvelope.model_validate_json(ab_client.get(f"{API}/ab-tests").content)
    assert [t.test_id for t in listed.data.items] == [second["test_id"], first["test_id"]]
    stopped = ab_client.post(f"{API}/ab-tests/{first['test_id']}/stop")
    assert stopped.status_code == 200, stopped.text
    assert stopped.json()["data"]["status"] == "stopped"
    assert stopped.json()["data"]["stopped_at"] is not None
    _error(ab_client.post(f"{API}/ab-tests/{first['test_id']}/stop"), 409, "CONFLICT")
    _error(ab_client.get(f"{API}/ab-tests/{'0' * 32}"), 404, "NOT_FOUND")
    # the stopped test keeps its assignment and results
    assert ab_client.get(f"{API}/ab-tests/{first['test_id']}").status_code == 200


def test_tests_survive_a_restart(tracked_settings: Settings) -> None:
    with TestClient(create_app(tracked_settings)) as client:
        created = _create(client, BODY)
    with TestClient(create_app(tracked_settings)) as client:
        again = client.get(f"{API}/ab-tests/{created['test_id']}").json()["data"]["test"]
    assert again == created


def test_default_salt_is_random_and_stored(ab_client: TestClient, tmp_path: Path) -> None:
    body = {key: value for key, value in BODY.items() if key != "salt"}
    salts = {_create(ab_client, body)["salt"] for _ in range(2)}
    assert len(salts) == 2
    assert all(len(salt) == 16 for salt in salts)
