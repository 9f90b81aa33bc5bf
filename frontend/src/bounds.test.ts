import { describe, expect, it } from "vitest";
import { boundsOf, boundsProblem, describeBounds } from "./bounds";

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
