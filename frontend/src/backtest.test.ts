import { describe, expect, it } from "vitest";
import { describeVersions, formatKpi, overfittingGauge, overfittingLevel } from "./backtest";
import { candleSeries, equityLines } from "./chartData";
import type { Bar } from "./contract";

describe("backtest formatting", () => {
  it("formats each kind of metric, and null as a dash", () => {
    expect(formatKpi(0.1234, "return")).toBe("+12.34%");
    expect(formatKpi(-0.2, "return")).toBe("-20.00%");
    expect(formatKpi(0.5512, "share")).toBe("55.1%");
    expect(formatKpi(1.2345, "ratio")).toBe("1.23");
    expect(formatKpi(13042, "count")).toBe("13,042");
    expect(formatKpi(1_234_567.89, "money")).toBe("1,234,568");
    expect(formatKpi(41, "days")).toBe("41 d");
    expect(formatKpi(null, "ratio")).toBe("—");
    expect(formatKpi(undefined, "return")).toBe("—");
    expect(formatKpi(Number.NaN, "share")).toBe("—");
  });

  it("words the overfitting gauge", () => {
    expect(overfittingGauge(1)).toBe("1 backtest run on this data");
    expect(overfittingGauge(12)).toBe("12 backtests run on this data");
    expect(overfittingLevel(1)).toBe("low");
    expect(overfittingLevel(5)).toBe("medium");
    expect(overfittingLevel(40)).toBe("high");
  });

  it("shortens the versions a backtest used", () => {
    expect(describeVersions(["v3"])).toBe("v3");
    expect(describeVersions(["walk_forward:2016-01-04", "walk_forward:2016-07-05"])).toBe(
      "walk-forward (2 retrainings)",
    );
    expect(describeVersions([])).toBe("—");
  });
});

describe("chart data", () => {
  it("turns bars into candles and coloured volume bars", () => {
    const bars: Bar[] = [
      { date: "2018-01-02", open: 10, high: 11, low: 9, close: 10.5, adj_close: 10.5, volume: 100 },
      { date: "2018-01-03", open: 10.5, high: 10.6, low: 9.5, close: 10, adj_close: 10, volume: 250 },
    ];
    const { candles, volume } = candleSeries(bars);
    expect(candles).toEqual([
      { time: "2018-01-02", open: 10, high: 11, low: 9, close: 10.5 },
      { time: "2018-01-03", open: 10.5, high: 10.6, low: 9.5, close: 10 },
    ]);
    expect(volume.map((item) => item.value)).toEqual([100, 250]);
    expect(volume[0]?.color).not.toBe(volume[1]?.color);
  });

  it("splits equity points into lines, skipping missing benchmark days, drawdown in percent", () => {
    const lines = equityLines([
      { date: "2018-01-02", net: 100, gross: 100, benchmark: null, drawdown: 0 },
      { date: "2018-01-03", net: 95, gross: 96, benchmark: 101, drawdown: -0.05 },
    ]);
    expect(lines.net).toEqual([
      { time: "2018-01-02", value: 100 },
      { time: "2018-01-03", value: 95 },
    ]);
    expect(lines.gross[1]).toEqual({ time: "2018-01-03", value: 96 });
    expect(lines.benchmark).toEqual([{ time: "2018-01-03", value: 101 }]);
    expect(lines.drawdown.map((point) => point.value)).toEqual([0, -5]);
  });
});
