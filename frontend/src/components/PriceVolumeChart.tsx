// Price-and-volume chart on lightweight-charts: daily candlesticks with the volume as a
// histogram in the lower fifth of the same pane (its own price scale). Zoom with the wheel,
// pan by dragging; the crosshair reads out the hovered day's bar (the last one otherwise).
import { useCallback, useMemo, useState } from "react";
import { DOWN_COLOR, UP_COLOR, candleSeries } from "../chartData";
import type { Bar } from "../contract";
import { formatCompact, formatNumber } from "../format";
import { type SeriesSpec, TimeChart } from "./TimeChart";

const HEIGHT = 440;

export function PriceVolumeChart({ ticker, bars }: { ticker: string; bars: Bar[] }) {
  const [hovered, setHovered] = useState<string | null>(null);
  const byDate = useMemo(() => new Map(bars.map((bar) => [bar.date, bar])), [bars]);
  const series = useMemo<SeriesSpec[]>(() => {
    const { candles, volume } = candleSeries(bars);
    return [
      {
        kind: "candlestick",
        data: candles,
        options: {
          upColor: UP_COLOR,
          downColor: DOWN_COLOR,
          borderVisible: false,
          wickUpColor: UP_COLOR,
          wickDownColor: DOWN_COLOR,
        },
        scaleMargins: { top: 0.05, bottom: 0.25 },
      },
      {
        kind: "histogram",
        data: volume,
        options: { priceFormat: { type: "volume" }, lastValueVisible: false, priceLineVisible: false },
        priceScaleId: "volume",
        scaleMargins: { top: 0.8, bottom: 0 },
      },
    ];
  }, [bars]);
  const onCrosshairMove = useCallback((date: string | null) => setHovered(date), []);

  const first = bars[0];
  const last = bars[bars.length - 1];
  if (!first || !last) return null;
  const change = (last.close - first.close) / first.close;
  const active = (hovered !== null ? byDate.get(hovered) : undefined) ?? last;

  return (
    <figure className="chart">
      <figcaption>
        <strong>{ticker}</strong> close {formatNumber(last.close, 2)} on {last.date}
        <span className={change >= 0 ? "up" : "down"}>
          {" "}
          {change >= 0 ? "+" : ""}
          {(change * 100).toFixed(2)}%
        </span>{" "}
        <span className="muted">
          since {first.date} · <span data-testid="bar-count">{bars.length}</span> trading days
        </span>
      </figcaption>
      <div className="chart-readout" aria-live="polite" data-testid="chart-readout">
        <strong>{active.date}</strong> O {formatNumber(active.open, 2)} H {formatNumber(active.high, 2)} L{" "}
        {formatNumber(active.low, 2)} C {formatNumber(active.close, 2)} · adj {formatNumber(active.adj_close, 2)} · vol{" "}
        {formatCompact(active.volume)}
      </div>
      <TimeChart
        series={series}
        height={HEIGHT}
        label={`${ticker} daily candlesticks and volume from ${first.date} to ${last.date}`}
        onCrosshairMove={onCrosshairMove}
        testId="price-volume-chart"
      />
      <p className="small muted">Scroll to zoom, drag to pan, double-click an axis to reset.</p>
    </figure>
  );
}
