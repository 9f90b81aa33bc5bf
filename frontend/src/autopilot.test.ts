import { describe, expect, it } from "vitest";
import {
  STEP_VIEW,
  compareStepStatus,
  configDraft,
  configProblemsFromDetails,
  currentStepLabel,
  cycleActive,
  cycleDecision,
  formatInterval,
  formatSignedMoney,
  intervalProblem,
  minIntervalSeconds,
  orderSteps,
  paperKpis,
  readConfigDraft,
  rebasedEquityLines,
  stepLabel,
  stepsComplete,
  worstStepStatus,
} from "./autopilot";
import {
  AUTOPILOT_STEP_NAMES,
  type AutopilotConfig,
  type AutopilotCycle,
  type AutopilotStep,
  type AutopilotStepName,
  type AutopilotStepStatus,
  type PaperAccount,
  type PaperMark,
} from "./contract";

const step = (name: AutopilotStepName, status: AutopilotStepStatus, outcome: string | null = null): AutopilotStep => ({
  name,
  status,
  started_at: null,
  finished_at: null,
  duration_seconds: null,
  outcome,
});

const CONFIG: AutopilotConfig = {
  enabled: false,
  mode: "live",
  interval_seconds: 7200,
  replay_start: null,
  step_days: 5,
  training: {
    horizons: [5],
    feature_mode: "core",
    survivorship: true,
    full_universe: false,
    years: 3,
    end: null,
    folds: 3,
    embargo_days: 5,
    seed: 0,
    lightgbm: { num_leaves: 31, learning_rate: 0.05, n_estimators: 100, min_data_in_leaf: 200, feature_fraction: 0.8 },
  },
  trading: { max_positions: 10, position_size: 0.1, holding_period: 5, initial_capital: 1_000_000 },
};

describe("steps", () => {
  it("labels every step of the contract", () => {
    expect(stepLabel("data_refresh")).toBe("Data refresh");
    expect(stepLabel("paper")).toBe("Paper trading");
    for (const name of AUTOPILOT_STEP_NAMES) expect(STEP_VIEW[name].label.length).toBeGreaterThan(0);
  });

  it("orders steps as a cycle runs them and fills the missing ones as pending", () => {
    const ordered = orderSteps([step("tracking", "succeeded"), step("data_refresh", "succeeded"), step("train", "running")]);
    expect(ordered.map((item) => item.name)).toEqual([
      "data_refresh",
      "train",
      "governance",
      "signals",
      "paper",
      "tracking",
    ]);
    expect(ordered.map((item) => item.status)).toEqual(["succeeded", "running", "pending", "pending", "pending", "succeeded"]);
  });

  it("ranks step statuses from all-well to failed", () => {
    const statuses: AutopilotStepStatus[] = ["failed", "pending", "succeeded", "cancelled", "running", "skipped"];
    expect([...statuses].sort(compareStepStatus)).toEqual(["succeeded", "skipped", "pending", "running", "cancelled", "failed"]);
    expect(worstStepStatus([step("train", "succeeded"), step("signals", "skipped")])).toBe("skipped");
    expect(worstStepStatus([step("train", "failed"), step("signals", "cancelled")])).toBe("failed");
    expect(worstStepStatus([])).toBe("succeeded");
  });

  it("calls a cycle complete only when all six steps succeeded or were skipped", () => {
    const six = AUTOPILOT_STEP_NAMES.map((name) => step(name, name === "data_refresh" ? "skipped" : "succeeded"));
    expect(stepsComplete(six)).toBe(true);
    expect(stepsComplete(six.slice(0, 5))).toBe(false); // tracking missing
    expect(stepsComplete(six.map((item) => (item.name === "paper" ? { ...item, status: "failed" } : item)))).toBe(false);
  });

  it("sees a cycle as active while the state names a job or lists one queued or running", () => {
    const cycle = (status: AutopilotCycle["status"]): AutopilotCycle => ({
      job_id: `job-${status}`,
      status,
      as_of: "2018-02-07",
      mode: "live",
      started_at: null,
      finished_at: null,
      steps: [],
      error: null,
    });
    expect(cycleActive({ running_job_id: "j1", cycles: [] })).toBe(true);
    expect(cycleActive({ running_job_id: null, cycles: [cycle("succeeded"), cycle("running")] })).toBe(true);
    expect(cycleActive({ running_job_id: null, cycles: [cycle("queued")] })).toBe(true);
    expect(cycleActive({ running_job_id: null, cycles: [cycle("succeeded"), cycle("failed"), cycle("cancelled")] })).toBe(false);
    expect(cycleActive(undefined)).toBe(false);
  });

  it("words where a cycle stands as the job's progress does", () => {
    expect(currentStepLabel([step("data_refresh", "succeeded"), step("train", "running")])).toBe("step 2/6: train");
    expect(currentStepLabel([step("data_refresh", "succeeded"), step("train", "succeeded")])).toBe("step 3/6: governance");
    expect(currentStepLabel(AUTOPILOT_STEP_NAMES.map((name) => step(name, "succeeded")))).toBeNull();
  });
});

describe("the cycle's decision", () => {
  it("reads the governance step's outcome", () => {
    const promoted = cycleDecision({ steps: [step("governance", "succeeded", "promoted: first version: champion by default")] });
    expect(promoted).toEqual({
      verdict: "promoted",
      text: "promoted: first version: champion by default",
      reason: "first version: champion by default",
    });
    const kept = cycleDecision({ steps: [step("governance", "succeeded", "kept the champion: ICIR 0.01 below v1's 0.2")] });
    expect(kept).toEqual({
      verdict: "kept",
      text: "kept the champion: ICIR 0.01 below v1's 0.2",
      reason: "ICIR 0.01 below v1's 0.2",
    });
    expect(cycleDecision({ steps: [step("governance", "succeeded", "retired v1")] })).toEqual({
      verdict: "none",
      text: "retired v1",
      reason: "retired v1",
    });
  });

  it("says when nothing was decided, failed or is still to come", () => {
    expect(cycleDecision({ steps: [step("governance", "skipped", "no challenger trained in this cycle")] })).toEqual({
      verdict: "none",
      text: "no decision: no challenger trained in this cycle",
      reason: "no challenger trained in this cycle",
    });
    expect(cycleDecision({ steps: [step("governance", "failed", "registry locked")] })).toEqual({
      verdict: "failed",
      text: "failed: registry locked",
      reason: "registry locked",
    });
    expect(cycleDecision({ steps: [step("governance", "running")] }).verdict).toBe("pending");
    expect(cycleDecision({ steps: [step("train", "running")] })).toEqual({ verdict: "pending", text: "—", reason: "—" });
    expect(cycleDecision({ steps: [step("governance", "cancelled")] }).verdict).toBe("none");
  });
});

describe("interval", () => {
  it("has a minimum per mode", () => {
    expect(minIntervalSeconds("replay")).toBe(60);
    expect(minIntervalSeconds("live")).toBe(3600);
  });

  it("checks the mode's minimum and the contract's maximum", () => {
    expect(intervalProblem("live", 3600)).toBeNull();
    expect(intervalProblem("live", 3599)).toBe("must be ≥ 3600 in live mode (1 h)");
    expect(intervalProblem("replay", 60)).toBeNull();
    expect(intervalProblem("replay", 59)).toBe("must be ≥ 60 in replay mode (1 min)");
    expect(intervalProblem("replay", 2_592_001)).toBe("must be ≤ 2592000");
  });

  it("formats durations the way people say them", () => {
    expect(formatInterval(45)).toBe("45 s");
    expect(formatInterval(300)).toBe("5 min");
    expect(formatInterval(90)).toBe("1 min 30 s");
    expect(formatInterval(5400)).toBe("1 h 30 min");
    expect(formatInterval(86_400 + 3 * 3600)).toBe("1 d 3 h");
  });
});

describe("the configuration form's draft", () => {
  it("starts from the configuration, an empty replay start for null", () => {
    expect(configDraft(CONFIG)).toEqual({
      enabled: false,
      mode: "live",
      intervalSeconds: "7200",
      stepDays: "5",
      replayStart: "",
    });
  });

  it("sends only the fields that changed", () => {
    const draft = { ...configDraft(CONFIG), enabled: true, replayStart: "2017-01-03" };
    expect(readConfigDraft(draft, CONFIG)).toEqual({ update: { enabled: true, replay_start: "2017-01-03" }, problems: {} });
    expect(readConfigDraft(configDraft(CONFIG), CONFIG)).toEqual({ update: {}, problems: {} });
    const cleared = readConfigDraft(configDraft({ ...CONFIG, replay_start: "2017-01-03" }), CONFIG);
    expect(cleared.update).toEqual({ replay_start: "2017-01-03" });
    expect(readConfigDraft({ ...configDraft(CONFIG), replayStart: "" }, { ...CONFIG, replay_start: "2017-01-03" }).update).toEqual({
      replay_start: null,
    });
  });

  it("checks the interval against the drafted mode, even when only the mode changed", () => {
    const replay = { ...CONFIG, mode: "replay" as const, interval_seconds: 120 };
    const { update, problems } = readConfigDraft({ ...configDraft(replay), mode: "live" }, replay);
    expect(update).toBeNull();
    expect(problems).toEqual({ interval_seconds: "must be ≥ 3600 in live mode (1 h)" });
    expect(readConfigDraft({ ...configDraft(CONFIG), mode: "replay", intervalSeconds: "120" }, CONFIG).update).toEqual({
      mode: "replay",
      interval_seconds: 120,
    });
  });

  it("refuses what is not a whole number, out of bounds or not a date", () => {
    const { update, problems } = readConfigDraft(
      { ...configDraft(CONFIG), intervalSeconds: "3600.5", stepDays: "64", replayStart: "2017-02-30" },
      CONFIG,
    );
    expect(update).toBeNull();
    expect(problems).toEqual({
      interval_seconds: "must be a whole number",
      step_days: "must be ≤ 63",
      replay_start: "must be a date (YYYY-MM-DD) or empty",
    });
    expect(readConfigDraft({ ...configDraft(CONFIG), intervalSeconds: " " }, CONFIG).problems).toEqual({
      interval_seconds: "required",
    });
  });

  it("puts the server's 422 details at the fields", () => {
    expect(
      configProblemsFromDetails([
        { loc: ["body", "interval_seconds"], msg: ">= 3600 in live mode" },
        { loc: ["body", "interval_seconds"], msg: "must be an integer" },
        { loc: ["body"], msg: "unknown field" },
      ]),
    ).toEqual({ interval_seconds: ">= 3600 in live mode; must be an integer", form: "unknown field" });
  });
});

describe("paper account", () => {
  const mark = (date: string, equity: number, benchmark: number | null, gross = equity): PaperMark => ({
    date,
    equity,
    gross_equity: gross,
    cash: equity,
    exposure: 0,
    positions: 0,
    benchmark,
  });

  it("rebases equity and benchmark to 100 at the first mark", () => {
    const lines = rebasedEquityLines([
      mark("2018-02-06", 1_000_000, 2.0, 1_000_000),
      mark("2018-02-07", 1_050_000, 2.2, 1_060_000),
      mark("2018-02-08", 990_000, 1.9, 1_000_000),
    ]);
    expect(lines.equity.map((point) => point.value)).toEqual([100, 105, 99]);
    expect(lines.gross.map((point) => point.value)).toEqual([100, 106, 100]);
    expect(lines.benchmark.map((point) => point.value)).toEqual([100, 110.00000000000001, 95]);
    expect(lines.equity.map((point) => point.time)).toEqual(["2018-02-06", "2018-02-07", "2018-02-08"]);
  });

  it("sorts marks, keeps the last of a date, and rebases a late benchmark at its own first close", () => {
    const lines = rebasedEquityLines([
      mark("2018-02-08", 1_100_000, 4.0),
      mark("2018-02-06", 1_000_000, null),
      mark("2018-02-07", 1_000_000, 5.0),
      mark("2018-02-07", 1_020_000, 5.0),
    ]);
    expect(lines.equity).toEqual([
      { time: "2018-02-06", value: 100 },
      { time: "2018-02-07", value: 102 },
      { time: "2018-02-08", value: 110.00000000000001 },
    ]);
    expect(lines.benchmark).toEqual([
      { time: "2018-02-07", value: 100 },
      { time: "2018-02-08", value: 80 },
    ]);
  });

  it("leaves a line empty when its base is not positive", () => {
    const lines = rebasedEquityLines([mark("2018-02-06", 0, 0), mark("2018-02-07", 10, 1)]);
    expect(lines.equity).toEqual([]);
    expect(lines.benchmark).toEqual([
      { time: "2018-02-07", value: 100 },
    ]);
    expect(rebasedEquityLines([])).toEqual({ equity: [], gross: [], benchmark: [] });
  });

  it("shows the account's KPIs with return_pct read as a percentage", () => {
    const account: PaperAccount = {
      start_date: "2018-01-02",
      as_of: "2018-02-07",
      initial_capital: 1_000_000,
      cash: 400_000,
      equity: 1_012_500,
      gross_equity: 1_014_000,
      exposure: 0.605,
      positions: 6,
      pnl: 12_500,
      gross_pnl: 14_000,
      return_pct: 1.25,
      trading: { max_positions: 10 },
    };
    const kpis = Object.fromEntries(paperKpis(account).map((kpi) => [kpi.key, kpi]));
    expect(paperKpis(account).map((kpi) => kpi.key)).toEqual(["equity", "cash", "exposure", "positions", "pnl", "return"]);
    expect(kpis.equity?.value).toBe("1,012,500");
    expect(kpis.equity?.detail).toBe("gross 1,014,000");
    expect(kpis.exposure?.value).toBe("60.5%");
    expect(kpis.positions?.detail).toBe("at most 10");
    expect(kpis.pnl?.value).toBe("+12,500");
    expect(kpis.pnl?.tone).toBe("up");
    expect(kpis.return?.value).toBe("+1.25%");
    const losing = Object.fromEntries(
      paperKpis({ ...account, pnl: -3_000.4, gross_pnl: -2_000, return_pct: -0.3 }).map((kpi) => [kpi.key, kpi]),
    );
    expect(losing.pnl?.value).toBe("−3,000");
    expect(losing.pnl?.tone).toBe("down");
    expect(losing.return?.value).toBe("-0.30%");
  });

  it("signs money and rounds to whole units", () => {
    expect(formatSignedMoney(0.4)).toBe("0");
    expect(formatSignedMoney(1234.6)).toBe("+1,235");
    expect(formatSignedMoney(-1234.4)).toBe("−1,234");
  });
});
