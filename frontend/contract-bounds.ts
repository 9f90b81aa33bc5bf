// Build-time bridge from the contract to the browser: the numeric bounds of every request
// schema in openapi/openapi.yaml, exposed to the app as the virtual module
// `virtual:contract-bounds`. Forms validate against these before sending, so the UI never
// keeps a hand-written copy of a bound that could drift from the contract.
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import type { Plugin } from "vite";

const VIRTUAL_ID = "virtual:contract-bounds";
const RESOLVED_ID = `\0${VIRTUAL_ID}`;
const BOUND_KEYWORDS = ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"] as const;

type NumericBounds = Partial<Record<(typeof BOUND_KEYWORDS)[number], number>>;
type SchemaBounds = Record<string, Record<string, NumericBounds>>;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Bounds of each numeric property, per schema of `components.schemas`. */
export function extractBounds(contract: unknown): SchemaBounds {
  const schemas = isRecord(contract) && isRecord(contract.components) ? contract.components.schemas : null;
  const result: SchemaBounds = {};
  if (!isRecord(schemas)) return result;
  for (const [schemaName, schema] of Object.entries(schemas)) {
    if (!isRecord(schema) || !isRecord(schema.properties)) continue;
    for (const [field, property] of Object.entries(schema.properties)) {
      if (!isRecord(property)) continue;
      const bounds: NumericBounds = {};
      for (const keyword of BOUND_KEYWORDS) {
        const value = property[keyword];
        if (typeof value === "number") bounds[keyword] = value;
      }
      if (Object.keys(bounds).length > 0) {
        (result[schemaName] ??= {})[field] = bounds;
      }
    }
  }
  return result;
}

export function contractBounds(contractPath: string): Plugin {
  return {
    name: "quant-engine-contract-bounds",
    resolveId(id) {
      return id === VIRTUAL_ID ? RESOLVED_ID : null;
    },
    load(id) {
      if (id !== RESOLVED_ID) return null;
      this.addWatchFile(contractPath);
      const bounds = extractBounds(parse(readFileSync(contractPath, "utf8")));
      return `export default ${JSON.stringify(bounds)};`;
    },
  };
}
