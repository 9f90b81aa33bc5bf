// Price one option with greeks.
import { type FormEvent, useState } from "react";
import { ErrorMessage } from "../../components/Feedback";
import { NumberField } from "../../components/NumberField";
import type { Greeks, OptionPrice, OptionPriceRequest, OptionType, PricingModelInfo } from "../../contract";
import { formatNumber } from "../../format";
import { usePriceOption } from "../../queries";
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

const SCHEMA = "OptionPriceRequest";

type Inputs = Record<"spot" | "strike" | "time_to_expiry" | "rate" | "volatility" | "dividend_yield", string>;

const INITIAL: Inputs = {
  spot: "100",
  strike: "100",
  time_to_expiry: "1",
  rate: "0.05",
  volatility: "0.2",
  dividend_yield: "",
};

const GREEK_ROWS: { key: keyof Greeks; label: string; meaning: string }[] = [
  { key: "delta", label: "Delta", meaning: "∂price/∂spot" },
  { key: "gamma", label: "Gamma", meaning: "∂²price/∂spot², per 1.00 of spot" },
  { key: "vega", label: "Vega", meaning: "∂price/∂volatility, per 1.00 (100 vol points)" },
  { key: "theta", label: "Theta", meaning: "price change per year of calendar time" },
  { key: "theta_per_day", label: "Theta / day", meaning: "theta ÷ 365" },
  { key: "rho", label: "Rho", meaning: "∂price/∂rate, per 1.00 (100 percentage points)" },
];

export function GreeksTable({ greeks }: { greeks: Greeks }) {
  return (
    <table className="table compact greeks">
      <caption>Greeks</caption>
      <tbody>
        {GREEK_ROWS.map((row) => (
          <tr key={row.key}>
            <th scope="row">{row.label}</th>
            <td className="numeric mono" data-testid={`greek-${row.key}`}>
              {formatNumber(greeks[row.key], 6)}
            </td>
            <td className="muted small">{row.meaning}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function PriceResult({ result }: { result: OptionPrice }) {
  return (
    <div className="result" aria-live="polite">
      <p className="price">
        Price <strong data-testid="option-price">{formatNumber(result.price, 6)}</strong>
        {result.standard_error !== null && (
          <span className="muted"> ± {formatNumber(result.standard_error, 6)} (standard error)</span>
        )}
      </p>
      <p className="small muted">
        {result.model}, {formatNumber(result.computation_ms, 3)} ms in the engine
      </p>
      <GreeksTable greeks={result.greeks} />
    </div>
  );
}

export function SinglePrice({ models }: { models: PricingModelInfo[] }) {
  const [inputs, setInputs] = useState<Inputs>(INITIAL);
  const [optionType, setOptionType] = useState<OptionType>("call");
  const [choice, setChoice] = useState<ModelChoice>(DEFAULT_MODEL_CHOICE);
  const [problems, setProblems] = useState<Problems>({});
  const price = usePriceOption();
  const set = (field: keyof Inputs) => (value: string) => setInputs((current) => ({ ...current, [field]: value }));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const found: Problems = {};
    const spot = readBounded(SCHEMA, "spot", inputs.spot, found);
    const strike = readBounded(SCHEMA, "strike", inputs.strike, found);
    const time = readBounded(SCHEMA, "time_to_expiry", inputs.time_to_expiry, found);
    const rate = readBounded(SCHEMA, "rate", inputs.rate, found);
    const volatility = readBounded(SCHEMA, "volatility", inputs.volatility, found);
    const dividend = readBounded(SCHEMA, "dividend_yield", inputs.dividend_yield, found, false);
    const model = models.find((item) => item.name === choice.model);
    const parameters = readParameters(choice, model, found);
    setProblems(found);
    if (
      Object.keys(found).length > 0 ||
      spot === undefined ||
      strike === undefined ||
      time === undefined ||
      rate === undefined ||
      volatility === undefined
    ) {
      price.reset();
      return;
    }
    const request: OptionPriceRequest = {
      spot,
      strike,
      time_to_expiry: time,
      rate,
      volatility,
      option_type: optionType,
      exercise: choice.exercise,
      model: choice.model,
      ...(dividend !== undefined ? { dividend_yield: dividend } : {}),
      ...(parameters ? { parameters } : {}),
    };
    price.mutate(request);
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
    <section className="card wide" aria-labelledby="single-title">
      <h2 id="single-title">Price an option</h2>
      <form onSubmit={submit} noValidate className="pricing-form" aria-label="Price an option" data-testid="price-form">
        <div className="form-grid">
          {field("spot", "Spot (S)", "price of the underlying")}
          {field("strike", "Strike (K)")}
          {field("time_to_expiry", "Time to expiry (years)")}
          {field("rate", "Risk-free rate", "annual, continuous; 0.05 = 5%")}
          {field("volatility", "Volatility", "annual; 0.2 = 20%")}
          {field("dividend_yield", "Dividend yield", "annual, continuous; blank = 0")}
          <OptionTypeField value={optionType} onChange={setOptionType} />
          <ModelControls models={models} choice={choice} onChange={setChoice} problems={problems} />
        </div>
        <button type="submit" className="button-primary" disabled={price.isPending}>
          {price.isPending ? "Pricing…" : "Price"}
        </button>
      </form>
      {Object.keys(problems).length > 0 && (
        <p className="field-error" role="alert">
          Fix the highlighted fields: nothing was sent.
        </p>
      )}
      {price.isError && <ErrorMessage error={price.error} title="Pricing failed" />}
      {price.data && <PriceResult result={price.data} />}
    </section>
  );
}
