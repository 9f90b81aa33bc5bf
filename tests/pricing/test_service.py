"""Dispatch, validation and per-item errors of the public pricing API."""

from __future__ import annotations

from types import MappingProxyType

import numpy as np
import pytest

from quant_engine.core.errors import UnknownModelError, ValidationFailedError
from quant_engine.pricing import (
    DOMAIN,
    OptionBatch,
    get_engine_info,
    list_engines,
    price_grouped,
    price_options,
    registry,
)
from quant_engine.pricing.engine import Engine, Valuation


def one_option(**overrides: float) -> OptionBatch:
    values = {"spot": 100.0, "strike": 100.0, "time_to_expiry": 1.0, "volatility": 0.2}
    values.update(overrides)
    return OptionBatch.create(**values, rate=0.05)


def test_domain_bounds_are_the_contract_bounds() -> None:
    assert dict(DOMAIN) == {
        "spot": (1e-6, 1e9, True, True),
        "strike": (1e-6, 1e9, True, True),
        "time_to_expiry": (1e-6, 100.0, True, True),
        "volatility": (1e-4, 10.0, True, True),
        "rate": (-1.0, 1.0, True, True),
        "dividend_yield": (-1.0, 1.0, True, True),
        "price": (0.0, 1e9, False, True),
    }


def test_invalid_item_fails_alone_and_names_its_field() -> None:
    batch = OptionBatch.create(
        spot=100.0, strike=100.0, time_to_expiry=1.0, volatility=[0.2, -0.2], rate=0.05
    )
    outcome = price_options(batch, "black_scholes", {})
    assert outcome.errors[0] is None
    assert outcome.price[0] == pytest.approx(10.450583572185565, rel=1e-14)
    error = outcome.errors[1]
    assert error is not None
    assert error.code == "VALIDATION_ERROR"
    assert error.field == "volatility"
    assert error.message == "volatility must be >= 0.0001 (got -0.2)"
    for name in ("price", "delta", "gamma", "vega", "theta", "rho"):
        assert np.isnan(getattr(outcome, name)[1]), name


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("spot", float("nan"), "spot must be finite (got nan)"),
        ("strike", 2e9, "strike must be <= 1000000000 (got 2000000000.0)"),
        ("time_to_expiry", 0.0, "time_to_expiry must be >= 1e-06 (got 0.0)"),
        ("rate", -1.5, "rate must be >= -1 (got -1.5)"),
        ("dividend_yield", float("inf"), "dividend_yield must be finite (got inf)"),
        ("volatility", 10.5, "volatility must be <= 10 (got 10.5)"),
    ],
)
def test_each_domain_violation_is_reported_with_its_field(
    field: str, value: float, message: str
) -> None:
    batch = one_option().replace(**{field: np.array([value])})
    error = price_options(batch, "black_scholes", {}).errors[0]
    assert error is not None
    assert (error.code, error.field, error.message) == ("VALIDATION_ERROR", field, message)


def test_domain_edges_are_inclusive_where_the_domain_says_so() -> None:
    batch = OptionBatch.create(
        spot=1e9, strike=1e9, time_to_expiry=100.0, volatility=10.0, rate=1.0, dividend_yield=-1.0
    )
    assert price_options(batch, "black_scholes", {}).errors == (None,)


def test_american_exercise_on_european_engine_is_a_per_item_error() -> None:
    batch = one_option().take(np.array([0, 0])).replace(is_american=np.array([False, True]))
    outcome = price_options(batch, "black_scholes", {})
    error = outcome.errors[1]
    assert error is not None
    assert (error.code, error.field) == ("VALIDATION_ERROR", "exercise")
    assert outcome.errors[0] is None


def test_unknown_model_raises_and_lists_known_models() -> None:
    with pytest.raises(UnknownModelError) as raised:
        price_options(one_option(), "heston", {})
    assert "'heston'" in raised.value.message
    for name in ("black_scholes", "binomial", "monte_carlo"):
        assert name in raised.value.message


@pytest.mark.parametrize(
    ("parameters", "name"),
    [
        ({"steps": 0}, "steps"),
        ({"steps": 5001}, "steps"),
        ({"steps": 2.5}, "steps"),
        ({"steps": True}, "steps"),
        ({"steps": float("nan")}, "steps"),
        ({"depth": 3}, "depth"),
    ],
)
def test_bad_parameters_raise_validation_error_located_at_the_parameter(
    parameters: dict[str, float], name: str
) -> None:
    with pytest.raises(ValidationFailedError) as raised:
        price_options(one_option(), "binomial", parameters)
    assert [detail.loc for detail in raised.value.details] == [("parameters", name)]


def test_parameters_default_when_omitted_and_accept_numpy_integers() -> None:
    default = price_options(one_option(), "binomial", {})
    explicit = price_options(one_option(), "binomial", {"steps": np.int64(500)})
    np.testing.assert_array_equal(default.price, explicit.price)


def test_engines_are_discoverable_with_their_settings() -> None:
    engines = {info.name: info for info in list_engines()}
    assert set(engines) == {"black_scholes", "binomial", "monte_carlo"}
    assert engines["black_scholes"].exercise_styles == ("european",)
    assert engines["black_scholes"].greeks_method == "analytic"
    assert engines["binomial"].exercise_styles == ("european", "american")
    (steps,) = engines["binomial"].parameters
    assert (steps.name, steps.kind, steps.minimum, steps.maximum, steps.default) == (
        "steps",
        "integer",
        1,
        5000,
        500,
    )
    settings = {spec.name: spec for spec in engines["monte_carlo"].parameters}
    assert (settings["paths"].minimum, settings["paths"].maximum) == (1000, 2_000_000)
    assert (settings["seed"].minimum, settings["seed"].maximum) == (0, 4_294_967_295)
    assert get_engine_info("binomial") == engines["binomial"]
    with pytest.raises(UnknownModelError):
        get_engine_info("nope")


def test_grouped_prices_each_item_with_its_model_in_input_order() -> None:
    rng = np.random.default_rng(0)
    n = 12
    batch = OptionBatch.create(
        spot=rng.uniform(80.0, 120.0, n), strike=100.0, time_to_expiry=0.5, volatility=0.3
    )
    models = ["black_scholes", "binomial", "monte_carlo"] * 4
    parameters = [{}, {"steps": 50}, {"paths": 4000, "seed": 1}] * 4
    outcome = price_grouped(batch, models, parameters)
    assert outcome.errors == (None,) * n
    for offset, model in enumerate(("black_scholes", "binomial", "monte_carlo")):
        positions = np.arange(offset, n, 3)
        alone = price_options(batch.take(positions), model, parameters[offset])
        np.testing.assert_array_equal(outcome.price[positions], alone.price)
        np.testing.assert_array_equal(outcome.theta[positions], alone.theta)
    assert outcome.standard_error is not None
    assert np.isnan(outcome.standard_error[0::3]).all()
    assert np.isfinite(outcome.standard_error[2::3]).all()


def test_grouped_turns_unknown_model_and_bad_parameters_into_item_errors() -> None:
    batch = one_option().take(np.zeros(4, dtype=np.intp))
    models = ["black_scholes", "heston", "binomial", "binomial"]
    parameters = [{}, {}, {"steps": 0}, {"steps": 10}]
    outcome = price_grouped(batch, models, parameters)
    unknown, bad_steps = outcome.errors[1], outcome.errors[2]
    assert unknown is not None
    assert (unknown.code, unknown.field) == ("UNKNOWN_MODEL", "model")
    assert bad_steps is not None
    assert (bad_steps.code, bad_steps.field) == ("VALIDATION_ERROR", "parameters.steps")
    assert outcome.errors[0] is None
    assert outcome.errors[3] is None
    assert np.isnan(outcome.price[1:3]).all()
    assert np.isfinite(outcome.price[[0, 3]]).all()
    assert outcome.standard_error is None


def test_empty_batch_prices_to_empty_outcome() -> None:
    empty = one_option().take(np.array([], dtype=np.intp))
    outcome = price_options(empty, "binomial", {})
    assert outcome.price.shape == (0,)
    assert outcome.errors == ()


def test_non_finite_engine_result_is_a_calculation_failure(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken_value(batch: OptionBatch, _parameters: object) -> Valuation:
        price = np.where(batch.spot > 100.0, np.inf, 1.0)
        ones = np.ones(len(batch))
        return Valuation(price, ones, ones, ones, ones, ones, None)

    black_scholes = registry.ENGINES["black_scholes"]
    broken = Engine(info=black_scholes.info, value=broken_value, price=black_scholes.price)
    monkeypatch.setattr(registry, "ENGINES", MappingProxyType({"black_scholes": broken}))
    batch = OptionBatch.create(spot=[90.0, 110.0], strike=100.0, time_to_expiry=1.0, volatility=0.2)
    outcome = price_options(batch, "black_scholes", {})
    assert outcome.errors[0] is None
    error = outcome.errors[1]
    assert error is not None
    assert error.code == "CALCULATION_FAILED"
    assert "price" in error.message
    assert np.isnan(outcome.delta[1])
    assert outcome.price[0] == 1.0


def test_batch_columns_must_share_one_length() -> None:
    with pytest.raises(ValueError, match="equal length"):
        OptionBatch(
            spot=np.ones(2),
            strike=np.ones(3),
            time_to_expiry=np.ones(2),
            rate=np.ones(2),
            volatility=np.ones(2),
            dividend_yield=np.ones(2),
            is_call=np.ones(2, dtype=bool),
            is_american=np.zeros(2, dtype=bool),
        )
