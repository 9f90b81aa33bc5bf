// Build-time bridge from the contract to the browser: the numeric bounds, array sizes and
// defaults of every request schema in openapi/openapi.yaml, and the bounds of every query
// parameter, exposed to the app as the virtual module `virtual:contract-bounds`. Forms
// validate against these before sending, and pages ask for what the operations allow, so the
// UI never keeps a hand-written copy of a bound that could drift from the contract.
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import type { Plugin } from "vite";

const VIRTUAL_ID = "virtual:contract-bounds";
const RESOLVED_ID = `\0${VIRTUAL_ID}`;
const BOUND_KEYWORDS = ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"] as const;

type NumericBounds = Partial<Record<(typeof BOUND_KEYWORDS)[number], number>>;
type SchemaBounds = Record<string, Record<string, NumericBounds>>;
type ArrayBounds = { minItems?: number; maxItems?: number; uniqueItems?: boolean; items: NumericBounds };
type SchemaArrays = Record<string, Record<string, ArrayBounds>>;
type SchemaDefaults = Record<string, Record<string, unknown>>;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function schemasOf(contract: unknown): Record<string, unknown> | null {
  const schemas = isRecord(contract) && isRecord(contract.components) ? contract.components.schemas : null;
  return isRecord(schemas) ? schemas : null;
}

/** The numeric bounds written on `node`, or on the schema it `$ref`s (one level). */
function boundsOfNode(node: Record<string, unknown>, schemas: Record<string, unknown>): NumericBounds {
  const bounds: NumericBounds = {};
  const ref = typeof node.$ref === "string" ? node.$ref.match(/^#\/components\/schemas\/(.+)$/)?.[1] : undefined;
  const target = ref ? schemas[ref] : undefined;
  for (const source of [isRecord(target) ? target : {}, node]) {
    for (const keyword of BOUND_KEYWORDS) {
      const value = source[keyword];
      if (typeof value === "number") bounds[keyword] = value;
    }
  }
  return bounds;
}

/**
 * Bounds of each numeric property, per schema of `components.schemas`. A property that
 * `$ref`s a bounded scalar schema (e.g. `Horizon`) gets that schema's bounds.
 */
export function extractBounds(contract: unknown): SchemaBounds {
  const schemas = schemasOf(contract);
  const result: SchemaBounds = {};
  if (!schemas) return result;
  for (const [schemaName, schema] of Object.entries(schemas)) {
    if (!isRecord(schema) || !isRecord(schema.properties)) continue;
    for (const [field, property] of Object.entries(schema.properties)) {
      if (!isRecord(property)) continue;
      const bounds = boundsOfNode(property, schemas);
      if (Object.keys(bounds).length > 0) {
        (result[schemaName] ??= {})[field] = bounds;
      }
    }
  }
  return result;
}

/** Item-count bounds and item bounds of each array property, per schema. */
export function extractArrays(contract: unknown): SchemaArrays {
  const schemas = schemasOf(contract);
  const result: SchemaArrays = {};
  if (!schemas) return result;
  for (const [schemaName, schema] of Object.entries(schemas)) {
    if (!isRecord(schema) || !isRecord(schema.properties)) continue;
    for (const [field, property] of Object.entries(schema.properties)) {
      if (!isRecord(property) || property.type !== "array") continue;
      const entry: ArrayBounds = { items: isRecord(property.items) ? boundsOfNode(property.items, schemas) : {} };
      if (typeof property.minItems === "number") entry.minItems = property.minItems;
      if (typeof property.maxItems === "number") entry.maxItems = property.maxItems;
      if (typeof property.uniqueItems === "boolean") entry.uniqueItems = property.uniqueItems;
      (result[schemaName] ??= {})[field] = entry;
    }
  }
  return result;
}

/** The `default` of each property that declares one, per schema. */
export function extractDefaults(contract: unknown): SchemaDefaults {
  const schemas = schemasOf(contract);
  const result: SchemaDefaults = {};
  if (!schemas) return result;
  for (const [schemaName, schema] of Object.entries(schemas)) {
    if (!isRecord(schema) || !isRecord(schema.properties)) continue;
    for (const [field, property] of Object.entries(schema.properties)) {
      if (isRecord(property) && "default" in property) {
        (result[schemaName] ??= {})[field] = property.default;
      }
    }
  }
  return result;
}

const HTTP_METHODS = ["get", "put", "post", "delete", "patch"] as const;

/**
 * Numeric bounds of each query parameter, per `operationId` (e.g. the largest `limit` an
 * operation accepts), so a page asks for what the contract allows without restating it.
 */
export function extractParameters(contract: unknown): SchemaBounds {
  const schemas = schemasOf(contract) ?? {};
  const paths = isRecord(contract) && isRecord(contract.paths) ? contract.paths : {};
  const result: SchemaBounds = {};
  for (const item of Object.values(paths)) {
    if (!isRecord(item)) continue;
    for (const method of HTTP_METHODS) {
      const operation = item[method];
      if (!isRecord(operation) || typeof operation.operationId !== "string") continue;
      const parameters = Array.isArray(operation.parameters) ? operation.parameters : [];
      for (const parameter of parameters) {
        if (!isRecord(parameter) || parameter.in !== "query" || typeof parameter.name !== "string") continue;
        if (!isRecord(parameter.schema)) continue;
        const bounds = boundsOfNode(parameter.schema, schemas);
        if (Object.keys(bounds).length > 0) {
          (result[operation.operationId] ??= {})[parameter.name] = bounds;
        }
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
      const contract: unknown = parse(readFileSync(contractPath, "utf8"));
      return [
        `export default ${JSON.stringify(extractBounds(contract))};`,
        `export const arrays = ${JSON.stringify(extractArrays(contract))};`,
        `export const defaults = ${JSON.stringify(extractDefaults(contract))};`,
        `export const parameters = ${JSON.stringify(extractParameters(contract))};`,
      ].join("\n");
    },
  };
}
