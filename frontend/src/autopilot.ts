// Pure helpers of the Autopilot and Paper pages: each step's label, how step statuses read and
// rank, where a cycle stands, its governance decision, the interval's minimum per mode, the
// configuration form's draft ↔ AutopilotConfigUpdate, and the paper account's equity against
// its benchmark, both rebased to 100 (the pages only render these).
import type { LineData, Time } from "lightweight-charts";
import type { ErrorBody } from "./api";
import { formatKpi } from "./backtest";
import { boundsOf, boundsProblem } from "./bounds";
import {
  AUTOPILOT_STEP_NAMES,
  type AutopilotConfig,
  type AutopilotConfigUpdate,
  type AutopilotCycle,
  type AutopilotMode,
  type AutopilotState,
  type AutopilotStep,
  type AutopilotStepName,
  type AutopilotStepStatus,
  type PaperAccount,
  type PaperMark,
  type PaperOrderStatus,
} from "./contract";

// ---------------------------------------------------------------- steps
/** How each step reads; a `Record` so a step added to the contract fails `tsc`. */
export const STEP_VIEW: Record<AutopilotStepName, { label: string; description: string }> = {
  data_refresh: { label: "Data refresh", description: "re-import changed source files (skipped in replay mode)" },
  train: { label: "Train", description: "a challenger with the champion's configuration, on data up to as-of" },
  governance: { label: "Governance", description: "promote the challenger or keep the champion" },
  signals: { label: "Signals", description: "the champion's scores at as-of" },
  paper: { label: "Paper trading", description: "orders from the signals; fills at the next stored opens, daily marks" },
  tracking: { label: "Tracking", description: "matured signals scored on data up to as-of" },
};

export function stepLabel(name: AutopilotStepName): string {
  return STEP_VIEW[name].label;
}

/**
 * How each step status reads. `severity` orders them for a cycle's summary, from all-well to
 * worst (a failure outweighs a cancellation, which outweighs work still to do); `finished`
 * says the step will not change any more.
 */
export const STEP_STATUS_VIEW: Record<
  AutopilotStepStatus,
  { label: string; icon: string; severity: number; finished: boolean }
> = {
  succeeded: { label: "Succeeded", icon: "✓", severity: 0, finished: true },
  skipped: { label: "Skipped", icon: "↷", severity: 1, finished: true },
  pending: { label: "Pending", icon: "◷", severity: 2, finished: false },
  running: { label: "Running", icon: "▶", severity: 3, finished: false },
  cancelled: { label: "Cancelled", icon: "⊘", severity: 4, finished: true },
  failed: { label: "Failed", icon: "✕", severity: 5, finished: true },
};

/** Compare two step statuses by severity (for `sort`): negative when `a` is the better one. */
export function compareStepStatus(a: AutopilotStepStatus, b: AutopilotStepStatus): number {
  return STEP_STATUS_VIEW[a].severity - STEP_STATUS_VIEW[b].severity;
}

/** The worst status among `steps` ("succeeded" when there are none). */
export function worstStepStatus(steps: readonly AutopilotStep[]): AutopilotStepStatus {
  return steps.reduce<AutopilotStepStatus>(
    (worst, step) => (compareStepStatus(step.status, worst) > 0 ? step.status : worst),
    "succeeded",
  );
}

/**
 * The six steps in the order a cycle runs them, whatever order the server sent; a step the
 * record does not have yet is shown as pending.
 */
export function orderSteps(steps: readonly AutopilotStep[]): AutopilotStep[] {
  const byName = new Map(steps.map((step) => [step.name, step]));
  return AUTOPILOT_STEP_NAMES.map(
    (name) =>
      byName.get(name) ?? {
        name,
        status: "pending",
        started_at: null,
        finished_at: null,
        duration_seconds: null,
        outcome: null,
      },
  );
}

/** Whether every one of the six steps ran to its end without trouble (succeeded or skipped). */
export function stepsComplete(steps: readonly AutopilotStep[]): boolean {
  return orderSteps(steps).every((step) => step.status === "succeeded" || step.status === "skipped");
}

/**
 * Where a cycle stands, worded as the job's progress message is ("step 2/6: train"): the
 * running step, else the first pending one; null once no step is left to run.
 */
export function currentStepLabel(steps: readonly AutopilotStep[]): string | null {
  const ordered = orderSteps(steps);
  const running = ordered.findIndex((step) => step.status === "running");
  const index = running >= 0 ? running : ordered.findIndex((step) => step.status === "pending");
  if (index < 0) return null;
  return `step ${index + 1}/${ordered.length}: ${ordered[index]?.name ?? ""}`;
}

/** Whether a cycle is queued or running, by the state's own account. */
export function cycleActive(state: Pick<AutopilotState, "running_job_id" | "cycles"> | undefined): boolean {
  if (!state) return false;
  return state.running_job_id !== null || state.cycles.some((cycle) => cycle.status === "queued" || cycle.status === "running");
}

// ---------------------------------------------------------------- the decision
export type DecisionVerdict = "promoted" | "kept" | "none" | "failed" | "pending";

export type CycleDecision = {
  verdict: DecisionVerdict;
  /** The whole decision in words, e.g. "promoted: first version: champion by default". */
  text: string;
  /** Why, without the verdict the badge already says ("first version: champion by default"). */
  reason: string;
};

const VERDICT_PREFIXES: readonly { prefix: string; verdict: DecisionVerdict }[] = [
  { prefix: "promoted", verdict: "promoted" },
  { prefix: "kept the champion", verdict: "kept" },
  { prefix: "kept", verdict: "kept" },
];

/**
 * The governance step's decision in a cycle. Its outcome starts with "promoted" or "kept the
 * champion" (the server's wording), then ": " and the reason; a skipped step (no challenger
 * was trained) decided nothing.
 */
export function cycleDecision(cycle: Pick<AutopilotCycle, "steps">): CycleDecision {
  const step = cycle.steps.find((item) => item.name === "governance");
  const outcome = step?.outcome?.trim() ?? "";
  const plain = (verdict: DecisionVerdict, text: string): CycleDecision => ({ verdict, text, reason: text });
  switch (step?.status) {
    case undefined:
    case "pending":
      return plain("pending", "—");
    case "running":
      return plain("pending", "deciding…");
    case "skipped":
      return { verdict: "none", text: `no decision${outcome ? `: ${outcome}` : ""}`, reason: outcome || "skipped" };
    case "cancelled":
      return plain("none", "cancelled before a decision");
    case "failed":
      return { verdict: "failed", text: `failed${outcome ? `: ${outcome}` : ""}`, reason: outcome || "failed" };
    case "succeeded": {
      if (!outcome) return plain("none", "decided (no reason given)");
      const lower = outcome.toLowerCase();
      const match = VERDICT_PREFIXES.find((item) => lower.startsWith(item.prefix));
      if (!match) return plain("none", outcome);
      const rest = outcome.slice(match.prefix.length).replace(/^\s*:\s*/, "").trim();
      return { verdict: match.verdict, text: outcome, reason: rest || outcome };
    }
  }
}

// ---------------------------------------------------------------- configuration
/**
 * The least `interval_seconds` per mode (the server answers 422 below it): a replay steps
 * through stored history and may run every minute; live waits for new data, at most hourly.
 */
export const MIN_INTERVAL_SECONDS: Record<AutopilotMode, number> = { replay: 60, live: 3600 };

export function minIntervalSeconds(mode: AutopilotMode): number {
  return MIN_INTERVAL_SECONDS[mode];
}

/** A duration in seconds the way people say it: "45 s", "5 min", "1 h 30 min", "2 d 3 h". */
export function formatInterval(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "—";
  const whole = Math.round(seconds);
  const pair = (big: number, bigUnit: string, small: number, smallUnit: string) =>
    small > 0 ? `${big} ${bigUnit} ${small} ${smallUnit}` : `${big} ${bigUnit}`;
  if (whole < 60) return `${whole} s`;
  if (whole < 3600) return pair(Math.floor(whole / 60), "min", whole % 60, "s");
  if (whole < 86_400) return pair(Math.floor(whole / 3600), "h", Math.floor((whole % 3600) / 60), "min");
  return pair(Math.floor(whole / 86_400), "d", Math.floor((whole % 86_400) / 3600), "h");
}

/** The configuration form as typed: numbers and the date are kept as the input's text. */
export type ConfigDraft = {
  enabled: boolean;
  mode: AutopilotMode;
  intervalSeconds: string;
  stepDays: string;
  /** "YYYY-MM-DD", or "" for the default (252 trading days before the last stored date). */
  replayStart: string;
};

/** Form field → problem; keys are the request's field names (`interval_seconds`, …). */
export type ConfigProblems = Record<string, string>;

export function configDraft(config: AutopilotConfig): ConfigDraft {
  return {
    enabled: config.enabled,
    mode: config.mode,
    intervalSeconds: String(config.interval_seconds),
    stepDays: String(config.step_days),
    replayStart: config.replay_start ?? "",
  };
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

function isIsoDate(text: string): boolean {
  if (!ISO_DATE.test(text)) return false;
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === text;
}

function readInteger(raw: string, problem: (value: number) => string | null): number | string {
  if (raw.trim() === "") return "required";
  const value = Number(raw);
  if (!Number.isFinite(value)) return "must be a number";
  if (!Number.isInteger(value)) return "must be a whole number";
  return problem(value) ?? value;
}

/** Why `seconds` cannot be the interval in `mode` (contract bounds and the mode's minimum), or null. */
export function intervalProblem(mode: AutopilotMode, seconds: number): string | null {
  const minimum = minIntervalSeconds(mode);
  if (Number.isFinite(seconds) && seconds < minimum) {
    return `must be ≥ ${minimum} in ${mode} mode (${formatInterval(minimum)})`;
  }
  return boundsProblem(seconds, boundsOf("AutopilotConfigUpdate", "interval_seconds"));
}

/**
 * The update a draft stands for: only the fields that differ from `current` (the PUT keeps the
 * others), or the problems that keep it from being sent. Every field is checked, changed or
 * not, since the server checks the configuration that results.
 */
export function readConfigDraft(
  draft: ConfigDraft,
  current: AutopilotConfig,
): { update: AutopilotConfigUpdate | null; problems: ConfigProblems } {
  const problems: ConfigProblems = {};
  const interval = readInteger(draft.intervalSeconds, (value) => intervalProblem(draft.mode, value));
  if (typeof interval === "string") problems.interval_seconds = interval;
  const stepDays = readInteger(draft.stepDays, (value) =>
    boundsProblem(value, boundsOf("AutopilotConfigUpdate", "step_days")),
  );
  if (typeof stepDays === "string") problems.step_days = stepDays;
  const replayStart = draft.replayStart.trim();
  if (replayStart !== "" && !isIsoDate(replayStart)) problems.replay_start = "must be a date (YYYY-MM-DD) or empty";
  if (typeof interval === "string" || typeof stepDays === "string" || problems.replay_start) {
    return { update: null, problems };
  }
  const update: AutopilotConfigUpdate = {};
  if (draft.enabled !== current.enabled) update.enabled = draft.enabled;
  if (draft.mode !== current.mode) update.mode = draft.mode;
  if (interval !== current.interval_seconds) update.interval_seconds = interval;
  if (stepDays !== current.step_days) update.step_days = stepDays;
  const start = replayStart === "" ? null : replayStart;
  if (start !== current.replay_start) update.replay_start = start;
  return { update, problems };
}

/** The server's 422 field errors (`details[].loc` such as `["body","interval_seconds"]`) by field. */
export function configProblemsFromDetails(details: ErrorBody["details"]): ConfigProblems {
  const problems: ConfigProblems = {};
  for (const detail of details) {
    const loc = detail.loc[0] === "body" ? detail.loc.slice(1) : detail.loc;
    const key = loc.length === 0 ? "form" : loc.join(".");
    problems[key] = problems[key] ? `${problems[key]}; ${detail.msg}` : detail.msg;
  }
  return problems;
}

// ---------------------------------------------------------------- paper account
export const ORDER_STATUS_VIEW: Record<PaperOrderStatus, { label: string; icon: string }> = {
  pending: { label: "Pending", icon: "◷" },
  filled: { label: "Filled", icon: "✓" },
  expired: { label: "Expired", icon: "⌛" },
  cancelled: { label: "Cancelled", icon: "⊘" },
};

export type RebasedLines = {
  /** Net equity, 100 at the first mark. */
  equity: LineData<Time>[];
  /** Equity without costs, 100 at the first mark (the same base as `equity`). */
  gross: LineData<Time>[];
  /** The benchmark's close, 100 at its first mark with a close; marks without a positive close are left out. */
  benchmark: LineData<Time>[];
};

const usableBase = (value: number | null | undefined): value is number =>
  value !== null && value !== undefined && Number.isFinite(value) && value > 0;

/**
 * The account's marks as lines rebased to 100, so the account and its benchmark (a price, not
 * money) share one axis. Marks are taken in date order, one per date (the last wins). The
 * equity lines use the first mark's net equity as their base (a line whose base is missing or
 * not positive is left empty); the benchmark its own first positive close.
 */
export function rebasedEquityLines(points: readonly PaperMark[]): RebasedLines {
  const byDate = new Map<string, PaperMark>();
  for (const point of points) byDate.set(point.date, point);
  const marks = [...byDate.values()].sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  const lines: RebasedLines = { equity: [], gross: [], benchmark: [] };
  const equityBase = marks[0]?.equity;
  if (usableBase(equityBase)) {
    for (const mark of marks) {
      if (Number.isFinite(mark.equity)) lines.equity.push({ time: mark.date, value: (mark.equity / equityBase) * 100 });
      if (Number.isFinite(mark.gross_equity)) {
        lines.gross.push({ time: mark.date, value: (mark.gross_equity / equityBase) * 100 });
      }
    }
  }
  const benchmarkBase = marks.find((mark) => usableBase(mark.benchmark))?.benchmark;
  if (usableBase(benchmarkBase)) {
    for (const mark of marks) {
      if (usableBase(mark.benchmark)) lines.benchmark.push({ time: mark.date, value: (mark.benchmark / benchmarkBase) * 100 });
    }
  }
  return lines;
}

const money = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

/** Money with its sign, whole units: "+12,345", "−1,200", "0". */
export function formatSignedMoney(value: number): string {
  if (!Number.isFinite(value)) return "—";
  const rounded = Math.round(value);
  if (rounded === 0) return "0";
  return `${rounded > 0 ? "+" : "−"}${money.format(Math.abs(rounded))}`;
}

export type PaperKpi = {
  key: "equity" | "cash" | "exposure" | "positions" | "pnl" | "return";
  label: string;
  value: string;
  /** A second line (gross figures, limits), or null. */
  detail: string | null;
  /** Gains read "up", losses "down"; null for figures without a direction. */
  tone: "up" | "down" | null;
};

function tone(value: number): PaperKpi["tone"] {
  return value > 0 ? "up" : value < 0 ? "down" : null;
}

/**
 * The account's KPI cards in display order. `exposure` is a fraction of net equity;
 * `return_pct` is already a percentage (12.5 for +12.5 %).
 */
export function paperKpis(account: PaperAccount): PaperKpi[] {
  const limit = account.trading.max_positions;
  return [
    {
      key: "equity",
      label: "Equity",
      value: formatKpi(account.equity, "money"),
      detail: `gross ${formatKpi(account.gross_equity, "money")}`,
      tone: null,
    },
    {
      key: "cash",
      label: "Cash",
      value: formatKpi(account.cash, "money"),
      detail: `of ${formatKpi(account.initial_capital, "money")} initial capital`,
      tone: null,
    },
    { key: "exposure", label: "Exposure", value: formatKpi(account.exposure, "share"), detail: "held value / net equity", tone: null },
    {
      key: "positions",
      label: "Positions",
      value: formatKpi(account.positions, "count"),
      detail: limit === undefined ? null : `at most ${limit}`,
      tone: null,
    },
    {
      key: "pnl",
      label: "P&L",
      value: formatSignedMoney(account.pnl),
      detail: `gross ${formatSignedMoney(account.gross_pnl)}`,
      tone: tone(account.pnl),
    },
    {
      key: "return",
      label: "Return",
      value: formatKpi(account.return_pct / 100, "return"),
      detail: `net, since ${account.start_date}`,
      tone: tone(account.return_pct),
    },
  ];
}
