// Pure helpers of the backtest views: which metrics are shown and how each is formatted
// (null → "—"), and the overfitting gauge's wording.
import type { BenchmarkComparison, PerformanceMetrics } from "./contract";
import { formatMetric, formatSignedPercent } from "./research";

type AssertNever<T extends never> = T;

/** How a metric reads: a signed return, a plain share, a ratio, a count, money or days. */
export type MetricKind = "return" | "share" | "ratio" | "count" | "money" | "days";

const whole = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

export function formatKpi(value: number | null | undefined, kind: MetricKind): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  switch (kind) {
    case "return":
      return formatSignedPercent(value, 2);
    case "share":
      return `${(value * 100).toFixed(1)}%`;
    case "ratio":
      return formatMetric(value, 2);
    case "count":
      return whole.format(value);
    case "money":
      return whole.format(value);
    case "days":
      return `${whole.format(value)} d`;
  }
}

/** Every PerformanceMetrics field in display order; one added to the contract fails `tsc`. */
export const PERFORMANCE_METRICS = [
  { key: "total_return", label: "Total return", kind: "return" },
  { key: "cagr", label: "CAGR", kind: "return" },
  { key: "annual_volatility", label: "Annual volatility", kind: "share" },
  { key: "sharpe", label: "Sharpe", kind: "ratio" },
  { key: "sortino", label: "Sortino", kind: "ratio" },
  { key: "max_drawdown", label: "Max drawdown", kind: "return" },
  { key: "max_drawdown_days", label: "Max drawdown duration", kind: "days" },
  { key: "calmar", label: "Calmar", kind: "ratio" },
  { key: "win_rate", label: "Win rate", kind: "share" },
  { key: "profit_factor", label: "Profit factor", kind: "ratio" },
  { key: "average_trade_return", label: "Average trade return", kind: "return" },
  { key: "annual_turnover", label: "Annual turnover", kind: "ratio" },
  { key: "average_exposure", label: "Average exposure", kind: "share" },
  { key: "trades", label: "Trades", kind: "count" },
  { key: "final_equity", label: "Final equity", kind: "money" },
] as const satisfies readonly { key: keyof PerformanceMetrics; label: string; kind: MetricKind }[];
export type EveryPerformanceMetricListed = AssertNever<
  Exclude<keyof PerformanceMetrics, (typeof PERFORMANCE_METRICS)[number]["key"]>
>;
export type MetricKey = (typeof PERFORMANCE_METRICS)[number]["key"];

/** The metrics shown as cards (gross vs net) at the top of a result. */
export const KPI_CARDS: readonly MetricKey[] = [
  "total_return",
  "cagr",
  "sharpe",
  "sortino",
  "max_drawdown",
  "win_rate",
  "trades",
  "final_equity",
];

export function metricInfo(key: MetricKey): (typeof PERFORMANCE_METRICS)[number] {
  return PERFORMANCE_METRICS.find((item) => item.key === key) ?? PERFORMANCE_METRICS[0];
}

/** The benchmark comparison's figures (its `name` is shown as a title). */
export const BENCHMARK_FIGURES = [
  { key: "total_return", label: "Benchmark total return", kind: "return" },
  { key: "cagr", label: "Benchmark CAGR", kind: "return" },
  { key: "alpha", label: "Alpha (annualised)", kind: "return" },
  { key: "beta", label: "Beta", kind: "ratio" },
  { key: "information_ratio", label: "Information ratio", kind: "ratio" },
  { key: "tracking_error", label: "Tracking error", kind: "share" },
] as const satisfies readonly { key: Exclude<keyof BenchmarkComparison, "name">; label: string; kind: MetricKind }[];
export type EveryBenchmarkFigureListed = AssertNever<
  Exclude<Exclude<keyof BenchmarkComparison, "name">, (typeof BENCHMARK_FIGURES)[number]["key"]>
>;

/** "1 backtest run on this data" / "7 backtests run on this data". */
export function overfittingGauge(count: number): string {
  return `${whole.format(count)} backtest${count === 1 ? "" : "s"} run on this data`;
}

/** How worried to be about selection bias after `count` backtests on the same data. */
export function overfittingLevel(count: number): "low" | "medium" | "high" {
  if (count <= 3) return "low";
  if (count <= 10) return "medium";
  return "high";
}

/** Versions used, shortened: "v3", or "walk-forward (12 retrainings)". */
export function describeVersions(versions: readonly string[]): string {
  const walk = versions.filter((version) => version.startsWith("walk_forward"));
  if (walk.length > 0 && walk.length === versions.length) {
    return `walk-forward (${walk.length} retraining${walk.length === 1 ? "" : "s"})`;
  }
  return versions.join(", ") || "—";
}
