// Contract shapes → lightweight-charts series data (pure; the charts only draw these).
import type { AreaData, CandlestickData, HistogramData, LineData, Time } from "lightweight-charts";
import type { Bar, EquityPoint } from "./contract";

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
