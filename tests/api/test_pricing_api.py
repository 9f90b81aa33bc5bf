"""Pricing operations over HTTP: validation, per-item errors, limits, reference values."""

from __future__ import annotations

import math

import pytest
from fastapi.testclient import TestClient
from scipy.stats import norm

ATM_CALL = {
    "spot": 100.0,
    "strike": 100.0,
    "time_to_expiry": 1.0,
    "rate": 0.05,
    "volatility": 0.2,
    "option_type": "call",
}


def _reference_call(spot: float, strike: float, years: float, rate: float, vol: float) -> float:
    """Black–Scholes call from scipy's normal CDF (independent of the engine)."""
    d1 = (math.log(spot / strike) + (rate + 0.5 * vol * vol) * years) / (vol * math.sqrt(years))
    d2 = d1 - vol * math.sqrt(years)
    return float(spot * norm.cdf(d1) - strike * math.exp(-rate * years) * norm.cdf(d2))


def test_price_option_matches_closed_form(client: TestClient) -> None:
    reply = client.post("/api/v1/pricing/price", json=ATM_CALL)
    assert reply.status_code == 200
    data = reply.json()["data"]
    assert data["price"] == pytest.approx(_reference_call(100, 100, 1, 0.05, 0.2), rel=1e-12)
    assert data["model"] == "black_scholes"
    assert data["standard_error"] is None
    greeks = data["greeks"]
    assert greeks["theta_per_day"] == pytest.approx(greeks["theta"] / 365, rel=1e-12)
    assert greeks["delta"] == pytest.approx(norm.cdf(0.35), rel=1e-12)


@pytest.mark.parametrize(
    ("field", "value"),
    [("spot", 0), ("spot", -5), ("volatility", 0), ("time_to_expiry", 101), ("rate", 2)],
)
def test_out_of_domain_single_option_is_422_naming_field(
    client: TestClient, field: str, value: float
) -> None:
    reply = client.post("/api/v1/pricing/price", json={**ATM_CALL, field: value})
    assert reply.status_code == 422
    error = reply.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert error["details"][0]["loc"] == ["body", field]


def test_unknown_field_and_explicit_null_are_rejected(client: TestClient) -> None:
    unknown = client.post("/api/v1/pricing/price", json={**ATM_CALL, "colour": "red"})
    assert unknown.status_code == 422
    assert unknown.json()["error"]["details"][0]["loc"] == ["body", "colour"]
    null = client.post("/api/v1/pricing/price", json={**ATM_CALL, "parameters": {"steps": None}})
    assert null.status_code == 422
    assert null.json()["error"]["details"][0]["loc"] == ["body", "parameters", "steps"]


def test_boolean_is_not_a_number(client: TestClient) -> None:
    reply = client.post("/api/v1/pricing/price", json={**ATM_CALL, "spot": True})
    assert reply.status_code == 422


def test_unknown_model_is_400(client: TestClient) -> None:
    reply = client.post("/api/v1/pricing/price", json={**ATM_CALL, "model": "heston_typo"})
    assert reply.status_code == 400
    error = reply.json()["error"]
    assert error["code"] == "UNKNOWN_MODEL"
    assert "heston_typo" in error["message"]


def test_parameter_of_another_engine_is_422(client: TestClient) -> None:
    reply = client.post("/api/v1/pricing/price", json={**ATM_CALL, "parameters": {"steps": 10}})
    assert reply.status_code == 422
    assert reply.json()["error"]["code"] == "VALIDATION_ERROR"


def test_american_put_on_binomial_is_at_least_european(client: TestClient) -> None:
    put = {**ATM_CALL, "option_type": "put", "model": "binomial", "parameters": {"steps": 200}}
    american = client.post("/api/v1/pricing/price", json={**put, "exercise": "american"})
    european = client.post("/api/v1/pricing/price", json=put)
    assert american.status_code == european.status_code == 200
    assert american.json()["data"]["price"] >= european.json()["data"]["price"]


def test_monte_carlo_reports_standard_error(client: TestClient) -> None:
    body = {**ATM_CALL, "model": "monte_carlo", "parameters": {"paths": 20000, "seed": 7}}
    first = client.post("/api/v1/pricing/price", json=body).json()["data"]
    second = client.post("/api/v1/pricing/price", json=body).json()["data"]
    assert first["price"] == second["price"]
    assert first["standard_error"] > 0
    reference = _reference_call(100, 100, 1, 0.05, 0.2)
    assert abs(first["price"] - reference) < 4 * first["standard_error"]


def test_batch_prices_valid_item_and_reports_bad_one(client: TestClient) -> None:
    bad = {**ATM_CALL, "volatility": -0.2}
    reply = client.post("/api/v1/pricing/batch", json={"options": [ATM_CALL, bad]})
    assert reply.status_code == 200
    data = reply.json()["data"]
    assert (data["priced"], data["failed"]) == (1, 1)
    good, failed = data["results"]
    assert good["index"] == 0
    assert good["ok"] is True
    assert good["price"] == pytest.approx(_reference_call(100, 100, 1, 0.05, 0.2), rel=1e-12)
    assert failed["index"] == 1
    assert failed["ok"] is False
    assert failed["error"]["code"] == "VALIDATION_ERROR"
    assert failed["error"]["field"] == "volatility"
    assert "volatility" in failed["error"]["message"]


def test_batch_unknown_model_is_per_item(client: TestClient) -> None:
    items = [ATM_CALL, {**ATM_CALL, "model": "heston_typo"}]
    results = client.post("/api/v1/pricing/batch", json={"options": items}).json()["data"]
    assert results["results"][0]["ok"] is True
    assert results["results"][1]["error"]["code"] == "UNKNOWN_MODEL"


def test_batch_structural_problem_rejects_request(client: TestClient) -> None:
    missing = {k: v for k, v in ATM_CALL.items() if k != "strike"}
    reply = client.post("/api/v1/pricing/batch", json={"options": [ATM_CALL, missing]})
    assert reply.status_code == 422
    assert reply.json()["error"]["details"][0]["loc"] == ["body", "options", 1, "strike"]
    wrong_type = client.post("/api/v1/pricing/batch", json={"options": [{**ATM_CALL, "spot": "x"}]})
    assert wrong_type.status_code == 422


def test_batch_over_limit_is_413(client: TestClient) -> None:
    options = [ATM_CALL] * 100_001
    reply = client.post("/api/v1/pricing/batch", json={"options": options})
    assert reply.status_code == 413
    assert reply.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"


def test_unparseable_batch_is_400(client: TestClient) -> None:
    reply = client.post(
        "/api/v1/pricing/batch",
        content=b'{"options": [',
        headers={"Content-Type": "application/json"},
    )
    assert reply.status_code == 400
    assert reply.json()["error"]["code"] == "BAD_REQUEST"


def test_implied_volatility_round_trips(client: TestClient) -> None:
    price = _reference_call(100, 110, 0.5, 0.03, 0.27)
    body = {k: v for k, v in ATM_CALL.items() if k != "volatility"}
    body |= {"strike": 110, "time_to_expiry": 0.5, "rate": 0.03, "price": price}
    reply = client.post("/api/v1/pricing/implied-volatility", json=body)
    assert reply.status_code == 200
    assert reply.json()["data"]["implied_volatility"] == pytest.approx(0.27, abs=1e-9)


def test_implied_volatility_outside_bounds_is_calculation_failed(client: TestClient) -> None:
    body = {k: v for k, v in ATM_CALL.items() if k != "volatility"} | {"price": 150.0}
    reply = client.post("/api/v1/pricing/implied-volatility", json=body)
    assert reply.status_code == 422
    error = reply.json()["error"]
    assert error["code"] == "CALCULATION_FAILED"
    assert "bound" in error["message"]


def test_implied_volatility_batch_has_per_item_errors(client: TestClient) -> None:
    base = {k: v for k, v in ATM_CALL.items() if k != "volatility"}
    good_price = _reference_call(100, 100, 1, 0.05, 0.3)
    items = [base | {"price": good_price}, base | {"price": 150.0}, base | {"price": -1.0}]
    data = client.post("/api/v1/pricing/implied-volatility/batch", json={"items": items}).json()
    results = data["data"]["results"]
    assert results[0]["implied_volatility"] == pytest.approx(0.3, abs=1e-9)
    assert results[1]["error"]["code"] == "CALCULATION_FAILED"
    assert results[2]["error"]["code"] == "VALIDATION_ERROR"
    assert results[2]["error"]["field"] == "price"


def test_models_are_listed_with_parameters(client: TestClient) -> None:
    models = client.get("/api/v1/pricing/models").json()["data"]["models"]
    by_name = {model["name"]: model for model in models}
    assert set(by_name) >= {"black_scholes", "binomial", "monte_carlo"}
    assert by_name["black_scholes"]["greeks_method"] == "analytic"
    assert "american" in by_name["binomial"]["exercise_styles"]
    steps = {p["name"]: p for p in by_name["binomial"]["parameters"]}["steps"]
    assert (steps["minimum"], steps["maximum"], steps["kind"]) == (1, 5000, "integer")


def test_batch_response_validates_against_the_generated_envelope(client: TestClient) -> None:
    from qe_contract.models import OptionBatchEnvelope

    items = [
        ATM_CALL,
        {**ATM_CALL, "model": "monte_carlo", "parameters": {"paths": 2000, "seed": 1}},
        {**ATM_CALL, "model": "binomial", "exercise": "american", "option_type": "put"},
        {**ATM_CALL, "spot": -1},
        {**ATM_CALL, "model": "nope"},
    ]
    reply = client.post("/api/v1/pricing/batch", json={"options": items})
    envelope = OptionBatchEnvelope.model_validate_json(reply.content)
    results = envelope.data.results
    assert [result.ok for result in results] == [True, True, True, False, False]
    assert reply.json()["data"]["results"][0]["standard_error"] is None
    assert reply.json()["data"]["results"][1]["standard_error"] > 0


def test_contract_bounds_match_the_engine_domain() -> None:
    from pathlib import Path

    import yaml

    from quant_engine import pricing

    contract = yaml.safe_load(
        (Path(__file__).resolve().parents[2] / "openapi" / "openapi.yaml").read_text()
    )
    request = contract["components"]["schemas"]["OptionPriceRequest"]["properties"]
    for field in ("spot", "strike", "time_to_expiry", "rate", "volatility", "dividend_yield"):
        low, high, low_inclusive, high_inclusive = pricing.DOMAIN[field]
        schema = request[field]
        assert schema.get("minimum" if low_inclusive else "exclusiveMinimum") == low, field
        assert schema.get("maximum" if high_inclusive else "exclusiveMaximum") == high, field
    declared = contract["components"]["schemas"]["PricingParameters"]["properties"]
    for engine in pricing.list_engines():
        for spec in engine.parameters:
            assert declared[spec.name]["minimum"] == spec.minimum, spec.name
            assert declared[spec.name]["maximum"] == spec.maximum, spec.name


def test_huge_integer_parameter_fails_its_item_only(client: TestClient) -> None:
    body = (
        b'{"options": [{"spot": 100, "strike": 100, "time_to_expiry": 1, "rate": 0.05,'
        b' "volatility": 0.2, "option_type": "call"}, {"spot": 100, "strike": 100,'
        b' "time_to_expiry": 1, "rate": 0.05, "volatility": 0.2, "option_type": "call",'
        b' "model": "monte_carlo", "parameters": {"seed": 1' + b"0" * 400 + b"}}]}"
    )
    reply = client.post(
        "/api/v1/pricing/batch", content=body, headers={"Content-Type": "application/json"}
    )
    assert reply.status_code == 200
    first, second = reply.json()["data"]["results"]
    assert first["ok"] is True
    assert second["error"]["code"] == "VALIDATION_ERROR"
    assert second["error"]["field"] == "parameters.seed"


def test_batch_over_the_engine_work_budget_is_413(client: TestClient) -> None:
    tree = {**ATM_CALL, "model": "binomial", "parameters": {"steps": 5000}}
    reply = client.post("/api/v1/pricing/batch", json={"options": [tree] * 101})
    assert reply.status_code == 413
    message = reply.json()["error"]["message"]
    assert "2.52e+09 binomial tree nodes" in message
    paths = {**ATM_CALL, "model": "monte_carlo"}  # default 100,000 paths each
    assert client.post("/api/v1/pricing/batch", json={"options": [paths] * 2001}).status_code == 413
    within = client.post("/api/v1/pricing/batch", json={"options": [tree] * 2})
    assert within.status_code == 200


def test_contract_engine_enum_is_the_engine_registry() -> None:
    from pathlib import Path

    import yaml

    from quant_engine import pricing

    contract = yaml.safe_load(
        (Path(__file__).resolve().parents[2] / "openapi" / "openapi.yaml").read_text()
    )
    enum = contract["components"]["schemas"]["PricingModelName"]["enum"]
    assert enum == [engine.name for engine in pricing.list_engines()]


def test_unknown_model_with_another_bad_field_is_a_validation_error(client: TestClient) -> None:
    reply = client.post(
        "/api/v1/pricing/price", json={**ATM_CALL, "model": "heston_typo", "spot": -1}
    )
    assert reply.status_code == 422
    locs = {tuple(detail["loc"]) for detail in reply.json()["error"]["details"]}
    assert locs == {("body", "model"), ("body", "spot")}


def test_unknown_implied_volatility_model_is_400(client: TestClient) -> None:
    body = {k: v for k, v in ATM_CALL.items() if k != "volatility"}
    reply = client.post(
        "/api/v1/pricing/implied-volatility", json={**body, "price": 10.0, "model": "sabr"}
    )
    assert reply.status_code == 400
    assert reply.json()["error"]["code"] == "UNKNOWN_MODEL"
    assert "known models: black_scholes, binomial, monte_carlo" in reply.json()["error"]["message"]
