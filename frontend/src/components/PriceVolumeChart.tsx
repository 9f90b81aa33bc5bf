// Price-and-volume chart drawn with SVG: close line over the day's high–low band, volume
// bars below, on a trading-day axis (no weekend gaps). Hover or arrow keys move a cursor
// that reads out the day's bar.
import { type KeyboardEvent, type MouseEvent, useMemo, useState } from "react";
import type { Bar } from "../contract";
import { formatCompact, formatNumber } from "../format";

const WIDTH = 960;
const HEIGHT = 440;
const MARGIN = { top: 14, right: 18, bottom: 26, left: 64 };
const VOLUME_HEIGHT = 90;
const PANEL_GAP = 18;
const PRICE_HEIGHT = HEIGHT - MARGIN.top - MARGIN.bottom - VOLUME_HEIGHT - PANEL_GAP;
const PLOT_WIDTH = WIDTH - MARGIN.left - MARGIN.right;

/** About `count` round-numbered ticks covering [min, max]. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  const span = max - min || Math.abs(max) || 1;
  const rough = span / count;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const normalized = rough / magnitude;
  const step = (normalized < 1.5 ? 1 : normalized < 3 ? 2 : normalized < 7 ? 5 : 10) * magnitude;
  const ticks: number[] = [];
  for (let value = Math.ceil(min / step) * step; value <= max + step * 1e-9; value += step) {
    ticks.push(Number(value.toPrecision(12)));
  }
  return ticks;
}

type Geometry = {
  x: (index: number) => number;
  price: (value: number) => number;
  volume: (value: number) => number;
  priceTicks: number[];
  volumeMax: number;
  closePath: string;
  bandPath: string;
  dateTicks: number[];
};

function geometry(bars: Bar[]): Geometry {
  const lows = bars.map((bar) => bar.low);
  const highs = bars.map((bar) => bar.high);
  const rawMin = Math.min(...lows);
  const rawMax = Math.max(...highs);
  const pad = (rawMax - rawMin) * 0.04 || 1;
  const priceMin = rawMin - pad;
  const priceMax = rawMax + pad;
  const volumeMax = Math.max(...bars.map((bar) => bar.volume), 1);
  const step = PLOT_WIDTH / bars.length;
  const x = (index: number) => MARGIN.left + step * (index + 0.5);
  const price = (value: number) => MARGIN.top + ((priceMax - value) / (priceMax - priceMin)) * PRICE_HEIGHT;
  const volumeTop = MARGIN.top + PRICE_HEIGHT + PANEL_GAP;
  const volume = (value: number) => volumeTop + VOLUME_HEIGHT * (1 - value / volumeMax);
  const closePath = bars.map((bar, i) => `${i === 0 ? "M" : "L"}${x(i).toFixed(1)},${price(bar.close).toFixed(1)}`).join("");
  const upper = bars.map((bar, i) => `${i === 0 ? "M" : "L"}${x(i).toFixed(1)},${price(bar.high).toFixed(1)}`).join("");
  const lower = bars
    .map((bar, i) => ({ bar, i }))
    .reverse()
    .map(({ bar, i }) => `L${x(i).toFixed(1)},${price(bar.low).toFixed(1)}`)
    .join("");
  const labelCount = Math.min(7, bars.length);
  const dateTicks = Array.from({ length: labelCount }, (_, k) =>
    Math.round((k * (bars.length - 1)) / Math.max(1, labelCount - 1)),
  );
  return {
    x,
    price,
    volume,
    priceTicks: niceTicks(priceMin, priceMax, 6).filter((tick) => tick >= priceMin && tick <= priceMax),
    volumeMax,
    closePath,
    bandPath: `${upper}${lower}Z`,
    dateTicks,
  };
}

export function PriceVolumeChart({ ticker, bars }: { ticker: string; bars: Bar[] }) {
  const [cursor, setCursor] = useState<number | null>(null);
  const g = useMemo(() => (bars.length > 0 ? geometry(bars) : null), [bars]);
  if (!g || bars.length === 0) return null;

  const first = bars[0]!;
  const last = bars[bars.length - 1]!;
  const change = (last.close - first.close) / first.close;
  const barWidth = Math.max(0.6, (PLOT_WIDTH / bars.length) * 0.7);
  const active = cursor === null ? null : bars[cursor];
  const volumeBase = MARGIN.top + PRICE_HEIGHT + PANEL_GAP + VOLUME_HEIGHT;

  const onMove = (event: MouseEvent<SVGSVGElement>) => {
    const box = event.currentTarget.getBoundingClientRect();
    const svgX = ((event.clientX - box.left) / box.width) * WIDTH;
    const index = Math.floor(((svgX - MARGIN.left) / PLOT_WIDTH) * bars.length);
    setCursor(index >= 0 && index < bars.length ? index : null);
  };
  const onKey = (event: KeyboardEvent<SVGSVGElement>) => {
    const moves: Record<string, number> = { ArrowLeft: -1, ArrowRight: 1, PageDown: -20, PageUp: 20 };
    if (event.key === "Home") setCursor(0);
    else if (event.key === "End") setCursor(bars.length - 1);
    else if (event.key === "Escape") setCursor(null);
    else if (event.key in moves) {
      const delta = moves[event.key] ?? 0;
      setCursor((current) => Math.min(bars.length - 1, Math.max(0, (current ?? bars.length - 1) + delta)));
    } else return;
    event.preventDefault();
  };

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
          since {first.date} · {bars.length} trading days
        </span>
      </figcaption>
      <div className="chart-readout" aria-live="polite">
        {active ? (
          <>
            <strong>{active.date}</strong> O {formatNumber(active.open, 2)} H {formatNumber(active.high, 2)} L{" "}
            {formatNumber(active.low, 2)} C {formatNumber(active.close, 2)} · adj {formatNumber(active.adj_close, 2)} ·
            vol {formatCompact(active.volume)}
          </>
        ) : (
          <span className="muted">Hover the chart, or focus it and use ← → Home End, to read a day.</span>
        )}
      </div>
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        role="img"
        aria-label={`${ticker} daily close and volume from ${first.date} to ${last.date}`}
        tabIndex={0}
        onMouseMove={onMove}
        onMouseLeave={() => setCursor(null)}
        onKeyDown={onKey}
        data-testid="price-volume-chart"
      >
        {g.priceTicks.map((tick) => (
          <g key={`p${tick}`} className="grid">
            <line x1={MARGIN.left} x2={WIDTH - MARGIN.right} y1={g.price(tick)} y2={g.price(tick)} />
            <text x={MARGIN.left - 8} y={g.price(tick)} dy="0.32em" textAnchor="end">
              {formatNumber(tick, 2)}
            </text>
          </g>
        ))}
        <path className="band" d={g.bandPath} />
        <path className="close-line" d={g.closePath} />
        <g className="volume">
          {bars.map((bar, i) => (
            <rect
              key={bar.date}
              x={g.x(i) - barWidth / 2}
              y={g.volume(bar.volume)}
              width={barWidth}
              height={volumeBase - g.volume(bar.volume)}
              className={i > 0 && bar.close < bars[i - 1]!.close ? "vol-down" : "vol-up"}
            />
          ))}
        </g>
        <text className="axis-label" x={MARGIN.left - 8} y={volumeBase - VOLUME_HEIGHT} dy="0.7em" textAnchor="end">
          {formatCompact(g.volumeMax)}
        </text>
        <text className="axis-label" x={MARGIN.left - 8} y={volumeBase} textAnchor="end">
          vol
        </text>
        {g.dateTicks.map((index, k) => (
          <text
            key={`d${index}`}
            className="axis-label"
            x={g.x(index)}
            y={HEIGHT - 6}
            textAnchor={k === 0 ? "start" : k === g.dateTicks.length - 1 ? "end" : "middle"}
          >
            {bars[index]!.date}
          </text>
        ))}
        {active && cursor !== null && (
          <g className="cursor">
            <line x1={g.x(cursor)} x2={g.x(cursor)} y1={MARGIN.top} y2={volumeBase} />
            <circle cx={g.x(cursor)} cy={g.price(active.close)} r={4} />
          </g>
        )}
      </svg>
    </figure>
  );
}
