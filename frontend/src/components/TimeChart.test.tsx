// The chart wrapper against a mocked lightweight-charts (jsdom has no canvas): it creates
// the chart in its container, adds the declared series with their data, replaces them when
// the declaration changes, follows the container's width, and removes the chart on unmount.
import { act, render } from "@testing-library/react";
import type { UTCTimestamp } from "lightweight-charts";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

const lib = vi.hoisted(() => {
  type FakeSeries = { definition: string; options: unknown; setData: ReturnType<typeof vi.fn>; priceScale: () => { applyOptions: ReturnType<typeof vi.fn> } };
  const state = {
    charts: [] as {
      container: HTMLElement;
      options: Record<string, unknown>;
      series: FakeSeries[];
      applyOptions: ReturnType<typeof vi.fn>;
      remove: ReturnType<typeof vi.fn>;
      removeSeries: ReturnType<typeof vi.fn>;
      fitContent: ReturnType<typeof vi.fn>;
      crosshair: ((params: { time?: unknown }) => void) | null;
    }[],
    scaleOptions: [] as unknown[],
  };
  const createChart = vi.fn((container: HTMLElement, options: Record<string, unknown>) => {
    const fitContent = vi.fn();
    const chart = {
      container,
      options,
      series: [] as FakeSeries[],
      applyOptions: vi.fn(),
      remove: vi.fn(),
      removeSeries: vi.fn(),
      fitContent,
      crosshair: null as ((params: { time?: unknown }) => void) | null,
    };
    state.charts.push(chart);
    return {
      addSeries: (definition: string, seriesOptions: unknown) => {
        const applyOptions = vi.fn((value: unknown) => state.scaleOptions.push(value));
        const series = { definition, options: seriesOptions, setData: vi.fn(), priceScale: () => ({ applyOptions }) };
        chart.series.push(series);
        return series;
      },
      removeSeries: chart.removeSeries,
      applyOptions: chart.applyOptions,
      remove: chart.remove,
      timeScale: () => ({ fitContent }),
      subscribeCrosshairMove: (handler: (params: { time?: unknown }) => void) => {
        chart.crosshair = handler;
      },
      unsubscribeCrosshairMove: vi.fn(),
    };
  });
  return { state, createChart };
});

vi.mock("lightweight-charts", () => ({
  createChart: lib.createChart,
  CandlestickSeries: "Candlestick",
  LineSeries: "Line",
  HistogramSeries: "Histogram",
  AreaSeries: "Area",
  ColorType: { Solid: "solid" },
}));

import { PriceVolumeChart } from "./PriceVolumeChart";
import { type SeriesSpec, TimeChart, crosshairDate } from "./TimeChart";

class FakeResizeObserver {
  static last: FakeResizeObserver | null = null;
  callback: ResizeObserverCallback;
  disconnect = vi.fn();
  constructor(callback: ResizeObserverCallback) {
    this.callback = callback;
    FakeResizeObserver.last = this;
  }
  observe() {}
  unobserve() {}
  resize(width: number) {
    this.callback([{ contentRect: { width } } as ResizeObserverEntry], this as unknown as ResizeObserver);
  }
}

beforeEach(() => {
  lib.state.charts.length = 0;
  lib.state.scaleOptions.length = 0;
  lib.createChart.mockClear();
  vi.stubGlobal("ResizeObserver", FakeResizeObserver);
});
afterEach(() => {
  vi.unstubAllGlobals();
});

const line = (values: number[]): SeriesSpec => ({
  kind: "line",
  data: values.map((value, index) => ({ time: `2018-01-0${index + 1}`, value })),
  options: { color: "#123456" },
});

describe("TimeChart", () => {
  it("creates the chart in its container, adds the series with their data, removes it on unmount", () => {
    const series = [line([1, 2, 3]), { ...line([4]), kind: "area" } as SeriesSpec];
    const view = render(<TimeChart series={series} height={200} label="Equity" testId="chart" />);
    const container = view.getByTestId("chart");
    expect(container.getAttribute("role")).toBe("img");
    expect(container.getAttribute("aria-label")).toBe("Equity");
    expect(container.dataset.points).toBe("3");
    expect(lib.createChart).toHaveBeenCalledTimes(1);
    const chart = lib.state.charts[0]!;
    expect(chart.container).toBe(container);
    expect(chart.options).toMatchObject({ height: 200 });
    expect(chart.series.map((item) => item.definition)).toEqual(["Line", "Area"]);
    expect(chart.series[0]!.options).toEqual({ color: "#123456" });
    expect(chart.series[0]!.setData).toHaveBeenCalledWith([
      { time: "2018-01-01", value: 1 },
      { time: "2018-01-02", value: 2 },
      { time: "2018-01-03", value: 3 },
    ]);
    expect(chart.fitContent).toHaveBeenCalled();

    view.unmount();
    expect(chart.remove).toHaveBeenCalledTimes(1);
    expect(FakeResizeObserver.last?.disconnect).toHaveBeenCalled();
  });

  it("replaces the series when their declaration changes, on the same chart", () => {
    const first = [line([1, 2])];
    const view = render(<TimeChart series={first} height={100} label="x" />);
    const chart = lib.state.charts[0]!;
    view.rerender(<TimeChart series={first} height={100} label="x" />);
    expect(chart.series).toHaveLength(1); // same array: nothing re-added
    view.rerender(<TimeChart series={[line([5, 6, 7])]} height={100} label="x" />);
    expect(lib.createChart).toHaveBeenCalledTimes(1);
    expect(chart.removeSeries).toHaveBeenCalledWith(chart.series[0]);
    expect(chart.series).toHaveLength(2);
    expect(chart.series[1]!.setData).toHaveBeenCalledWith(expect.arrayContaining([{ time: "2018-01-03", value: 7 }]));
  });

  it("follows the container's width and applies a new height", () => {
    const view = render(<TimeChart series={[]} height={100} label="x" />);
    const chart = lib.state.charts[0]!;
    act(() => FakeResizeObserver.last?.resize(640.7));
    expect(chart.applyOptions).toHaveBeenCalledWith({ width: 640 });
    view.rerender(<TimeChart series={[]} height={300} label="x" />);
    expect(chart.applyOptions).toHaveBeenCalledWith({ height: 300 });
  });

  it("reports the hovered day as YYYY-MM-DD", () => {
    const onMove = vi.fn();
    render(<TimeChart series={[]} height={100} label="x" onCrosshairMove={onMove} />);
    act(() => lib.state.charts[0]!.crosshair?.({ time: "2018-02-07" }));
    act(() => lib.state.charts[0]!.crosshair?.({}));
    expect(onMove.mock.calls).toEqual([["2018-02-07"], [null]]);
    expect(crosshairDate({ year: 2018, month: 2, day: 7 })).toBe("2018-02-07");
    expect(crosshairDate((Date.UTC(2018, 1, 7) / 1000) as UTCTimestamp)).toBe("2018-02-07");
  });
});

describe("PriceVolumeChart", () => {
  const bars = [
    { date: "2018-01-02", open: 10, high: 11, low: 9, close: 10.5, adj_close: 10.5, volume: 100 },
    { date: "2018-01-03", open: 10.5, high: 10.6, low: 9.5, close: 10, adj_close: 10, volume: 250 },
  ];

  it("draws candlesticks with a volume histogram on its own scale, and reads out the hovered bar", () => {
    const view = render(<PriceVolumeChart ticker="AAPL" bars={bars} />);
    const chart = lib.state.charts[0]!;
    expect(chart.series.map((item) => item.definition)).toEqual(["Candlestick", "Histogram"]);
    expect(chart.series[1]!.options).toMatchObject({ priceScaleId: "volume" });
    expect(lib.state.scaleOptions).toContainEqual({ scaleMargins: { top: 0.8, bottom: 0 } });
    expect(view.getByTestId("bar-count").textContent).toBe("2");
    expect(view.getByTestId("chart-readout").textContent).toContain("2018-01-03");
    act(() => chart.crosshair?.({ time: "2018-01-02" }));
    expect(view.getByTestId("chart-readout").textContent).toContain("2018-01-02");
    expect(view.getByTestId("chart-readout").textContent).toContain("O 10 H 11 L 9 C 10.5");
  });
});
