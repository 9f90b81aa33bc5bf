import { describe, expect, it } from "vitest";
import { initialBacktestDraft, readBacktestDraft } from "./backtestDraft";

describe("the backtest form's draft", () => {
  it("starts from the contract's defaults and sends them, walk_forward included", () => {
    const draft = initialBacktestDraft();
    expect(draft.version).toBe("walk_forward");
    expect(draft.numbers).toEqual({
      horizon: "10",
      years: "15",
      holding_period: "10",
      max_positions: "10",
      entry_threshold: "0.01",
      position_size: "0.1",
      commission_bps: "1",
      slippage_bps: "5",
      initial_capital: "1000000",
    });
    expect(draft.walkForward).toEqual({ retrain_every: "63", min_train_days: "504", seed: "0" });
    expect(draft.risk).toEqual({ stop_loss: "0.08", drawdown_brake: "0.15" });
    expect(draft.benchmark).toBe("SP500");
    const { request, problems } = readBacktestDraft(draft);
    expect(problems).toEqual({});
    expect(request).toEqual({
      version: "walk_forward",
      walk_forward: {
        retrain_every: 63,
        min_train_days: 504,
        seed: 0,
        lightgbm: { num_leaves: 31, learning_rate: 0.05, n_estimators: 200, min_data_in_leaf: 200, feature_fraction: 0.8 },
      },
      full_universe: false,
      survivorship: true,
      feature_mode: "core",
      horizon: 10,
      years: 15,
      holding_period: 10,
      max_positions: 10,
      entry_threshold: 0.01,
      position_size: 0.1,
      commission_bps: 1,
      slippage_bps: 5,
      initial_capital: 1_000_000,
      risk_management: false,
      benchmark: "SP500",
    });
  });

  it("omits walk_forward for a registry version, even with bad walk-forward inputs", () => {
    const draft = initialBacktestDraft();
    draft.version = "champion";
    draft.walkForward.retrain_every = "5"; // hidden and out of bounds: not read
    const { request, problems } = readBacktestDraft(draft);
    expect(problems).toEqual({});
    expect(request?.version).toBe("champion");
    expect(request).not.toHaveProperty("walk_forward");
    draft.version = "v3";
    expect(readBacktestDraft(draft).request).not.toHaveProperty("walk_forward");
  });

  it("sends risk only with risk management on, and the optional fields only when given", () => {
    const draft = initialBacktestDraft();
    expect(readBacktestDraft(draft).request).not.toHaveProperty("risk");
    draft.riskManagement = true;
    draft.risk.stop_loss = "0.05";
    draft.tickers = "aapl, msft aapl";
    draft.end = "2017-12-29";
    draft.benchmark = " aapl ";
    const { request } = readBacktestDraft(draft);
    expect(request).toMatchObject({
      risk_management: true,
      risk: { stop_loss: 0.05, drawdown_brake: 0.15 },
      tickers: ["AAPL", "MSFT"],
      end: "2017-12-29",
      benchmark: "AAPL",
    });
    draft.benchmark = "";
    draft.tickers = "";
    draft.end = "";
    const bare = readBacktestDraft(draft).request;
    expect(bare).not.toHaveProperty("benchmark");
    expect(bare).not.toHaveProperty("tickers");
    expect(bare).not.toHaveProperty("end");
  });

  it("sends a short walk-forward run", () => {
    const draft = initialBacktestDraft();
    draft.numbers.years = "2";
    draft.numbers.max_positions = "5";
    draft.walkForward.retrain_every = "126";
    draft.walkForward.min_train_days = "252";
    draft.lightgbm.n_estimators = "20";
    expect(readBacktestDraft(draft).request).toMatchObject({
      years: 2,
      max_positions: 5,
      walk_forward: { retrain_every: 126, min_train_days: 252, lightgbm: { n_estimators: 20 } },
    });
  });

  it("names every field outside the contract's bounds by its path and sends nothing", () => {
    const draft = initialBacktestDraft();
    draft.numbers.horizon = "64";
    draft.numbers.years = "2.5";
    draft.numbers.position_size = "0";
    draft.numbers.entry_threshold = "";
    draft.walkForward.retrain_every = "20";
    draft.lightgbm.feature_fraction = "1.5";
    draft.riskManagement = true;
    draft.risk.stop_loss = "1";
    const { request, problems } = readBacktestDraft(draft);
    expect(request).toBeUndefined();
    expect(problems).toEqual({
      horizon: "must be ≤ 63",
      years: "must be a whole number",
      position_size: "must be > 0",
      entry_threshold: "required",
      "walk_forward.retrain_every": "must be ≥ 21",
      "walk_forward.lightgbm.feature_fraction": "must be ≤ 1",
      "risk.stop_loss": "must be < 1",
    });
  });
});
