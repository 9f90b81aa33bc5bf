// Implied volatility of one observed option price.
import { type FormEvent, useState } from "react";
import { ErrorMessage } from "../../components/Feedback";
import { NumberField } from "../../components/NumberField";
import type { ImpliedVolatilityRequest, OptionType, PricingModelInfo } from "../../contract";
import { formatNumber, formatPercent } from "../../format";
import { useImpliedVolatility } from "../../queries";
import {
  DEFAULT_MODEL_CHOICE,
  ModelControls,
  type ModelChoice,
  OptionTypeField,
  type Problems,
  fieldBounds,
  readBounded,
  readParameters,
} from "./shared";

const SCHEMA = "ImpliedVolatilityRequest";

type Inputs = Record<"price" | "spot" | "strike" | "time_to_expiry" | "rate" | "dividend_yield", string>;

const INITIAL: Inputs = {
  price: "10.4506",
  spot: "100",
  strike: "100",
  time_to_expiry: "1",
  rate: "0.05",
  dividend_yield: "",
};

export function ImpliedVol({ models }: { models: PricingModelInfo[] }) {
  const [inputs, setInputs] = useState<Inputs>(INITIAL);
  const [optionType, setOptionType] = useState<OptionType>("call");
  const [choice, setChoice] = useState<ModelChoice>(DEFAULT_MODEL_CHOICE);
  const [problems, setProblems] = useState<Problems>({});
  const solve = useImpliedVolatility();
  const set = (field: keyof Inputs) => (value: string) => setInputs((current) => ({ ...current, [field]: value }));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const found: Problems = {};
    const price = readBounded(SCHEMA, "price", inputs.price, found);
    const spot = readBounded(SCHEMA, "spot", inputs.spot, found);
    const strike = readBounded(SCHEMA, "strike", inputs.strike, found);
    const time = readBounded(SCHEMA, "time_to_expiry", inputs.time_to_expiry, found);
    const rate = readBounded(SCHEMA, "rate", inputs.rate, found);
    const dividend = readBounded(SCHEMA, "dividend_yield", inputs.dividend_yield, found, false);
    const parameters = readParameters(choice, models.find((item) => item.name === choice.model), found);
    setProblems(found);
    if (
      Object.keys(found).length > 0 ||
      price === undefined ||
      spot === undefined ||
      strike === undefined ||
      time === undefined ||
      rate === undefined
    ) {
      solve.reset();
      return;
    }
    const request: ImpliedVolatilityRequest = {
      price,
      spot,
      strike,
      time_to_expiry: time,
      rate,
      option_type: optionType,
      exercise: choice.exercise,
      model: choice.model,
      ...(dividend !== undefined ? { dividend_yield: dividend } : {}),
      ...(parameters ? { parameters } : {}),
    };
    solve.mutate(request);
  };

  const field = (name: keyof Inputs, label: string, hint?: string) => (
    <NumberField
      name={name}
      label={label}
      hint={hint}
      value={inputs[name]}
      onChange={set(name)}
      bounds={fieldBounds(SCHEMA, name)}
      error={problems[name] ?? null}
    />
  );

  return (
    <section className="card wide" aria-labelledby="iv-title">
      <h2 id="iv-title">Implied volatility</h2>
      <form onSubmit={submit} noValidate aria-label="Implied volatility" data-testid="iv-form">
        <div className="form-grid">
          {field("price", "Observed option price")}
          {field("spot", "Spot (S)")}
          {field("strike", "Strike (K)")}
          {field("time_to_expiry", "Time to expiry (years)")}
          {field("rate", "Risk-free rate", "annual, continuous")}
          {field("dividend_yield", "Dividend yield", "blank = 0")}
          <OptionTypeField value={optionType} onChange={setOptionType} />
          <ModelControls models={models} choice={choice} onChange={setChoice} problems={problems} />
        </div>
        <button type="submit" className="button-primary" disabled={solve.isPending}>
          {solve.isPending ? "Solving…" : "Solve for volatility"}
        </button>
      </form>
      {solve.isError && <ErrorMessage error={solve.error} title="No implied volatility" />}
      {solve.data && (
        <p className="price" aria-live="polite">
          Implied volatility <strong data-testid="implied-volatility">{formatNumber(solve.data.implied_volatility, 6)}</strong>{" "}
          <span className="muted">
            ({formatPercent(solve.data.implied_volatility, 2)}; {solve.data.model},{" "}
            {formatNumber(solve.data.computation_ms, 3)} ms)
          </span>
        </p>
      )}
    </section>
  );
}
