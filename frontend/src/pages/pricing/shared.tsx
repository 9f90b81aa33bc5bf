// Pieces shared by the pricing tools: the model / exercise / engine-parameter controls and
// the validation of numeric inputs against the contract's bounds.
import { useId } from "react";
import { NumberField } from "../../components/NumberField";
import { type NumericBounds, type NumericField, boundsOf, boundsProblem } from "../../bounds";
import {
  EXERCISE_STYLES,
  OPTION_TYPES,
  type ExerciseStyle,
  type OptionType,
  type PricingModelInfo,
  type PricingModelName,
  type PricingParameters,
  type SchemaName,
  isOneOf,
} from "../../contract";
import { humanize } from "../../format";

/** Engine settings the contract's `PricingParameters` names (the server lists per engine). */
const PARAMETER_NAMES = ["steps", "paths", "seed"] as const satisfies readonly (keyof PricingParameters)[];
type AssertNever<T extends never> = T;
export type EveryPricingParameterListed = AssertNever<
  Exclude<keyof PricingParameters, (typeof PARAMETER_NAMES)[number]>
>;

export type Problems = Record<string, string>;

/**
 * Read a numeric input and check it against the contract's bounds of `schema.field`.
 * Records a problem and returns undefined when it is missing (and required) or invalid.
 */
export function readBounded<S extends SchemaName>(
  schema: S,
  field: NumericField<S>,
  raw: string,
  problems: Problems,
  required = true,
): number | undefined {
  if (raw.trim() === "") {
    if (required) problems[field] = "required";
    return undefined;
  }
  const value = Number(raw);
  const problem = boundsProblem(value, boundsOf(schema, field));
  if (problem) {
    problems[field] = problem;
    return undefined;
  }
  return value;
}

export type ModelChoice = { model: PricingModelName; exercise: ExerciseStyle; parameters: Record<string, string> };

export const DEFAULT_MODEL_CHOICE: ModelChoice = { model: "black_scholes", exercise: "european", parameters: {} };

function parameterBounds(info: PricingModelInfo["parameters"][number]): NumericBounds {
  return { minimum: info.minimum, maximum: info.maximum };
}

/** The engine parameters to send, validated against the bounds the server advertises. */
export function readParameters(
  choice: ModelChoice,
  model: PricingModelInfo | undefined,
  problems: Problems,
): PricingParameters | undefined {
  if (!model) return undefined;
  const parameters: PricingParameters = {};
  for (const info of model.parameters) {
    const raw = choice.parameters[info.name]?.trim() ?? "";
    if (raw === "" || !isOneOf(PARAMETER_NAMES, info.name)) continue;
    const value = Number(raw);
    const problem =
      info.kind === "integer" && !Number.isInteger(value)
        ? "must be a whole number"
        : boundsProblem(value, parameterBounds(info));
    if (problem) problems[`parameters.${info.name}`] = problem;
    else parameters[info.name] = value;
  }
  return Object.keys(parameters).length > 0 ? parameters : undefined;
}

export function OptionTypeField({ value, onChange }: { value: OptionType; onChange: (value: OptionType) => void }) {
  const group = useId();
  return (
    <fieldset className="field inline-choices">
      <legend>Option type</legend>
      {OPTION_TYPES.map((type) => (
        <label key={type}>
          <input
            type="radio"
            name={group}
            value={type}
            checked={value === type}
            onChange={() => onChange(type)}
          />{" "}
          {humanize(type)}
        </label>
      ))}
    </fieldset>
  );
}

export function ModelControls({
  models,
  choice,
  onChange,
  problems,
}: {
  models: PricingModelInfo[];
  choice: ModelChoice;
  onChange: (choice: ModelChoice) => void;
  problems: Problems;
}) {
  const modelId = useId();
  const exerciseId = useId();
  const model = models.find((item) => item.name === choice.model);
  const styles = model?.exercise_styles ?? EXERCISE_STYLES;

  const selectModel = (name: string) => {
    const next = models.find((item) => item.name === name);
    if (next === undefined) return;
    const exercise = next && !next.exercise_styles.includes(choice.exercise) ? next.exercise_styles[0] : choice.exercise;
    onChange({ model: next.name, exercise: exercise ?? "european", parameters: {} });
  };

  return (
    <>
      <div className="field">
        <label htmlFor={modelId}>Model</label>
        <select id={modelId} value={choice.model} onChange={(event) => selectModel(event.target.value)}>
          {models.map((item) => (
            <option key={item.name} value={item.name}>
              {item.name}
            </option>
          ))}
        </select>
        {model && <small className="muted">{model.description}</small>}
      </div>
      <div className="field">
        <label htmlFor={exerciseId}>Exercise</label>
        <select
          id={exerciseId}
          value={choice.exercise}
          onChange={(event) =>
            isOneOf(EXERCISE_STYLES, event.target.value) && onChange({ ...choice, exercise: event.target.value })
          }
        >
          {styles.map((style) => (
            <option key={style} value={style}>
              {humanize(style)}
            </option>
          ))}
        </select>
        {model && <small className="muted">Greeks: {model.greeks_method.replace("_", " ")}</small>}
      </div>
      {model?.parameters.map((info) => (
        <NumberField
          key={info.name}
          name={info.name}
          label={`${humanize(info.name)} (default ${info.default})`}
          hint={info.description}
          value={choice.parameters[info.name] ?? ""}
          onChange={(value) => onChange({ ...choice, parameters: { ...choice.parameters, [info.name]: value } })}
          bounds={parameterBounds(info)}
          step={info.kind === "integer" ? "1" : "any"}
          error={problems[`parameters.${info.name}`] ?? null}
        />
      ))}
    </>
  );
}

export function fieldBounds<S extends SchemaName>(schema: S, field: NumericField<S>): NumericBounds {
  return boundsOf(schema, field);
}
