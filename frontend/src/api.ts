// The one typed client of the quant_engine API. Every path, parameter and response type
// comes from the contract (generated/typescript/schema.d.ts); nothing here restates them.
import createClient from "openapi-fetch";
import type { components, paths } from "@contract/schema";

export type ErrorBody = components["schemas"]["ErrorBody"];
export type ErrorCode = components["schemas"]["ErrorCode"];
export type Health = components["schemas"]["Health"];

/** An error envelope from the API, carried as an exception. */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorBody["details"];
  readonly status: number;

  constructor(body: ErrorBody, status: number) {
    super(body.message);
    this.name = "ApiError";
    this.code = body.code;
    this.details = body.details;
    this.status = status;
  }
}

export function makeClient(baseUrl = "", token?: string) {
  return createClient<paths>({
    baseUrl,
    headers: token ? { Authorization: `Bearer ${token}` } : {},
  });
}

type Envelope<T> = { ok: true; data: T } | { ok: false; error: ErrorBody };

/** Turn an envelope into its data, or throw ApiError with the error's code and details. */
export function unwrap<T>(
  result: { data?: Envelope<T>; error?: unknown; response: Response },
): T {
  const envelope = (result.data ?? result.error) as Envelope<T> | undefined;
  if (envelope && envelope.ok) {
    return envelope.data;
  }
  if (envelope && !envelope.ok) {
    throw new ApiError(envelope.error, result.response.status);
  }
  throw new ApiError(
    { code: "INTERNAL", message: `Unexpected response (HTTP ${result.response.status})`, details: [] },
    result.response.status,
  );
}

/** getHealth: liveness and versions. */
export async function getHealth(client = makeClient()): Promise<Health> {
  return unwrap(await client.GET("/api/v1/health"));
}
