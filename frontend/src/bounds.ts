// Numeric bounds of request fields, read from the contract at build time, and the check a
// form runs before sending. The messages mirror the server's ("must be > 0").
import contractBounds, {
  arrays as contractArrays,
  defaults as contractDefaults,
  parameters as contractParameters,
} from "virtual:contract-bounds";
import type { components, operations } from "@contract/schema";
import type { SchemaName } from "./contract";

export type NumericBounds = {
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
};

export type NumericField<S extends SchemaName> = {
  [K in keyof components["schemas"][S]]-?: NonNullable<components["schemas"][S][K]> extends number ? K : never;
}[keyof components["schemas"][S]] &
  string;

/** The contract's bounds of `field` in request schema `schema` (empty when unbounded). */
export function boundsOf<S extends SchemaName>(schema: S, field: NumericField<S>): NumericBounds {
  return contractBounds[schema]?.[field] ?? {};
}

/** Why `value` is outside `bounds`, or null when it is inside. */
export function boundsProblem(value: number, bounds: NumericBounds): string | null {
  if (!Number.isFinite(value)) return "must be a finite number";
  const { minimum, maximum, exclusiveMinimum, exclusiveMaximum } = bounds;
  if (exclusiveMinimum !== undefined && !(value > exclusiveMinimum)) return `must be > ${exclusiveMinimum}`;
  if (minimum !== undefined && value < minimum) return `must be ≥ ${minimum}`;
  if (exclusiveMaximum !== undefined && !(value < exclusiveMaximum)) return `must be < ${exclusiveMaximum}`;
  if (maximum !== undefined && value > maximum) return `must be ≤ ${maximum}`;
  return null;
}

export type ArrayBounds = { minItems?: number; maxItems?: number; uniqueItems?: boolean; items: NumericBounds };

export type ArrayField<S extends SchemaName> = {
  [K in keyof components["schemas"][S]]-?: NonNullable<components["schemas"][S][K]> extends readonly unknown[] ? K : never;
}[keyof components["schemas"][S]] &
  string;

/** The contract's size and item bounds of array `field` in schema `schema`. */
export function arrayBoundsOf<S extends SchemaName>(schema: S, field: ArrayField<S>): ArrayBounds {
  return contractArrays[schema]?.[field] ?? { items: {} };
}

/**
 * The contract's `default` of `field` in schema `schema` (undefined when it declares none).
 * The value is the contract's JSON; its type is the field's generated type.
 */
export function defaultOf<S extends SchemaName, K extends keyof components["schemas"][S] & string>(
  schema: S,
  field: K,
): NonNullable<components["schemas"][S][K]> | undefined {
  return contractDefaults[schema]?.[field] as NonNullable<components["schemas"][S][K]> | undefined;
}

/** A query parameter's name of `operation` (per the generated `operations`). */
export type QueryParameter<O extends keyof operations> = keyof NonNullable<operations[O]["parameters"]["query"]> &
  string;

/** The contract's bounds of query parameter `name` of `operation` (empty when unbounded). */
export function parameterBoundsOf<O extends keyof operations>(operation: O, name: QueryParameter<O>): NumericBounds {
  return contractParameters[operation]?.[name] ?? {};
}

const boundFormat = new Intl.NumberFormat("en-US", { maximumFractionDigits: 10 });

/** A short human description of the bounds, e.g. "0 < x ≤ 10". */
export function describeBounds(bounds: NumericBounds): string {
  const show = (value: number) => boundFormat.format(value);
  const lower =
    bounds.exclusiveMinimum !== undefined
      ? `${show(bounds.exclusiveMinimum)} <`
      : bounds.minimum !== undefined
        ? `${show(bounds.minimum)} ≤`
        : "";
  const upper =
    bounds.exclusiveMaximum !== undefined
      ? `< ${show(bounds.exclusiveMaximum)}`
      : bounds.maximum !== undefined
        ? `≤ ${show(bounds.maximum)}`
        : "";
  if (!lower && !upper) return "";
  return [lower, "x", upper].filter(Boolean).join(" ");
}
