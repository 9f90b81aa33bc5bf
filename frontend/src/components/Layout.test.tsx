// The header's status light against a stubbed server: it shows the overall level as a word
// and links to /health, and a failing status call leaves the page working ("status unknown").
import { QueryClientProvider } from "@tanstack/react-query";
import { cleanup, render, screen, waitFor } from "@testing-library/react";
import { MemoryRouter, Route, Routes } from "react-router";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Health, QuickStatus } from "../contract";
import { makeQueryClient } from "../queries";

const server = vi.hoisted(() => ({ status: null as (() => Promise<Response>) | null }));

vi.mock("../api", async (importOriginal) => {
  const actual = await importOriginal<typeof import("../api")>();
  const fetchStub = async (request: Request): Promise<Response> => {
    const path = new URL(request.url).pathname;
    if (path === "/api/v1/health/status" && server.status) return server.status();
    if (path === "/api/v1/health") return json(HEALTH);
    return new Response(null, { status: 404 });
  };
  return { ...actual, api: actual.makeClient("http://ui.test", () => null, fetchStub as typeof fetch) };
});

import { Layout } from "./Layout";

const META = { request_id: "r1", elapsed_ms: 0.5, cached: false };
const HEALTH: Health = {
  status: "ok",
  components: [],
  service_version: "0.1.0",
  contract_version: "1.3.0",
  uptime_seconds: 1,
  auth_enabled: false,
  jobs: { running: 0, queued: 0, event_subscribers: 0 },
};
const STATUS: QuickStatus = {
  overall: "warning",
  at: "2026-03-10T12:00:00.000001+00:00",
  components: [{ name: "disk", status: "warning", value: 1.5, threshold: 0.5, message: "1.5 GiB free" }],
};

function json(data: unknown): Promise<Response> {
  return Promise.resolve(
    new Response(JSON.stringify({ ok: true, data, error: null, meta: META }), {
      status: 200,
      headers: { "Content-Type": "application/json" },
    }),
  );
}

function renderLayout() {
  const queryClient = makeQueryClient();
  render(
    <QueryClientProvider client={queryClient}>
      <MemoryRouter initialEntries={["/jobs"]}>
        <Routes>
          <Route element={<Layout />}>
            <Route path="jobs" element={<p>the jobs page</p>} />
          </Route>
        </Routes>
      </MemoryRouter>
    </QueryClientProvider>,
  );
  return queryClient;
}

let client: ReturnType<typeof makeQueryClient> | null = null;
afterEach(() => {
  cleanup();
  client?.clear(); // stops the retries of a failed status call
  client = null;
  server.status = null;
});

describe("header status light", () => {
  it("shows the overall level as a word and links to the Health page", async () => {
    server.status = () => json(STATUS);
    client = renderLayout();
    const light = screen.getByTestId("header-status");
    await waitFor(() => expect(light.dataset.status).toBe("warning"));
    expect(light.textContent).toBe("System status: Warning");
    expect(light.getAttribute("href")).toBe("/health");
    expect(screen.getByText("the jobs page")).toBeTruthy();
  });

  it("says status unknown when the status call fails, and the page still renders", async () => {
    server.status = () => Promise.reject(new TypeError("connection refused"));
    client = renderLayout();
    const light = screen.getByTestId("header-status");
    await waitFor(() => expect(light.dataset.status).toBe("unknown"));
    expect(light.textContent).toBe("status unknown");
    expect(screen.getByText("the jobs page")).toBeTruthy();
  });

  it("says status unknown when the server answers the status call with an error", async () => {
    server.status = () =>
      Promise.resolve(
        new Response(
          JSON.stringify({ ok: false, data: null, error: { code: "UNAUTHORIZED", message: "token required", details: [] }, meta: META }),
          { status: 401, headers: { "Content-Type": "application/json" } },
        ),
      );
    client = renderLayout();
    await waitFor(() => expect(screen.getByTestId("header-status").dataset.status).toBe("unknown"));
    expect(screen.getByRole("navigation", { name: "Main" }).textContent).toContain("Health");
  });
});
