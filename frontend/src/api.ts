// The one typed client of the quant_engine API. Every path, parameter and response type
// comes from the contract (generated/typescript/schema.d.ts); nothing here restates them.
import createClient, { type Middleware } from "openapi-fetch";
import type { paths } from "@contract/schema";
import { readToken } from "./auth";
import type { ErrorBody, ErrorCode, Health } from "./contract";

export type { ErrorBody, ErrorCode, Health };

/** An error envelope from the API (or a failure to get one), carried as an exception. */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorBody["details"];
  /** HTTP status; 0 when the server could not be reached. */
  readonly status: number;

  constructor(body: ErrorBody, status: number) {
    super(body.message);
    this.name = "ApiError";
    this.code = body.code;
    this.details = body.details;
    this.status = status;
  }
}

/** Adds `Authorization: Bearer …` when a token is configured (read on every request). */
function bearerAuth(getToken: () => string | null): Middleware {
  return {
    onRequest({ request }) {
      const token = getToken();
      if (token) request.headers.set("Authorization", `Bearer ${token}`);
      return request;
    },
  };
}

/** A client of the contract's `paths`; `fetchImpl` is for tests (default: global fetch). */
export function makeClient(
  baseUrl = "",
  getToken: () => string | null = () => null,
  fetchImpl?: typeof fetch,
) {
  const client = createClient<paths>({ baseUrl, ...(fetchImpl ? { fetch: fetchImpl } : {}) });
  client.use(bearerAuth(getToken));
  return client;
}

/** The client the UI uses: same origin, token from localStorage. */
export const api = makeClient("", readToken);

type Envelope<T> = { ok: true; data: T } | { ok: false; error: ErrorBody };

function isEnvelope(value: unknown): value is Envelope<unknown> {
  if (typeof value !== "object" || value === null) return false;
  const candidate = value as { ok?: unknown; data?: unknown; error?: unknown };
  if (candidate.ok === true) return "data" in candidate;
  if (candidate.ok === false) {
    const error = candidate.error as { code?: unknown; message?: unknown } | null | undefined;
    return typeof error?.code === "string" && typeof error.message === "string";
  }
  return false;
}

/** Turn an envelope into its data, or throw ApiError with the error's code and details. */
export function unwrap<T>(result: { data?: Envelope<T>; error?: unknown; response: Response }): T {
  const body: unknown = result.data ?? result.error;
  if (isEnvelope(body)) {
    if (body.ok) return body.data as T;
    const details = Array.isArray(body.error.details) ? body.error.details : [];
    throw new ApiError({ ...body.error, details }, result.response.status);
  }
  throw new ApiError(
    {
      code: "INTERNAL",
      message: `Unexpected response from the server (HTTP ${result.response.status})`,
      details: [],
    },
    result.response.status,
  );
}

/**
 * Await an openapi-fetch call and unwrap its envelope. A network failure or a body that is
 * not JSON also becomes an ApiError, so callers handle exactly one error type.
 */
export async function call<T>(
  pending: Promise<{ data?: Envelope<T>; error?: unknown; response: Response }>,
): Promise<T> {
  let result: { data?: Envelope<T>; error?: unknown; response: Response };
  try {
    result = await pending;
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    const unreachable = cause instanceof TypeError;
    throw new ApiError(
      {
        code: "INTERNAL",
        message: unreachable ? `Could not reach the server: ${reason}` : `Unreadable response: ${reason}`,
        details: [],
      },
      0,
    );
  }
  return unwrap(result);
}

/** getHealth: liveness and versions. */
export async function getHealth(client = api): Promise<Health> {
  return call(client.GET("/api/v1/health"));
}
