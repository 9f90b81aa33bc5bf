// The backtest form's draft: every BacktestRequest field as typed text, initialised from
// the contract's defaults and read back into a request against the contract's bounds.
// `walk_forward` is sent only with version "walk_forward" (the server refuses it otherwise),
// `risk` only when risk management is on.
import { type NumericField, type NumericBounds, arrayBoundsOf, boundsOf, boundsProblem, defaultOf } from "./bounds";
import {
  type BacktestRequest,
  type FeatureMode,
  LIGHTGBM_FIELDS,
  type LightGBMParams,
  type RiskSettings,
  type SchemaName,
  type WalkForwardSettings,
} from "./contract";
import type { Problems } from "./pages/pricing/shared";
import { parseTickers } from "./research";
import { LIGHTGBM_LABELS, type LightGBMField } from "./trainDraft";

type AssertNever<T extends never> = T;

export const WALK_FORWARD = "walk_forward";
export const CHAMPION = "champion";

/** The request's numeric fields, in form order, with their labels. */
export const BACKTEST_NUMBER_FIELDS = [
  { field: "horizon", label: "Horizon (trading days)", hint: "the version's horizon that drives the signal" },
  { field: "years", label: "Years", hint: "window up to the end date" },
  { field: "holding_period", label: "Holding period (trading days)" },
  { field: "max_positions", label: "Max positions" },
  { field: "entry_threshold", label: "Entry threshold", hint: "predicted return needed to buy (0.01 = 1 %)" },
  { field: "position_size", label: "Position size", hint: "fraction of equity per new position" },
  { field: "commission_bps", label: "Commission (bps)" },
  { field: "slippage_bps", label: "Slippage (bps)" },
  { field: "initial_capital", label: "Initial capital" },
] as const satisfies readonly { field: NumericField<"BacktestRequest">; label: string; hint?: string }[];
export type BacktestNumberField = (typeof BACKTEST_NUMBER_FIELDS)[number]["field"];
/** A numeric field added to BacktestRequest fails `tsc` until the form has an input for it. */
export type EveryBacktestNumberListed = AssertNever<Exclude<NumericField<"BacktestRequest">, BacktestNumberField>>;

export const WALK_FORWARD_FIELDS = [
  { field: "retrain_every", label: "Retrain every (trading days)" },
  { field: "min_train_days", label: "Min training days" },
  { field: "seed", label: "Seed" },
] as const satisfies readonly { field: NumericField<"WalkForwardSettings">; label: string }[];
export type WalkForwardField = (typeof WALK_FORWARD_FIELDS)[number]["field"];
export type EveryWalkForwardNumberListed = AssertNever<Exclude<NumericField<"WalkForwardSettings">, WalkForwardField>>;

export const RISK_FIELDS = [
  { field: "stop_loss", label: "Stop-loss", hint: "fraction below the entry (0.08 = 8 %)" },
  { field: "drawdown_brake", label: "Drawdown brake", hint: "half-size entries below this drawdown" },
] as const satisfies readonly { field: NumericField<"RiskSettings">; label: string; hint?: string }[];
export type RiskField = (typeof RISK_FIELDS)[number]["field"];
export type EveryRiskNumberListed = AssertNever<Exclude<NumericField<"RiskSettings">, RiskField>>;

/** Every BacktestRequest field the draft reads; one added to the contract fails `tsc`. */
type HandledField =
  | BacktestNumberField
  | "version"
  | "walk_forward"
  | "tickers"
  | "full_universe"
  | "survivorship"
  | "feature_mode"
  | "end"
  | "risk_management"
  | "risk"
  | "benchmark";
export type EveryBacktestFieldHandled = AssertNever<Exclude<keyof BacktestRequest, HandledField>>;

/** Fields the contract types as `integer` (a fraction is refused before sending). */
export const BACKTEST_INTEGER_FIELDS: ReadonlySet<string> = new Set<string>([
  "horizon",
  "years",
  "holding_period",
  "max_positions",
  "retrain_every",
  "min_train_days",
  "seed",
  "num_leaves",
  "n_estimators",
  "min_data_in_leaf",
]);

export { LIGHTGBM_LABELS, type LightGBMField };

export type BacktestDraft = {
  version: string;
  tickers: string;
  fullUniverse: boolean;
  survivorship: boolean;
  featureMode: FeatureMode;
  end: string;
  benchmark: string;
  riskManagement: boolean;
  numbers: Record<BacktestNumberField, string>;
  walkForward: Record<WalkForwardField, string>;
  lightgbm: Record<LightGBMField, string>;
  risk: Record<RiskField, string>;
};

const text = (value: number | undefined) => (value === undefined ? "" : String(value));

function textsOf<S extends SchemaName, F extends NumericField<S>>(schema: S, fields: readonly { field: F }[]): Record<F, string> {
  const out = {} as Record<F, string>;
  for (const { field } of fields) out[field] = text(defaultOf(schema, field) as number | undefined);
  return out;
}

export function initialBacktestDraft(): BacktestDraft {
  const lightgbm = {} as Record<LightGBMField, string>;
  for (const field of LIGHTGBM_FIELDS) lightgbm[field] = text(defaultOf("LightGBMParams", field));
  return {
    version: defaultOf("BacktestRequest", "version") ?? WALK_FORWARD,
    tickers: "",
    fullUniverse: defaultOf("BacktestRequest", "full_universe") ?? false,
    survivorship: defaultOf("BacktestRequest", "survivorship") ?? true,
    featureMode: defaultOf("BacktestRequest", "feature_mode") ?? "core",
    end: "",
    benchmark: defaultOf("BacktestRequest", "benchmark") ?? "",
    riskManagement: defaultOf("BacktestRequest", "risk_management") ?? false,
    numbers: textsOf("BacktestRequest", BACKTEST_NUMBER_FIELDS),
    walkForward: textsOf("WalkForwardSettings", WALK_FORWARD_FIELDS),
    lightgbm,
    risk: textsOf("RiskSettings", RISK_FIELDS),
  };
}

/**
 * Read one numeric input against `bounds`; a problem is recorded under `key` (the field's
 * path in the request, e.g. "walk_forward.lightgbm.n_estimators").
 */
function readNumber(key: string, field: string, raw: string, bounds: NumericBounds, problems: Problems): number | undefined {
  if (raw.trim() === "") {
    problems[key] = "required";
    return undefined;
  }
  const value = Number(raw);
  const problem =
    BACKTEST_INTEGER_FIELDS.has(field) && Number.isFinite(value) && !Number.isInteger(value)
      ? "must be a whole number"
      : boundsProblem(value, bounds);
  if (problem) {
    problems[key] = problem;
    return undefined;
  }
  return value;
}

/** The request the draft describes, or the problems (keyed by field path) that keep it from being sent. */
export function readBacktestDraft(draft: BacktestDraft): { request?: BacktestRequest; problems: Problems } {
  const problems: Problems = {};
  const numbers: Partial<Record<BacktestNumberField, number>> = {};
  for (const { field } of BACKTEST_NUMBER_FIELDS) {
    numbers[field] = readNumber(field, field, draft.numbers[field], boundsOf("BacktestRequest", field), problems);
  }

  const tickers = parseTickers(draft.tickers);
  const tickerBounds = arrayBoundsOf("BacktestRequest", "tickers");
  if (tickerBounds.maxItems !== undefined && tickers.length > tickerBounds.maxItems) {
    problems.tickers = `give at most ${tickerBounds.maxItems}`;
  }

  let walkForward: WalkForwardSettings | undefined;
  if (draft.version === WALK_FORWARD) {
    const settings: WalkForwardSettings = {};
    for (const { field } of WALK_FORWARD_FIELDS) {
      settings[field] = readNumber(
        `walk_forward.${field}`,
        field,
        draft.walkForward[field],
        boundsOf("WalkForwardSettings", field),
        problems,
      );
    }
    const lightgbm: LightGBMParams = {};
    for (const field of LIGHTGBM_FIELDS) {
      lightgbm[field] = readNumber(
        `walk_forward.lightgbm.${field}`,
        field,
        draft.lightgbm[field],
        boundsOf("LightGBMParams", field),
        problems,
      );
    }
    walkForward = { ...settings, lightgbm };
  }

  let risk: RiskSettings | undefined;
  if (draft.riskManagement) {
    risk = {};
    for (const { field } of RISK_FIELDS) {
      risk[field] = readNumber(`risk.${field}`, field, draft.risk[field], boundsOf("RiskSettings", field), problems);
    }
  }

  if (Object.keys(problems).length > 0) return { problems };
  const benchmark = draft.benchmark.trim().toUpperCase();
  const request: BacktestRequest = {
    version: draft.version,
    ...(walkForward ? { walk_forward: walkForward } : {}),
    ...(tickers.length > 0 ? { tickers } : {}),
    full_universe: draft.fullUniverse,
    survivorship: draft.survivorship,
    feature_mode: draft.featureMode,
    ...(draft.end ? { end: draft.end } : {}),
    ...numbers,
    risk_management: draft.riskManagement,
    ...(risk ? { risk } : {}),
    ...(benchmark ? { benchmark } : {}),
  };
  return { problems, request };
}
