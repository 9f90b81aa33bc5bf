// A small React wrapper of TradingView's lightweight-charts (canvas; zoom, pan, crosshair).
// The chart is created on mount, follows its container's width, and is removed on unmount;
// its series are declared as data (`SeriesSpec[]`) and replaced whenever that array changes
// (memoise it). Times are 'YYYY-MM-DD' strings, as the contract's dates are.
import { useEffect, useRef } from "react";
import {
  AreaSeries,
  CandlestickSeries,
  ColorType,
  HistogramSeries,
  LineSeries,
  createChart,
  type AreaData,
  type AreaSeriesPartialOptions,
  type CandlestickData,
  type CandlestickSeriesPartialOptions,
  type ChartOptions,
  type DeepPartial,
  type HistogramData,
  type HistogramSeriesPartialOptions,
  type IChartApi,
  type ISeriesApi,
  type LineData,
  type LineSeriesPartialOptions,
  type MouseEventParams,
  type SeriesType,
  type Time,
} from "lightweight-charts";

/** Room a series takes on its price scale, as fractions of the pane's height. */
export type ScaleMargins = { top: number; bottom: number };

type Common = {
  /** A price scale of its own (e.g. "volume" under the candles); default the right scale. */
  priceScaleId?: string;
  scaleMargins?: ScaleMargins;
};

export type SeriesSpec =
  | (Common & { kind: "candlestick"; data: CandlestickData<Time>[]; options?: CandlestickSeriesPartialOptions })
  | (Common & { kind: "line"; data: LineData<Time>[]; options?: LineSeriesPartialOptions })
  | (Common & { kind: "histogram"; data: HistogramData<Time>[]; options?: HistogramSeriesPartialOptions })
  | (Common & { kind: "area"; data: AreaData<Time>[]; options?: AreaSeriesPartialOptions });

export type SeriesKind = SeriesSpec["kind"];

/** The look shared by every chart of the UI (the stylesheet's light theme). */
export const BASE_OPTIONS: DeepPartial<ChartOptions> = {
  layout: {
    background: { type: ColorType.Solid, color: "#fcfdfe" },
    textColor: "#5b6675",
    fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif',
  },
  grid: { vertLines: { color: "#eef1f5" }, horzLines: { color: "#eef1f5" } },
  rightPriceScale: { borderColor: "#d9dee6" },
  timeScale: { borderColor: "#d9dee6" },
};

/** Add one declared series to `chart` (a switch, so each kind keeps its own data type). */
function addSpec(chart: IChartApi, spec: SeriesSpec): ISeriesApi<SeriesType> {
  const scale = spec.priceScaleId !== undefined ? { priceScaleId: spec.priceScaleId } : {};
  let series: ISeriesApi<SeriesType>;
  switch (spec.kind) {
    case "candlestick": {
      const added = chart.addSeries(CandlestickSeries, { ...spec.options, ...scale });
      added.setData(spec.data);
      series = added;
      break;
    }
    case "line": {
      const added = chart.addSeries(LineSeries, { ...spec.options, ...scale });
      added.setData(spec.data);
      series = added;
      break;
    }
    case "histogram": {
      const added = chart.addSeries(HistogramSeries, { ...spec.options, ...scale });
      added.setData(spec.data);
      series = added;
      break;
    }
    case "area": {
      const added = chart.addSeries(AreaSeries, { ...spec.options, ...scale });
      added.setData(spec.data);
      series = added;
      break;
    }
  }
  if (spec.scaleMargins) series.priceScale().applyOptions({ scaleMargins: spec.scaleMargins });
  return series;
}

/** The hovered day as 'YYYY-MM-DD', or null when the crosshair left the chart. */
export function crosshairDate(time: Time | undefined): string | null {
  if (time === undefined) return null;
  if (typeof time === "string") return time;
  if (typeof time === "number") return new Date(time * 1000).toISOString().slice(0, 10);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${time.year}-${pad(time.month)}-${pad(time.day)}`;
}

type Props = {
  series: SeriesSpec[];
  height: number;
  /** Accessible name of the chart (a canvas has no text of its own). */
  label: string;
  /** Extra chart options, applied once on creation over BASE_OPTIONS. */
  options?: DeepPartial<ChartOptions>;
  onCrosshairMove?: (date: string | null) => void;
  testId?: string;
};

export function TimeChart({ series, height, label, options, onCrosshairMove, testId }: Props) {
  const containerRef = useRef<HTMLDivElement>(null);
  const chartRef = useRef<IChartApi | null>(null);
  const crosshairRef = useRef(onCrosshairMove);
  crosshairRef.current = onCrosshairMove;
  // Creation options are read once; later changes of `options` are not applied.
  const initialOptions = useRef({ height, options });

  useEffect(() => {
    const container = containerRef.current;
    if (!container) return;
    const { height: initialHeight, options: extra } = initialOptions.current;
    const chart = createChart(container, {
      ...BASE_OPTIONS,
      ...extra,
      layout: { ...BASE_OPTIONS.layout, ...extra?.layout },
      width: container.clientWidth,
      height: initialHeight,
    });
    chartRef.current = chart;
    const onMove = (params: MouseEventParams<Time>) => crosshairRef.current?.(crosshairDate(params.time));
    chart.subscribeCrosshairMove(onMove);
    let observer: ResizeObserver | undefined;
    if (typeof ResizeObserver !== "undefined") {
      observer = new ResizeObserver((entries) => {
        const width = Math.floor(entries[0]?.contentRect.width ?? container.clientWidth);
        if (width > 0) chart.applyOptions({ width });
      });
      observer.observe(container);
    }
    return () => {
      observer?.disconnect();
      chart.unsubscribeCrosshairMove(onMove);
      chart.remove();
      chartRef.current = null;
    };
  }, []);

  useEffect(() => {
    chartRef.current?.applyOptions({ height });
  }, [height]);

  useEffect(() => {
    const chart = chartRef.current;
    if (!chart) return;
    const added = series.map((spec) => addSpec(chart, spec));
    chart.timeScale().fitContent();
    return () => {
      // On unmount the chart may already be gone (and its series with it).
      if (chartRef.current !== chart) return;
      for (const item of added) chart.removeSeries(item);
    };
  }, [series]);

  const points = series.reduce((most, spec) => Math.max(most, spec.data.length), 0);
  return (
    <div
      ref={containerRef}
      className="tv-chart"
      role="img"
      aria-label={label}
      data-testid={testId}
      data-series={series.map((spec) => spec.kind).join(" ")}
      data-points={points}
      style={{ height }}
    />
  );
}
