// Pure helpers of the Health page and the header's status light: how each status level and
// component reads (label, value with its unit, threshold, trend), status ordering, and time
// ranges. Units are the contract's (getQuickStatus): business days, days, rank IC,
// correlation, jobs, GiB, readable 1/0, hit rate 0..1. The chart series are in chartData.ts,
// with the other lightweight-charts mappings (so the header's bundle carries none of them).
import {
  type QuickStatus,
  STATUS_COMPONENT_NAMES,
  STATUS_LEVELS,
  type StatusComponent,
  type StatusComponentName,
  type StatusLevel,
  type Trend,
  type TrendDirection,
} from "./contract";
import { formatNumber } from "./format";

// ---------------------------------------------------------------- status levels
/** How a level reads; the icon gives each level a shape, so colour is never the only cue. */
export const STATUS_LEVEL_VIEW: Record<StatusLevel, { label: string; icon: string; color: string }> = {
  ok: { label: "OK", icon: "●", color: "#2e9e53" },
  warning: { label: "Warning", icon: "▲", color: "#d3a336" },
  critical: { label: "Critical", icon: "■", color: "#c0392b" },
};

/** 0 for ok, 1 for warning, 2 for critical. */
export function statusRank(level: StatusLevel): number {
  return STATUS_LEVELS.indexOf(level);
}

/** The worst of `levels` ("ok" when there are none), as `overall` is computed. */
export function worstStatus(levels: readonly StatusLevel[]): StatusLevel {
  return levels.reduce<StatusLevel>((worst, level) => (statusRank(level) > statusRank(worst) ? level : worst), "ok");
}

/**
 * The next worse level `name` can reach from `level` by its value (a registry that is read
 * goes straight to critical, a cache never goes past warning), or null when there is none.
 */
export function nextWorse(name: StatusComponentName, level: StatusLevel): StatusLevel | null {
  return COMPONENT_VIEW[name].worseLevels.find((worse) => statusRank(worse) > statusRank(level)) ?? null;
}

export function countByStatus(components: readonly StatusComponent[]): Record<StatusLevel, number> {
  const counts: Record<StatusLevel, number> = { ok: 0, warning: 0, critical: 0 };
  for (const component of components) counts[component.status] += 1;
  return counts;
}

/** Components in the contract's order of names, whatever order the server sent. */
export function orderComponents(components: readonly StatusComponent[]): StatusComponent[] {
  return [...components].sort(
    (a, b) => STATUS_COMPONENT_NAMES.indexOf(a.name) - STATUS_COMPONENT_NAMES.indexOf(b.name),
  );
}

/** What the header's light shows: a level, "checking" before the first answer, else "unknown". */
export type LightState = StatusLevel | "checking" | "unknown";

/**
 * The header light from the quick-status query: the last answer while it is current; once a
 * request fails (even while it is being retried) the status is unknown, since an old "ok"
 * would claim a health nobody can vouch for.
 */
export function lightState(query: { data: QuickStatus | undefined; isError: boolean; failureCount: number }): LightState {
  if (query.isError || query.failureCount > 0) return "unknown";
  return query.data ? query.data.overall : "checking";
}

// ---------------------------------------------------------------- components
export type ComponentView = {
  label: string;
  /** Which side of `threshold` is worse: above it (`>`), at or above it (`≥`), below it (`<`). */
  worseWhen: ">" | "≥" | "<";
  /** The worse levels this component can reach by its value (the contract's table). */
  worseLevels: readonly Exclude<StatusLevel, "ok">[];
  /** The value's name when it goes before the number ("rank IC: 0.0312"), else null. */
  subject: string | null;
  /** The number with any unit after it: "3 business days", "0.0312", "45.6%". */
  quantity: (value: number) => string;
  /** The chart's value axis, and the unit of the trend's slope per day. */
  axisLabel: string;
  slopeUnit: string;
  /** Chart values are value × chartScale (the cache's hit rate is charted in %). */
  chartScale: number;
  chartPrecision: number;
};

function counted(value: number, one: string, other: string, digits: number): string {
  return `${formatNumber(value, digits)} ${value === 1 ? one : other}`;
}

/** How each component reads; a `Record` so a component added to the contract fails `tsc`. */
export const COMPONENT_VIEW: Record<StatusComponentName, ComponentView> = {
  data_freshness: {
    label: "Data freshness",
    worseWhen: ">",
    worseLevels: ["warning", "critical"],
    subject: null,
    quantity: (value) => counted(value, "business day", "business days", 0),
    axisLabel: "business days since the last stored date",
    slopeUnit: "business days/day",
    chartScale: 1,
    chartPrecision: 0,
  },
  model_age: {
    label: "Model age",
    worseWhen: ">",
    worseLevels: ["warning", "critical"],
    subject: null,
    quantity: (value) => counted(value, "day", "days", 1),
    axisLabel: "days since the champion was trained",
    slopeUnit: "days/day",
    chartScale: 1,
    chartPrecision: 1,
  },
  ic_trend: {
    label: "IC trend",
    worseWhen: "<",
    worseLevels: ["warning", "critical"],
    subject: "rank IC",
    quantity: (value) => value.toFixed(4),
    axisLabel: "mean daily rank IC of the latest matured signal dates",
    slopeUnit: "rank IC/day",
    chartScale: 1,
    chartPrecision: 4,
  },
  disagreement: {
    label: "Champion vs challenger",
    worseWhen: "<",
    worseLevels: ["warning"],
    subject: "correlation",
    quantity: (value) => value.toFixed(3),
    axisLabel: "rank correlation of champion and challenger scores",
    slopeUnit: "correlation/day",
    chartScale: 1,
    chartPrecision: 3,
  },
  job_queue: {
    label: "Job queue",
    worseWhen: "≥",
    worseLevels: ["warning", "critical"],
    subject: null,
    quantity: (value) => counted(value, "job", "jobs", 0),
    axisLabel: "jobs waiting for a slot",
    slopeUnit: "jobs/day",
    chartScale: 1,
    chartPrecision: 0,
  },
  disk: {
    label: "Free disk",
    worseWhen: "<",
    worseLevels: ["warning", "critical"],
    subject: null,
    quantity: (value) => `${formatNumber(value, 2)} GiB`,
    axisLabel: "free GiB under QE_HOME",
    slopeUnit: "GiB/day",
    chartScale: 1,
    chartPrecision: 2,
  },
  registry: {
    label: "Model registry",
    worseWhen: "<",
    worseLevels: ["critical"],
    subject: "readable",
    quantity: (value) => (value >= 1 ? "yes" : "no"),
    axisLabel: "1 readable, 0 not",
    slopeUnit: "/day",
    chartScale: 1,
    chartPrecision: 0,
  },
  cache: {
    label: "Response cache",
    worseWhen: "<",
    worseLevels: ["warning"],
    subject: "hit rate",
    quantity: (value) => `${(value * 100).toFixed(1)}%`,
    axisLabel: "hit rate since start (%)",
    slopeUnit: "percentage points/day",
    chartScale: 100,
    chartPrecision: 1,
  },
};

/** The value with its unit ("3 business days", "rank IC: 0.0312"), or "—" when there is nothing to measure. */
export function formatComponentValue(name: StatusComponentName, value: number | null): string {
  if (value === null || !Number.isFinite(value)) return "—";
  const view = COMPONENT_VIEW[name];
  return view.subject ? `${view.subject}: ${view.quantity(value)}` : view.quantity(value);
}

/**
 * Where the next worse status starts, in words: "warning if > 3 business days",
 * "critical if < 0.5 GiB", "warning if rank IC < 0.0000"; "—" when no worse status has a
 * threshold.
 */
export function describeThreshold(component: StatusComponent): string {
  const { name, status, threshold } = component;
  if (threshold === null || !Number.isFinite(threshold)) return "—";
  const view = COMPONENT_VIEW[name];
  const worse = nextWorse(name, status);
  const bound = `${view.worseWhen} ${view.quantity(threshold)}`;
  const condition = name === "registry" ? "unreadable" : view.subject ? `${view.subject} ${bound}` : bound;
  return worse ? `${STATUS_LEVEL_VIEW[worse].label.toLowerCase()} if ${condition}` : `threshold ${condition}`;
}

// ---------------------------------------------------------------- trend
export const TREND_ARROW: Record<TrendDirection, string> = { up: "↑", down: "↓", flat: "→" };

/** `value` to 3 significant digits with its sign ("+0.00125", "-2", "0"). */
export function signedSignificant(value: number): string {
  const rounded = Number(value.toPrecision(3));
  if (rounded === 0) return "0";
  return `${rounded > 0 ? "+" : "-"}${formatNumber(Math.abs(rounded), 12)}`;
}

export type TrendView = {
  arrow: string;
  direction: TrendDirection;
  /** Whether the move is good news for this component. */
  outlook: "improving" | "worsening" | "steady";
  /** "+0.5 business days/day" (per day of 86,400 s). */
  slope: string;
  /** "±0.01 business days/day". */
  tolerance: string;
};

export function describeTrend(name: StatusComponentName, trend: Trend): TrendView {
  const view = COMPONENT_VIEW[name];
  const higherIsBetter = view.worseWhen === "<";
  const outlook =
    trend.direction === "flat" ? "steady" : (trend.direction === "up") === higherIsBetter ? "improving" : "worsening";
  const tolerance = Number((trend.tolerance * view.chartScale).toPrecision(3));
  return {
    arrow: TREND_ARROW[trend.direction],
    direction: trend.direction,
    outlook,
    slope: `${signedSignificant(trend.slope_per_day * view.chartScale)} ${view.slopeUnit}`,
    tolerance: `±${formatNumber(tolerance, 12)} ${view.slopeUnit}`,
  };
}

// ---------------------------------------------------------------- time ranges
export const HISTORY_RANGES = [
  { key: "24h", label: "24 h", hours: 24 },
  { key: "7d", label: "7 d", hours: 24 * 7 },
  { key: "30d", label: "30 d", hours: 24 * 30 },
  { key: "1y", label: "1 y", hours: 24 * 365 },
] as const;
export type HistoryRange = (typeof HISTORY_RANGES)[number]["key"];

/** The `since` of a range ending at `now`, as ISO 8601 UTC. */
export function sinceFor(range: HistoryRange, now: Date): string {
  const hours = HISTORY_RANGES.find((item) => item.key === range)?.hours ?? 24;
  return new Date(now.getTime() - hours * 3_600_000).toISOString();
}
