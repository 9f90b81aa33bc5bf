import { describe, expect, it } from "vitest";
import { parseBatchCsv } from "./csv";

describe("parseBatchCsv", () => {
  it("parses required and optional columns, skipping a header, blanks and comments", () => {
    const lines = parseBatchCsv(
      [
        "spot,strike,time_to_expiry,rate,volatility,option_type",
        "",
        "# a comment",
        "100,100,1,0.05,0.2,call",
        " 100 , 110 , 0.5 , 0.03 , 0.25 , PUT , 0.01 , american , binomial ",
      ].join("\n"),
    );
    expect(lines).toEqual([
      {
        line: 4,
        text: "100,100,1,0.05,0.2,call",
        option: { spot: 100, strike: 100, time_to_expiry: 1, rate: 0.05, volatility: 0.2, option_type: "call" },
      },
      {
        line: 5,
        text: "100 , 110 , 0.5 , 0.03 , 0.25 , PUT , 0.01 , american , binomial",
        option: {
          spot: 100,
          strike: 110,
          time_to_expiry: 0.5,
          rate: 0.03,
          volatility: 0.25,
          option_type: "put",
          dividend_yield: 0.01,
          exercise: "american",
          model: "binomial",
        },
      },
    ]);
  });

  it("leaves domain bounds to the server: a negative volatility is still sent", () => {
    const [line] = parseBatchCsv("100,100,1,0.05,-0.2,call");
    expect(line && "option" in line && line.option.volatility).toBe(-0.2);
  });

  it("reports structural problems per line", () => {
    const problems = parseBatchCsv(["100,100,1", "100,abc,1,0.05,0.2,call", "100,100,1,0.05,0.2,straddle", "100,100,1,0.05,0.2,call,0,bermudan"].join("\n")).map(
      (line) => ("problem" in line ? line.problem : null),
    );
    expect(problems).toEqual([
      "expected 6 to 9 columns, got 3",
      "strike is not a number (“abc”)",
      "option_type must be one of call, put (got “straddle”)",
      "exercise must be one of european, american (got “bermudan”)",
    ]);
  });
});
