import { describe, expect, it } from "vitest";
import { arrayBoundsOf, boundsOf, boundsProblem, defaultOf, describeBounds, parameterBoundsOf } from "./bounds";

describe("bounds from the contract", () => {
  it("reads the request schemas' numeric bounds from openapi.yaml", () => {
    expect(boundsOf("OptionPriceRequest", "volatility")).toEqual({ minimum: 0.0001, maximum: 10 });
    expect(boundsOf("OptionPriceRequest", "time_to_expiry")).toEqual({ minimum: 0.000001, maximum: 100 });
    expect(boundsOf("OptionPriceRequest", "rate")).toEqual({ minimum: -1, maximum: 1 });
    expect(boundsOf("ImpliedVolatilityRequest", "price")).toMatchObject({ exclusiveMinimum: 0 });
  });

  it("says why a value is out of bounds, and accepts the edges the contract allows", () => {
    const volatility = boundsOf("OptionPriceRequest", "volatility");
    expect(boundsProblem(0, volatility)).toBe("must be ≥ 0.0001");
    expect(boundsProblem(-0.2, volatility)).toBe("must be ≥ 0.0001");
    expect(boundsProblem(0.0001, volatility)).toBeNull();
    expect(boundsProblem(10.5, volatility)).toBe("must be ≤ 10");
    expect(boundsProblem(10, volatility)).toBeNull();
    expect(boundsProblem(Number.NaN, volatility)).toBe("must be a finite number");
    const rate = boundsOf("OptionPriceRequest", "rate");
    expect(boundsProblem(-1, rate)).toBeNull();
    expect(boundsProblem(-1.01, rate)).toBe("must be ≥ -1");
  });

  it("describes bounds for a form hint", () => {
    expect(describeBounds({ exclusiveMinimum: 0, maximum: 10 })).toBe("0 < x ≤ 10");
    expect(describeBounds({})).toBe("");
  });
});

describe("defaults and array bounds from the contract", () => {
  it("reads the train request's defaults", () => {
    expect(defaultOf("TrainRequest", "horizons")).toEqual([5]);
    expect(defaultOf("TrainRequest", "feature_mode")).toBe("core");
    expect(defaultOf("TrainRequest", "survivorship")).toBe(true);
    expect(defaultOf("TrainRequest", "full_universe")).toBe(false);
    expect(defaultOf("TrainRequest", "years")).toBe(15);
    expect(defaultOf("TrainRequest", "folds")).toBe(5);
    expect(defaultOf("TrainRequest", "embargo_days")).toBe(5);
    expect(defaultOf("TrainRequest", "seed")).toBe(0);
    expect(defaultOf("TrainRequest", "end")).toBeUndefined();
    expect(defaultOf("LightGBMParams", "num_leaves")).toBe(31);
    expect(defaultOf("LightGBMParams", "learning_rate")).toBe(0.05);
    expect(defaultOf("LightGBMParams", "n_estimators")).toBe(200);
    expect(defaultOf("LightGBMParams", "min_data_in_leaf")).toBe(200);
    expect(defaultOf("LightGBMParams", "feature_fraction")).toBe(0.8);
    expect(defaultOf("SignalsRequest", "version")).toBe("champion");
  });

  it("reads the train request's bounds, including the $ref'd Horizon and the horizons array", () => {
    expect(boundsOf("TrainRequest", "years")).toEqual({ minimum: 1, maximum: 50 });
    expect(boundsOf("TrainRequest", "folds")).toEqual({ minimum: 2, maximum: 10 });
    expect(boundsOf("TrainRequest", "embargo_days")).toEqual({ minimum: 0, maximum: 63 });
    expect(boundsOf("TrainRequest", "seed")).toEqual({ minimum: 0, maximum: 2147483647 });
    expect(boundsOf("LightGBMParams", "feature_fraction")).toEqual({ minimum: 0.1, maximum: 1 });
    expect(boundsOf("SignalsRequest", "horizon")).toEqual({ minimum: 1, maximum: 63 });
    expect(arrayBoundsOf("TrainRequest", "horizons")).toEqual({
      minItems: 1,
      maxItems: 4,
      uniqueItems: true,
      items: { minimum: 1, maximum: 63 },
    });
    expect(arrayBoundsOf("SignalsRequest", "tickers")).toMatchObject({ minItems: 1, maxItems: 5000, uniqueItems: true });
  });
});

describe("query parameter bounds from the contract", () => {
  it("reads an operation's query parameter bounds, including a $ref'd Horizon", () => {
    expect(parameterBoundsOf("getHealthHistory", "limit")).toEqual({ minimum: 1, maximum: 110000 });
    expect(parameterBoundsOf("getIcHistory", "window")).toEqual({ minimum: 1, maximum: 252 });
    expect(parameterBoundsOf("getIcHistory", "horizon")).toEqual({ minimum: 1, maximum: 63 });
  });

  it("is empty for a parameter without bounds", () => {
    expect(parameterBoundsOf("getHealthHistory", "since")).toEqual({});
  });
});
