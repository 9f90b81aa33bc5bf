import { describe, expect, it } from "vitest";
import {
  assignmentRows,
  countPerArm,
  cumulativeSeries,
  evenWeights,
  formatPValue,
  initialAbTestDraft,
  problemsFromDetails,
  readAbTestDraft,
  weightsSum,
  weightsSumProblem,
} from "./abtest";
import type { AbArmDay } from "./contract";

const day = (date: string, mean_return: number): AbArmDay => ({ date, mean_return, names: 10, rank_ic: null });

describe("weights", () => {
  it("accepts weights summing to 1 within 1e-9", () => {
    expect(weightsSumProblem([0.5, 0.5])).toBeNull();
    expect(weightsSumProblem([0.1, 0.2, 0.7])).toBeNull(); // 0.1 + 0.2 is not exactly 0.3
    expect(weightsSumProblem([0.3, 0.7 + 5e-10])).toBeNull();
  });

  it("rejects weights off by more than the tolerance", () => {
    expect(weightsSumProblem([0.5, 0.4])).toBe("the weights must sum to 1 (they sum to 0.9)");
    expect(weightsSumProblem([0.5, 0.5 + 1e-8])).not.toBeNull();
    expect(weightsSumProblem([0.5, Number.NaN])).toBe("every weight must be a number");
    expect(weightsSum([0.25, 0.25, 0.5])).toBe(1);
  });

  it("splits weights evenly so that they sum to 1", () => {
    expect(evenWeights(2)).toEqual(["0.5", "0.5"]);
    expect(evenWeights(3)).toEqual(["0.3333", "0.3333", "0.3334"]);
    for (const count of [2, 3, 6, 7, 10]) {
      expect(weightsSumProblem(evenWeights(count).map(Number))).toBeNull();
    }
  });
});

describe("the create form's draft", () => {
  const filled = () => {
    const draft = initialAbTestDraft();
    draft.name = " champion vs v3 ";
    draft.arms = [
      { version: "v2", weight: "0.6" },
      { version: "v3", weight: "0.4" },
    ];
    return draft;
  };

  it("starts with two half-and-half arms and the contract's top_n", () => {
    const draft = initialAbTestDraft();
    expect(draft.arms).toEqual([
      { version: "", weight: "0.5" },
      { version: "", weight: "0.5" },
    ]);
    expect(draft.topN).toBe("10");
  });

  it("reads a filled draft into a request, leaving out an empty salt and horizon", () => {
    const { request, problems } = readAbTestDraft(filled());
    expect(problems).toEqual({});
    expect(request).toEqual({
      name: "champion vs v3",
      arms: [
        { version: "v2", weight: 0.6 },
        { version: "v3", weight: 0.4 },
      ],
      top_n: 10,
    });
  });

  it("sends salt and horizon when given", () => {
    const draft = { ...filled(), salt: "abc", horizon: "5" };
    expect(readAbTestDraft(draft).request).toMatchObject({ salt: "abc", horizon: 5 });
  });

  it("names each missing field and a bad sum, and sends nothing", () => {
    const draft = { ...filled(), name: "", topN: "2.5" };
    draft.arms = [
      { version: "", weight: "0.5" },
      { version: "v3", weight: "0.4" },
    ];
    const { request, problems } = readAbTestDraft(draft);
    expect(request).toBeNull();
    expect(problems.name).toBe("required");
    expect(problems["arms.0.version"]).toBe("choose a version");
    expect(problems.weights).toMatch(/sum to 1/);
    expect(problems.top_n).toBe("must be a whole number");
  });

  it("checks each weight against the contract's bounds", () => {
    const draft = filled();
    draft.arms = [
      { version: "v2", weight: "0" },
      { version: "v3", weight: "1" },
    ];
    const { problems } = readAbTestDraft(draft);
    expect(problems["arms.0.weight"]).toBe("must be > 0");
    expect(problems.weights).toBeUndefined();
  });

  it("refuses a single arm", () => {
    const draft = filled();
    draft.arms = [{ version: "v2", weight: "1" }];
    expect(readAbTestDraft(draft).problems.weights).toBe("an A/B test needs at least two arms");
  });
});

describe("server field errors", () => {
  it("keys 422 details like the form's fields", () => {
    expect(
      problemsFromDetails([
        { loc: ["body", "arms", 1, "version"], msg: "unknown version" },
        { loc: ["body", "name"], msg: "too long" },
        { loc: ["body", "arms"], msg: "weights must sum to 1" },
        { loc: ["body", "arms", 0], msg: "bad arm" },
      ]),
    ).toEqual({
      "arms.1.version": "unknown version",
      name: "too long",
      weights: "weights must sum to 1; bad arm",
    });
  });
});

describe("cumulative series", () => {
  it("compounds the daily figures in date order, as percentages", () => {
    const line = cumulativeSeries([day("2026-01-06", -0.5), day("2026-01-05", 0.1), day("2026-01-07", 0)]);
    expect(line.map((point) => point.time)).toEqual(["2026-01-05", "2026-01-06", "2026-01-07"]);
    expect(line.map((point) => point.value)).toEqual([
      expect.closeTo(10, 9),
      expect.closeTo(-45, 9),
      expect.closeTo(-45, 9),
    ]);
  });

  it("keeps one point per date and is empty without days", () => {
    expect(cumulativeSeries([day("2026-01-05", 0.1), day("2026-01-05", 0.2)])).toEqual([
      { time: "2026-01-05", value: expect.closeTo(20, 9) },
    ]);
    expect(cumulativeSeries([])).toEqual([]);
  });
});

describe("p-values", () => {
  it("formats p-values, tiny ones as a bound and missing ones as a dash", () => {
    expect(formatPValue(0.04567)).toBe("0.046");
    expect(formatPValue(1)).toBe("1.000");
    expect(formatPValue(0.0001)).toBe("< 0.001");
    expect(formatPValue(0.001)).toBe("0.001");
    expect(formatPValue(null)).toBe("—");
    expect(formatPValue(undefined)).toBe("—");
    expect(formatPValue(Number.NaN)).toBe("—");
  });
});

describe("assignment", () => {
  const assignments = { MSFT: 1, AAPL: 0, AMZN: 1, GOOG: 0, META: 1 };

  it("sorts by ticker and filters by a case-insensitive substring", () => {
    expect(assignmentRows(assignments).map((row) => row.ticker)).toEqual(["AAPL", "AMZN", "GOOG", "META", "MSFT"]);
    expect(assignmentRows(assignments, " m ")).toEqual([
      { ticker: "AMZN", arm: 1 },
      { ticker: "META", arm: 1 },
      { ticker: "MSFT", arm: 1 },
    ]);
  });

  it("counts the rows of each arm, zero for an arm without any", () => {
    expect(countPerArm(assignmentRows(assignments), 3)).toEqual([2, 3, 0]);
    expect(countPerArm(assignmentRows(assignments, "aa"), 2)).toEqual([1, 0]);
  });
});
