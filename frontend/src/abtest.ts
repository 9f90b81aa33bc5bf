// A/B tests of model versions: the create form's draft ↔ AbTestRequest (arm weights must sum
// to 1), the server's 422 field errors → the form's fields, each arm's cumulative series,
// p-values and the assignment table (pure; the pages only render these).
import type { LineData, Time } from "lightweight-charts";
import type { ErrorBody } from "./api";
import { boundsOf, boundsProblem, defaultOf } from "./bounds";
import type { AbArmDay, AbTestRequest, AbTestStatus } from "./contract";

/** How far the weights' sum may be from 1 (float sums such as 0.1 + 0.2 + 0.7). */
export const WEIGHT_TOLERANCE = 1e-9;

export const AB_TEST_STATUS_VIEW: Record<AbTestStatus, { label: string; icon: string }> = {
  running: { label: "Running", icon: "▶" },
  stopped: { label: "Stopped", icon: "■" },
};

/** The sum of the weights. */
export function weightsSum(weights: readonly number[]): number {
  return weights.reduce((total, weight) => total + weight, 0);
}

/** Why the weights do not sum to 1 (within `tolerance`), or null when they do. */
export function weightsSumProblem(weights: readonly number[], tolerance = WEIGHT_TOLERANCE): string | null {
  if (weights.some((weight) => !Number.isFinite(weight))) return "every weight must be a number";
  const sum = weightsSum(weights);
  if (Math.abs(sum - 1) <= tolerance) return null;
  return `the weights must sum to 1 (they sum to ${Number(sum.toFixed(12))})`;
}

export type ArmDraft = { version: string; weight: string };
export type AbTestDraft = { name: string; arms: ArmDraft[]; salt: string; horizon: string; topN: string };

/** Field → problem; arm fields are `arms.<i>.version` / `arms.<i>.weight`, the sum is `weights`. */
export type AbProblems = Record<string, string>;

/** Two arms, half and half, no version chosen yet; top_n at the contract's default. */
export function initialAbTestDraft(): AbTestDraft {
  const topN = defaultOf("AbTestRequest", "top_n");
  return {
    name: "",
    arms: [
      { version: "", weight: "0.5" },
      { version: "", weight: "0.5" },
    ],
    salt: "",
    horizon: "",
    topN: topN === undefined ? "" : String(topN),
  };
}

/** Weights of `count` arms that sum to exactly 1 when added up in order (the last takes the rest). */
export function evenWeights(count: number): string[] {
  if (count <= 0) return [];
  const share = Number((1 / count).toFixed(4));
  const weights = Array.from({ length: count - 1 }, () => String(share));
  weights.push(String(Number((1 - share * (count - 1)).toFixed(4))));
  return weights;
}

function readNumber(raw: string, bounds: ReturnType<typeof boundsOf>, integer: boolean): number | string {
  if (raw.trim() === "") return "required";
  const value = Number(raw);
  if (integer && Number.isFinite(value) && !Number.isInteger(value)) return "must be a whole number";
  return boundsProblem(value, bounds) ?? value;
}

/** The request a draft stands for, or the problems that keep it from being sent. */
export function readAbTestDraft(draft: AbTestDraft): { request: AbTestRequest | null; problems: AbProblems } {
  const problems: AbProblems = {};
  const name = draft.name.trim();
  if (!name) problems.name = "required";
  if (draft.arms.length < 2) problems.weights = "an A/B test needs at least two arms";
  const weightBounds = boundsOf("AbArmRequest", "weight");
  const arms: AbTestRequest["arms"] = [];
  const weights: number[] = [];
  draft.arms.forEach((arm, index) => {
    if (!arm.version) problems[`arms.${index}.version`] = "choose a version";
    const weight = readNumber(arm.weight, weightBounds, false);
    if (typeof weight === "string") problems[`arms.${index}.weight`] = weight;
    else weights.push(weight);
    arms.push({ version: arm.version, weight: typeof weight === "number" ? weight : Number.NaN });
  });
  if (weights.length === draft.arms.length && draft.arms.length >= 2) {
    const problem = weightsSumProblem(weights);
    if (problem) problems.weights = problem;
  }
  const request: AbTestRequest = { name, arms };
  const salt = draft.salt.trim();
  if (salt) request.salt = salt;
  if (draft.horizon.trim() !== "") {
    const horizon = readNumber(draft.horizon, boundsOf("AbTestRequest", "horizon"), true);
    if (typeof horizon === "string") problems.horizon = horizon;
    else request.horizon = horizon;
  }
  const topN = readNumber(draft.topN, boundsOf("AbTestRequest", "top_n"), true);
  if (typeof topN === "string") problems.top_n = topN;
  else request.top_n = topN;
  return Object.keys(problems).length > 0 ? { request: null, problems } : { request, problems };
}

/**
 * The server's field errors (422 `details[].loc` such as `["body","arms",1,"version"]`) keyed
 * like the form's problems (`arms.1.version`); a detail on a whole arm or on the list lands on
 * `weights`, the line under the arms.
 */
export function problemsFromDetails(details: ErrorBody["details"]): AbProblems {
  const problems: AbProblems = {};
  for (const detail of details) {
    const loc = detail.loc[0] === "body" ? detail.loc.slice(1) : detail.loc;
    if (loc.length === 0) continue;
    let key = loc.join(".");
    if (loc[0] === "arms" && !(loc.length >= 3 && (loc[2] === "version" || loc[2] === "weight"))) key = "weights";
    problems[key] = problems[key] ? `${problems[key]}; ${detail.msg}` : detail.msg;
  }
  return problems;
}

/**
 * The growth of 1 over an arm's dates as a percentage line: at each date the product of
 * (1 + daily figure) − 1 so far, × 100. Dates are taken in order, one per date (the last wins).
 */
export function cumulativeSeries(days: readonly AbArmDay[]): LineData<Time>[] {
  const byDate = new Map<string, number>();
  for (const day of days) {
    if (Number.isFinite(day.mean_return)) byDate.set(day.date, day.mean_return);
  }
  const dates = [...byDate.keys()].sort();
  let growth = 1;
  return dates.map((date) => {
    growth *= 1 + (byDate.get(date) ?? 0);
    return { time: date, value: (growth - 1) * 100 };
  });
}

/** A p-value: "—" when missing, "< 0.001" when tiny, else three decimals. */
export function formatPValue(p: number | null | undefined): string {
  if (p === null || p === undefined || !Number.isFinite(p)) return "—";
  if (p < 0.001) return "< 0.001";
  return p.toFixed(3);
}

export type AssignmentRow = { ticker: string; arm: number };

/** The assignment as rows sorted by ticker, keeping those whose ticker contains `filter` (any case). */
export function assignmentRows(assignments: Readonly<Record<string, number>>, filter = ""): AssignmentRow[] {
  const needle = filter.trim().toUpperCase();
  return Object.entries(assignments)
    .filter(([ticker]) => ticker.toUpperCase().includes(needle))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([ticker, arm]) => ({ ticker, arm }));
}

/** How many of `rows` each of `armCount` arms has (index = arm). */
export function countPerArm(rows: readonly AssignmentRow[], armCount: number): number[] {
  const counts = Array.from({ length: armCount }, () => 0);
  for (const row of rows) {
    if (row.arm >= 0 && row.arm < armCount) counts[row.arm] = (counts[row.arm] ?? 0) + 1;
  }
  return counts;
}
