// Contract shapes → lightweight-charts series data (pure; the charts only draw these).
import type { AreaData, CandlestickData, HistogramData, LineData, Time, UTCTimestamp } from "lightweight-charts";
import type { Bar, DisagreementPoint, EquityPoint, HealthPoint, IcPoint, StatusComponentName } from "./contract";
import { COMPONENT_VIEW, STATUS_LEVEL_VIEW } from "./health";

export const UP_COLOR = "#26a269";
export const DOWN_COLOR = "#c0392b";
const VOLUME_UP = "rgba(38, 162, 105, 0.45)";
const VOLUME_DOWN = "rgba(192, 57, 43, 0.45)";

/** One candle per bar (raw OHLC) and one volume bar, green when the close is not below the open. */
export function candleSeries(bars: readonly Bar[]): { candles: CandlestickData<Time>[]; volume: HistogramData<Time>[] } {
  const candles: CandlestickData<Time>[] = [];
  const volume: HistogramData<Time>[] = [];
  for (const bar of bars) {
    candles.push({ time: bar.date, open: bar.open, high: bar.high, low: bar.low, close: bar.close });
    volume.push({ time: bar.date, value: bar.volume, color: bar.close >= bar.open ? VOLUME_UP : VOLUME_DOWN });
  }
  return { candles, volume };
}

export type EquityLines = {
  net: LineData<Time>[];
  gross: LineData<Time>[];
  /** Days without a benchmark value are left out (the line skips them). */
  benchmark: LineData<Time>[];
  /** Net drawdown as a percentage (−12.5 for −12.5 %). */
  drawdown: AreaData<Time>[];
};

export function equityLines(points: readonly EquityPoint[]): EquityLines {
  const lines: EquityLines = { net: [], gross: [], benchmark: [], drawdown: [] };
  for (const point of points) {
    lines.net.push({ time: point.date, value: point.net });
    lines.gross.push({ time: point.date, value: point.gross });
    if (point.benchmark !== null && Number.isFinite(point.benchmark)) {
      lines.benchmark.push({ time: point.date, value: point.benchmark });
    }
    lines.drawdown.push({ time: point.date, value: point.drawdown * 100 });
  }
  return lines;
}

// ---------------------------------------------------------------- health and tracking
/**
 * Seconds since the epoch of an ISO 8601 timestamp, or null when unreadable. Fractions past
 * milliseconds (the snapshots carry microseconds) are cut, since `Date` reads only three.
 */
export function utcSeconds(iso: string): number | null {
  const ms = Date.parse(iso.replace(/(\.\d{3})\d+/, "$1"));
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : null;
}

/**
 * `items` sorted by `time`, one per time (the last given wins). lightweight-charts throws on
 * a time that is not strictly after the previous one, which would take the page down.
 */
export function ascendingUnique<T extends { time: Time }>(items: readonly T[]): T[] {
  const byTime = new Map<string | number, T>();
  for (const item of items) byTime.set(item.time as string | number, item);
  return [...byTime.values()].sort((a, b) => ((a.time as string | number) < (b.time as string | number) ? -1 : 1));
}

/**
 * A chart time showing `seconds` (since the epoch) as the browser's wall clock. lightweight-
 * charts draws every timestamp as UTC, so a local time is passed as if it were UTC (the
 * library's own recipe); the Health page's captions use local time too.
 */
export function localChartTime(seconds: number): UTCTimestamp {
  const date = new Date(seconds * 1000);
  return (Date.UTC(
    date.getFullYear(),
    date.getMonth(),
    date.getDate(),
    date.getHours(),
    date.getMinutes(),
    date.getSeconds(),
  ) / 1000) as UTCTimestamp;
}

/**
 * A component's snapshots as a line on a time axis (whole seconds, `toChartTime` of their
 * UTC seconds: the local wall clock by default), value × chartScale, each point coloured by
 * its status. Snapshots without a value are left out (the line skips them).
 */
export function historyLine(
  name: StatusComponentName,
  points: readonly HealthPoint[],
  toChartTime: (seconds: number) => UTCTimestamp = localChartTime,
): LineData<Time>[] {
  const scale = COMPONENT_VIEW[name].chartScale;
  const line: LineData<Time>[] = [];
  for (const point of points) {
    const seconds = utcSeconds(point.at);
    if (point.value === null || !Number.isFinite(point.value) || seconds === null) continue;
    line.push({ time: toChartTime(seconds), value: point.value * scale, color: STATUS_LEVEL_VIEW[point.status].color });
  }
  return ascendingUnique(line);
}

export const IN_SAMPLE_COLOR = "rgba(142, 154, 171, 0.55)";
export const OUT_OF_SAMPLE_COLOR = "rgba(31, 95, 191, 0.75)";

export type IcSeries = {
  /** Daily rank IC, out-of-sample dates in blue, in-sample (training) dates in grey. */
  dailyRankIc: HistogramData<Time>[];
  rollingRankIc: LineData<Time>[];
  rollingIc: LineData<Time>[];
  outOfSample: number;
  inSample: number;
};

function pushValue(line: LineData<Time>[], time: string, value: number | null): void {
  if (value !== null && Number.isFinite(value)) line.push({ time, value });
}

/** The IC history as chart series; dates without a value are left out of each series. */
export function icSeries(points: readonly IcPoint[]): IcSeries {
  const series: IcSeries = { dailyRankIc: [], rollingRankIc: [], rollingIc: [], outOfSample: 0, inSample: 0 };
  for (const point of points) {
    if (point.rank_ic !== null && Number.isFinite(point.rank_ic)) {
      series.dailyRankIc.push({
        time: point.date,
        value: point.rank_ic,
        color: point.in_sample ? IN_SAMPLE_COLOR : OUT_OF_SAMPLE_COLOR,
      });
      if (point.in_sample) series.inSample += 1;
      else series.outOfSample += 1;
    }
    pushValue(series.rollingRankIc, point.date, point.rolling_rank_ic);
    pushValue(series.rollingIc, point.date, point.rolling_ic);
  }
  series.dailyRankIc = ascendingUnique(series.dailyRankIc);
  series.rollingRankIc = ascendingUnique(series.rollingRankIc);
  series.rollingIc = ascendingUnique(series.rollingIc);
  return series;
}

export type DisagreementSeries = {
  rankCorrelation: LineData<Time>[];
  rollingRankCorrelation: LineData<Time>[];
  topOverlap: LineData<Time>[];
};

/** Champion–challenger agreement as chart series; dates without a value are left out. */
export function disagreementSeries(points: readonly DisagreementPoint[]): DisagreementSeries {
  const series: DisagreementSeries = { rankCorrelation: [], rollingRankCorrelation: [], topOverlap: [] };
  for (const point of points) {
    pushValue(series.rankCorrelation, point.date, point.rank_correlation);
    pushValue(series.rollingRankCorrelation, point.date, point.rolling_rank_correlation);
    pushValue(series.topOverlap, point.date, point.top_overlap);
  }
  return {
    rankCorrelation: ascendingUnique(series.rankCorrelation),
    rollingRankCorrelation: ascendingUnique(series.rollingRankCorrelation),
    topOverlap: ascendingUnique(series.topOverlap),
  };
}
