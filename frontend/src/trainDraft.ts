// The train form's draft: every TrainRequest field as typed text, initialised from the
// contract's defaults and read back into a request against the contract's bounds.
import { type NumericField, arrayBoundsOf, defaultOf } from "./bounds";
import { type FeatureMode, LIGHTGBM_FIELDS, type LightGBMParams, type TrainRequest } from "./contract";
import { type Problems, readBounded } from "./pages/pricing/shared";
import { parseHorizons } from "./research";

export type LightGBMField = (typeof LIGHTGBM_FIELDS)[number];
export const TOP_NUMERIC_FIELDS = ["years", "folds", "embargo_days", "seed"] as const satisfies readonly NumericField<"TrainRequest">[];
export type TopField = (typeof TOP_NUMERIC_FIELDS)[number];
type AssertNever<T extends never> = T;
/** A numeric field added to TrainRequest fails `tsc` until the form has an input for it. */
export type EveryTrainNumberListed = AssertNever<Exclude<NumericField<"TrainRequest">, TopField>>;

export const TOP_FIELDS: { field: TopField; label: string; hint?: string }[] = [
  { field: "years", label: "Years", hint: "training window up to the end date" },
  { field: "folds", label: "Folds", hint: "walk-forward CV folds" },
  { field: "embargo_days", label: "Embargo days", hint: "trading days between training labels and each test block" },
  { field: "seed", label: "Seed" },
];

export const LIGHTGBM_LABELS: Record<LightGBMField, string> = {
  num_leaves: "Leaves (num_leaves)",
  learning_rate: "Learning rate",
  n_estimators: "Boosting rounds (n_estimators)",
  min_data_in_leaf: "Min data in leaf",
  feature_fraction: "Feature fraction",
};

/** Fields the contract types as `integer` (a fraction is refused before sending). */
export const INTEGER_FIELDS: ReadonlySet<string> = new Set<TopField | LightGBMField>([
  "years",
  "folds",
  "embargo_days",
  "seed",
  "num_leaves",
  "n_estimators",
  "min_data_in_leaf",
]);

export type Draft = {
  horizons: string;
  featureMode: FeatureMode;
  survivorship: boolean;
  fullUniverse: boolean;
  end: string;
  top: Record<TopField, string>;
  lightgbm: Record<LightGBMField, string>;
};

const text = (value: number | undefined) => (value === undefined ? "" : String(value));

export function initialDraft(): Draft {
  return {
    horizons: (defaultOf("TrainRequest", "horizons") ?? []).join(", "),
    featureMode: defaultOf("TrainRequest", "feature_mode") ?? "core",
    survivorship: defaultOf("TrainRequest", "survivorship") ?? true,
    fullUniverse: defaultOf("TrainRequest", "full_universe") ?? false,
    end: "",
    top: {
      years: text(defaultOf("TrainRequest", "years")),
      folds: text(defaultOf("TrainRequest", "folds")),
      embargo_days: text(defaultOf("TrainRequest", "embargo_days")),
      seed: text(defaultOf("TrainRequest", "seed")),
    },
    lightgbm: {
      num_leaves: text(defaultOf("LightGBMParams", "num_leaves")),
      learning_rate: text(defaultOf("LightGBMParams", "learning_rate")),
      n_estimators: text(defaultOf("LightGBMParams", "n_estimators")),
      min_data_in_leaf: text(defaultOf("LightGBMParams", "min_data_in_leaf")),
      feature_fraction: text(defaultOf("LightGBMParams", "feature_fraction")),
    },
  };
}

function wholeNumber(field: string, value: number | undefined, problems: Problems): number | undefined {
  if (value !== undefined && INTEGER_FIELDS.has(field) && !Number.isInteger(value)) {
    problems[field] = "must be a whole number";
    return undefined;
  }
  return value;
}

/** The request the draft describes, or the problems that keep it from being sent. */
export function readTrainDraft(draft: Draft): { request?: TrainRequest; problems: Problems } {
  const problems: Problems = {};
  const horizons = parseHorizons(draft.horizons, arrayBoundsOf("TrainRequest", "horizons"));
  if (!horizons.ok) problems.horizons = horizons.problem;
  const top: Partial<Record<TopField, number>> = {};
  for (const { field } of TOP_FIELDS) {
    top[field] = wholeNumber(field, readBounded("TrainRequest", field, draft.top[field], problems), problems);
  }
  const lightgbm: LightGBMParams = {};
  for (const field of LIGHTGBM_FIELDS) {
    lightgbm[field] = wholeNumber(field, readBounded("LightGBMParams", field, draft.lightgbm[field], problems), problems);
  }
  if (Object.keys(problems).length > 0 || !horizons.ok) return { problems };
  return {
    problems,
    request: {
      horizons: horizons.value,
      feature_mode: draft.featureMode,
      survivorship: draft.survivorship,
      full_universe: draft.fullUniverse,
      ...top,
      ...(draft.end ? { end: draft.end } : {}),
      lightgbm,
    },
  };
}
