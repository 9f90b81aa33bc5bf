import { describe, expect, it } from "vitest";
import { arrayBoundsOf } from "./bounds";
import { barScale, formatMetric, formatSignedPercent, parseHorizons, parseTickers } from "./research";

describe("horizons input", () => {
  const bounds = arrayBoundsOf("TrainRequest", "horizons");

  it("reads comma-separated whole numbers, keeping their order", () => {
    expect(parseHorizons("5", bounds)).toEqual({ ok: true, value: [5] });
    expect(parseHorizons(" 21, 5 ,63,1 ", bounds)).toEqual({ ok: true, value: [21, 5, 63, 1] });
    expect(parseHorizons("5 10", bounds)).toEqual({ ok: true, value: [5, 10] });
  });

  it("refuses what the contract refuses: empty, out of 1..63, repeated, more than 4", () => {
    expect(parseHorizons("", bounds)).toEqual({ ok: false, problem: "required" });
    expect(parseHorizons(" , ", bounds)).toEqual({ ok: false, problem: "required" });
    expect(parseHorizons("0", bounds)).toEqual({ ok: false, problem: "0 must be ≥ 1" });
    expect(parseHorizons("5, 64", bounds)).toEqual({ ok: false, problem: "64 must be ≤ 63" });
    expect(parseHorizons("5, 10, 5", bounds)).toEqual({ ok: false, problem: "5 is listed twice" });
    expect(parseHorizons("1,2,3,4,5", bounds)).toEqual({ ok: false, problem: "give at most 4" });
    expect(parseHorizons("2.5", bounds)).toEqual({ ok: false, problem: "“2.5” is not a whole number" });
    expect(parseHorizons("five", bounds)).toEqual({ ok: false, problem: "“five” is not a whole number" });
  });

  it("uses the bounds it is given", () => {
    expect(parseHorizons("", { items: {} })).toEqual({ ok: true, value: [] });
    expect(parseHorizons("1,2", { minItems: 3, items: {} })).toEqual({ ok: false, problem: "give at least 3" });
    expect(parseHorizons("7,7", { items: {} })).toEqual({ ok: true, value: [7, 7] });
  });
});

describe("tickers input", () => {
  it("splits on commas and spaces, upper-cases and drops duplicates", () => {
    expect(parseTickers("aapl, MSFT  brk.b,AAPL,, ")).toEqual(["AAPL", "MSFT", "BRK.B"]);
    expect(parseTickers("   ")).toEqual([]);
  });
});

describe("metric formatting", () => {
  it("shows null, undefined and non-finite metrics as a dash", () => {
    expect(formatMetric(null)).toBe("—");
    expect(formatMetric(undefined)).toBe("—");
    expect(formatMetric(Number.NaN)).toBe("—");
    expect(formatMetric(0.012345)).toBe("0.0123");
    expect(formatMetric(-0.5, 2)).toBe("-0.50");
    expect(formatMetric(0)).toBe("0.0000");
  });

  it("formats scores as signed percentages", () => {
    expect(formatSignedPercent(0.0125)).toBe("+1.25%");
    expect(formatSignedPercent(-0.003)).toBe("-0.30%");
    expect(formatSignedPercent(0)).toBe("0.00%");
    expect(formatSignedPercent(null)).toBe("—");
  });
});

describe("bar chart scaling", () => {
  it("always includes zero, so positive bars grow from the baseline", () => {
    const scale = barScale([0.02, 0.04], 100, 0);
    expect(scale.min).toBe(0);
    expect(scale.max).toBe(0.04);
    expect(scale.zero).toBe(0);
    expect(scale.at(0.04)).toBe(100);
    expect(scale.at(0.02)).toBe(50);
  });

  it("puts the zero line inside the range for mixed signs, padding both ends", () => {
    const scale = barScale([-0.01, 0.03, null], 200, 0.05);
    expect(scale.min).toBeCloseTo(-0.012);
    expect(scale.max).toBeCloseTo(0.032);
    expect(scale.zero).toBeCloseTo((0.012 / 0.044) * 200);
    expect(scale.at(scale.max)).toBeCloseTo(200);
    expect(scale.at(scale.min)).toBeCloseTo(0);
  });

  it("handles all-negative, all-null, empty and all-zero series", () => {
    const negative = barScale([-2, -1], 10, 0);
    expect(negative.max).toBe(0);
    expect(negative.zero).toBe(10);
    for (const values of [[], [null, null], [0, 0]]) {
      const scale = barScale(values, 10, 0);
      expect([scale.min, scale.max, scale.zero]).toEqual([0, 1, 0]);
      expect(Number.isFinite(scale.at(0.5))).toBe(true);
    }
  });
});
