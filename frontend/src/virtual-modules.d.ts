// Provided at build time by contract-bounds.ts (a Vite plugin reading openapi/openapi.yaml).
declare module "virtual:contract-bounds" {
  type Bounds = { minimum?: number; maximum?: number; exclusiveMinimum?: number; exclusiveMaximum?: number };
  const bounds: Record<string, Record<string, Bounds>>;
  export default bounds;
  export const arrays: Record<
    string,
    Record<string, { minItems?: number; maxItems?: number; uniqueItems?: boolean; items: Bounds }>
  >;
  export const defaults: Record<string, Record<string, unknown>>;
  /** Bounds of query parameters, per operationId and parameter name. */
  export const parameters: Record<string, Record<string, Bounds>>;
}
