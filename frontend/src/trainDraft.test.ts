import { describe, expect, it } from "vitest";
import { initialDraft, readTrainDraft } from "./trainDraft";

describe("the train form's draft", () => {
  it("starts from the contract's defaults and sends them as they are", () => {
    const draft = initialDraft();
    expect(draft.horizons).toBe("5");
    expect(draft.top).toEqual({ years: "15", folds: "5", embargo_days: "5", seed: "0" });
    expect(draft.lightgbm.n_estimators).toBe("200");
    const { request, problems } = readTrainDraft(draft);
    expect(problems).toEqual({});
    expect(request).toEqual({
      horizons: [5],
      feature_mode: "core",
      survivorship: true,
      full_universe: false,
      years: 15,
      folds: 5,
      embargo_days: 5,
      seed: 0,
      lightgbm: { num_leaves: 31, learning_rate: 0.05, n_estimators: 200, min_data_in_leaf: 200, feature_fraction: 0.8 },
    });
  });

  it("sends a short job with an end date", () => {
    const draft = initialDraft();
    draft.horizons = "5, 21";
    draft.end = "2017-12-29";
    draft.top.years = "2";
    draft.top.folds = "2";
    draft.lightgbm.n_estimators = "20";
    const { request } = readTrainDraft(draft);
    expect(request).toMatchObject({ horizons: [5, 21], years: 2, folds: 2, end: "2017-12-29", lightgbm: { n_estimators: 20 } });
  });

  it("names every field outside the contract's bounds and sends nothing", () => {
    const draft = initialDraft();
    draft.horizons = "5, 5";
    draft.top.folds = "1";
    draft.top.years = "2.5";
    draft.top.seed = "";
    draft.lightgbm.feature_fraction = "1.5";
    const { request, problems } = readTrainDraft(draft);
    expect(request).toBeUndefined();
    expect(problems).toEqual({
      horizons: "5 is listed twice",
      folds: "must be ≥ 2",
      years: "must be a whole number",
      seed: "required",
      feature_fraction: "must be ≤ 1",
    });
  });
});
