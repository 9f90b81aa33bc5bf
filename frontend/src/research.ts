// Pure helpers of the research pages (models, signals): reading list inputs against the
// contract's bounds, formatting metrics that may be null, and scaling bar charts.
import { type ArrayBounds, boundsProblem } from "./bounds";

export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string };

function splitList(raw: string): string[] {
  return raw
    .split(/[\s,;]+/)
    .map((part) => part.trim())
    .filter((part) => part !== "");
}

/**
 * Read a comma-separated list of horizons ("5, 21") against the contract's array bounds
 * (count, uniqueness, and each item's bounds): whole numbers only, order kept.
 */
export function parseHorizons(raw: string, bounds: ArrayBounds): Parsed<number[]> {
  const parts = splitList(raw);
  const { minItems, maxItems, uniqueItems, items } = bounds;
  if (parts.length === 0) {
    return minItems !== undefined && minItems > 0 ? { ok: false, problem: "required" } : { ok: true, value: [] };
  }
  const values: number[] = [];
  for (const part of parts) {
    const value = Number(part);
    if (!/^[+-]?\d+$/.test(part) || !Number.isSafeInteger(value)) {
      return { ok: false, problem: `“${part}” is not a whole number` };
    }
    const problem = boundsProblem(value, items);
    if (problem) return { ok: false, problem: `${value} ${problem}` };
    values.push(value);
  }
  if (uniqueItems && new Set(values).size !== values.length) {
    const repeated = values.find((value, index) => values.indexOf(value) !== index);
    return { ok: false, problem: `${repeated} is listed twice` };
  }
  if (minItems !== undefined && values.length < minItems) return { ok: false, problem: `give at least ${minItems}` };
  if (maxItems !== undefined && values.length > maxItems) return { ok: false, problem: `give at most ${maxItems}` };
  return { ok: true, value: values };
}

/** Tickers typed as "aapl, MSFT brk.b": upper-cased, duplicates dropped, order kept. */
export function parseTickers(raw: string): string[] {
  const seen = new Set<string>();
  for (const part of splitList(raw)) seen.add(part.toUpperCase());
  return [...seen];
}

/** A metric with `digits` decimals, or "—" when the server could not compute it. */
export function formatMetric(value: number | null | undefined, digits = 4): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  return value.toFixed(digits);
}

/** A fraction as a percentage with sign ("+1.25%"), or "—" for null. */
export function formatSignedPercent(value: number | null | undefined, digits = 2): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  const text = (value * 100).toFixed(digits);
  return `${value > 0 ? "+" : ""}${text}%`;
}

export type BarScale = {
  /** The domain shown, always containing 0. */
  min: number;
  max: number;
  /** Position of `value` in [0, size] (min → 0, max → size). */
  at: (value: number) => number;
  /** Position of the zero line. */
  zero: number;
};

/**
 * A linear scale for bars that start at zero: the domain spans the finite values and 0
 * (so negative bars go the other way), padded by `pad` of its span; a constant or empty
 * series gets a unit domain. Nulls are ignored.
 */
export function barScale(values: readonly (number | null)[], size: number, pad = 0.05): BarScale {
  const finite = values.filter((value): value is number => value !== null && Number.isFinite(value));
  let min = Math.min(0, ...finite);
  let max = Math.max(0, ...finite);
  if (max - min === 0) {
    max = 1;
    min = 0;
  }
  const span = max - min;
  if (min < 0) min -= span * pad;
  if (max > 0) max += span * pad;
  const at = (value: number) => ((value - min) / (max - min)) * size;
  return { min, max, at, zero: at(0) };
}

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
