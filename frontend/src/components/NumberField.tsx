// A labelled numeric input that shows the contract's bounds and the field's problem.
import { useId } from "react";
import { type NumericBounds, describeBounds } from "../bounds";

type Props = {
  label: string;
  value: string;
  onChange: (value: string) => void;
  bounds?: NumericBounds;
  error?: string | null;
  name: string;
  hint?: string;
  step?: string;
};

export function NumberField({ label, value, onChange, bounds = {}, error, name, hint, step = "any" }: Props) {
  const id = useId();
  const range = describeBounds(bounds);
  const help = [hint, range && `allowed: ${range}`].filter(Boolean).join(" · ");
  return (
    <div className={`field ${error ? "field-invalid" : ""}`}>
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        name={name}
        type="number"
        inputMode="decimal"
        step={step}
        value={value}
        onChange={(event) => onChange(event.target.value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={`${id}-help ${id}-error`}
      />
      <small id={`${id}-help`} className="muted">
        {help}
      </small>
      <small id={`${id}-error`} className="field-error" role={error ? "alert" : undefined}>
        {error ?? ""}
      </small>
    </div>
  );
}
