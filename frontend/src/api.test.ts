import { describe, expect, it } from "vitest";
import { ApiError, call, makeClient, unwrap } from "./api";
import type { Health } from "./contract";

const META = { request_id: "r1", elapsed_ms: 0.5, cached: false };
const HEALTH: Health = {
  status: "ok",
  components: [{ name: "data", status: "ok", message: null }],
  service_version: "0.1.0",
  contract_version: "1.0.0",
  uptime_seconds: 1.5,
  auth_enabled: false,
  jobs: { running: 0, queued: 1, event_subscribers: 0 },
};

function response(status: number): Response {
  return new Response(null, { status });
}

function caught(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error("expected an exception");
}

describe("unwrap", () => {
  it("returns the data of an ok envelope", () => {
    const envelope = { ok: true as const, data: HEALTH, error: null, meta: META };
    const data = unwrap({ data: envelope, response: response(200) });
    expect(data).toEqual(HEALTH);
  });

  it("throws ApiError with code, message, details and status for an error envelope", () => {
    const envelope = {
      ok: false,
      data: null,
      error: {
        code: "VALIDATION_ERROR",
        message: "1 invalid field: body.volatility",
        details: [{ loc: ["body", "volatility"], msg: "Input should be greater than 0" }],
      },
      meta: META,
    };
    const error = caught(() => unwrap({ error: envelope, response: response(422) }));
    expect(error).toBeInstanceOf(ApiError);
    const apiError = error as ApiError;
    expect(apiError.code).toBe("VALIDATION_ERROR");
    expect(apiError.message).toBe("1 invalid field: body.volatility");
    expect(apiError.details).toEqual([{ loc: ["body", "volatility"], msg: "Input should be greater than 0" }]);
    expect(apiError.status).toBe(422);
  });

  it("turns a body that is not an envelope into ApiError INTERNAL naming the HTTP status", () => {
    for (const body of ["<html>Bad Gateway</html>", { detail: "Not Found" }, null, undefined]) {
      const error = caught(() => unwrap({ error: body, response: response(502) })) as ApiError;
      expect(error).toBeInstanceOf(ApiError);
      expect(error.code).toBe("INTERNAL");
      expect(error.status).toBe(502);
      expect(error.message).toContain("HTTP 502");
      expect(error.details).toEqual([]);
    }
  });

  it("treats an ok:false envelope without an error body as not an envelope", () => {
    const error = caught(() => unwrap({ error: { ok: false, error: null }, response: response(500) })) as ApiError;
    expect(error.code).toBe("INTERNAL");
  });
});

describe("the typed client", () => {
  it("sends the bearer token from the getter and unwraps the envelope", async () => {
    const seen: Request[] = [];
    const fakeFetch = async (input: RequestInfo | URL) => {
      seen.push(input as Request);
      return new Response(JSON.stringify({ ok: true, data: HEALTH, error: null, meta: META }), {
        status: 200,
        headers: { "Content-Type": "application/json" },
      });
    };
    const client = makeClient("http://api.test", () => "token-123", fakeFetch as typeof fetch);
    await expect(call(client.GET("/api/v1/health"))).resolves.toEqual(HEALTH);
    expect(seen[0]?.url).toBe("http://api.test/api/v1/health");
    expect(seen[0]?.headers.get("Authorization")).toBe("Bearer token-123");
  });

  it("sends no Authorization header without a token", async () => {
    const seen: Request[] = [];
    const fakeFetch = async (input: RequestInfo | URL) => {
      seen.push(input as Request);
      return new Response(JSON.stringify({ ok: true, data: HEALTH, error: null, meta: META }), { status: 200 });
    };
    const client = makeClient("http://api.test", () => null, fakeFetch as typeof fetch);
    await call(client.GET("/api/v1/health"));
    expect(seen[0]?.headers.has("Authorization")).toBe(false);
  });

  it("reports an unreachable server as ApiError INTERNAL with status 0", async () => {
    const failingFetch = async () => {
      throw new TypeError("Failed to fetch");
    };
    const client = makeClient("http://api.test", () => null, failingFetch as typeof fetch);
    const error = await call(client.GET("/api/v1/health")).catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe("INTERNAL");
    expect((error as ApiError).status).toBe(0);
    expect((error as ApiError).message).toContain("Could not reach the server");
  });

  it("reports a 2xx body that is not JSON as ApiError INTERNAL", async () => {
    const htmlFetch = async () => new Response("<!doctype html>", { status: 200 });
    const client = makeClient("http://api.test", () => null, htmlFetch as typeof fetch);
    const error = await call(client.GET("/api/v1/health")).catch((reason: unknown) => reason);
    expect((error as ApiError).code).toBe("INTERNAL");
  });

  it("carries a 404 error envelope from the server as ApiError NOT_FOUND", async () => {
    const notFound = async () =>
      new Response(
        JSON.stringify({
          ok: false,
          data: null,
          error: { code: "NOT_FOUND", message: "Job 'x' not found", details: [] },
          meta: META,
        }),
        { status: 404, headers: { "Content-Type": "application/json" } },
      );
    const client = makeClient("http://api.test", () => null, notFound as typeof fetch);
    const error = await call(
      client.GET("/api/v1/jobs/{job_id}", { params: { path: { job_id: "00000000-0000-0000-0000-000000000000" } } }),
    ).catch((reason: unknown) => reason);
    expect(error).toMatchObject({ code: "NOT_FOUND", status: 404, message: "Job 'x' not found" });
  });
});
