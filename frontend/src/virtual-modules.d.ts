// Provided at build time by contract-bounds.ts (a Vite plugin reading openapi/openapi.yaml).
declare module "virtual:contract-bounds" {
  const bounds: Record<
    string,
    Record<string, { minimum?: number; maximum?: number; exclusiveMinimum?: number; exclusiveMaximum?: number }>
  >;
  export default bounds;
}
