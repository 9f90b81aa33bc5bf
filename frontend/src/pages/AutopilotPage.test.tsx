// The Autopilot page against a stubbed server: the clock, the running cycle's six steps and
// the history with each decision; "Run now" posts one cycle and follows its job, and is
// disabled while a cycle runs; Save sends only what changed, catches an interval under the
// mode's minimum before sending, and shows the server's 422 at the field.
import { QueryClientProvider } from "@tanstack/react-query";
import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { AutopilotCycle, AutopilotState, AutopilotStep, JobRecord } from "../contract";
import { makeQueryClient } from "../queries";

type Answer = { status: number; data?: unknown; code?: string; message?: string; details?: unknown[] };
type Sent = { method: string; path: string; body: unknown };
const server = vi.hoisted(() => ({
  routes: {} as Record<string, Answer>,
  requests: [] as Sent[],
}));

vi.mock("../api", async (importOriginal) => {
  const actual = await importOriginal<typeof import("../api")>();
  const META = { request_id: "r1", elapsed_ms: 0.5, cached: false };
  const fetchStub = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    const text = await request.text();
    server.requests.push({ method: request.method, path: url.pathname, body: text ? JSON.parse(text) : null });
    const answer = server.routes[`${request.method} ${url.pathname}`] ?? { status: 404, code: "NOT_FOUND", message: "no route" };
    const body =
      answer.status < 300
        ? { ok: true, data: answer.data, error: null, meta: META }
        : { ok: false, data: null, error: { code: answer.code, message: answer.message, details: answer.details ?? [] }, meta: META };
    return new Response(JSON.stringify(body), { status: answer.status, headers: { "Content-Type": "application/json" } });
  };
  return { ...actual, api: actual.makeClient("http://ui.test", () => null, fetchStub as typeof fetch) };
});

import { AutopilotPage } from "./AutopilotPage";

/** jsdom has no EventSource: a silent one (the job record comes from the stubbed GET). */
class SilentEventSource {
  readyState = 0;
  constructor(readonly url: string) {}
  addEventListener() {}
  close() {
    this.readyState = 2;
  }
}

const JOB_ID = "9f21581a-12dd-4261-9b44-dcf26c3f7f46";
const OLD_JOB_ID = "0b8c9e2a-1111-4261-9b44-dcf26c3f7f46";

const step = (
  name: AutopilotStep["name"],
  status: AutopilotStep["status"],
  outcome: string | null = null,
  duration: number | null = null,
): AutopilotStep => ({
  name,
  status,
  started_at: null,
  finished_at: null,
  duration_seconds: duration,
  outcome,
});

const RUNNING_CYCLE: AutopilotCycle = {
  job_id: JOB_ID,
  status: "running",
  as_of: "2018-02-07",
  mode: "live",
  started_at: "2026-12-02T14:25:04Z",
  finished_at: null,
  steps: [
    step("data_refresh", "succeeded", "source unchanged (505 tickers): nothing imported", 1.009),
    step("train", "running"),
    step("governance", "pending"),
    step("signals", "pending"),
    step("paper", "pending"),
    step("tracking", "pending"),
  ],
  error: null,
};

const DONE_CYCLE: AutopilotCycle = {
  job_id: OLD_JOB_ID,
  status: "succeeded",
  as_of: "2018-02-06",
  mode: "live",
  started_at: "2026-12-01T14:25:04Z",
  finished_at: "2026-12-01T14:28:01Z",
  steps: [
    step("data_refresh", "succeeded", "source unchanged", 1),
    step("train", "succeeded", "v2 trained", 174),
    step("governance", "succeeded", "kept the champion: ICIR 0.01 is below v1's 0.2", 0),
    step("signals", "succeeded", "99 tickers scored", 1.5),
    step("paper", "succeeded", "10 pending order(s)", 0.1),
    step("tracking", "succeeded", "0 signal date(s) scored", 0),
  ],
  error: null,
};

function state(overrides: Partial<AutopilotState> = {}): AutopilotState {
  return {
    config: {
      enabled: false,
      mode: "live",
      interval_seconds: 7200,
      replay_start: null,
      step_days: 5,
      training: {
        horizons: [5],
        feature_mode: "core",
        survivorship: true,
        full_universe: false,
        years: 3,
        end: null,
        folds: 3,
        embargo_days: 5,
        seed: 0,
        lightgbm: { num_leaves: 31, learning_rate: 0.05, n_estimators: 100, min_data_in_leaf: 200, feature_fraction: 0.8 },
      },
      trading: {
        max_positions: 10,
        position_size: 0.1,
        entry_threshold: 0,
        holding_period: 5,
        commission_bps: 1,
        slippage_bps: 5,
        initial_capital: 1_000_000,
      },
    },
    as_of: "2018-02-07",
    last_stored_date: "2018-02-07",
    next_run_at: null,
    running_job_id: null,
    champion: "v1",
    challenger: "v2",
    cycles: [DONE_CYCLE],
    message: null,
    ...overrides,
  };
}

function job(overrides: Partial<JobRecord> = {}): JobRecord {
  return {
    job_id: JOB_ID,
    job_type: "autopilot",
    status: "running",
    progress: 1 / 6,
    progress_message: "step 2/6: train",
    cancel_requested: false,
    params: { skip: [], trigger: "manual" },
    owner: null,
    created_at: "2026-12-02T14:25:04Z",
    started_at: "2026-12-02T14:25:04Z",
    finished_at: null,
    error: null,
    result: null,
    ...overrides,
  };
}

function renderPage() {
  const queryClient = makeQueryClient();
  render(
    <QueryClientProvider client={queryClient}>
      <MemoryRouter>
        <AutopilotPage />
      </MemoryRouter>
    </QueryClientProvider>,
  );
  return queryClient;
}

let client: ReturnType<typeof makeQueryClient> | null = null;
beforeEach(() => {
  vi.stubGlobal("EventSource", SilentEventSource);
  server.requests.length = 0;
  server.routes = {
    "GET /api/v1/autopilot": { status: 200, data: state() },
    [`GET /api/v1/jobs/${JOB_ID}`]: { status: 200, data: job() },
  };
});
afterEach(() => {
  cleanup();
  client?.clear();
  client = null;
  vi.unstubAllGlobals();
});

const sent = (method: string, path: string) => server.requests.filter((item) => item.method === method && item.path === path);

describe("Autopilot page", () => {
  it("shows the running cycle's six steps, follows its job, and disables Run now while it runs", async () => {
    server.routes["GET /api/v1/autopilot"] = {
      status: 200,
      data: state({ running_job_id: JOB_ID, cycles: [RUNNING_CYCLE, DONE_CYCLE] }),
    };
    client = renderPage();
    const latest = await screen.findByTestId("latest-cycle");
    expect(latest.dataset.jobId).toBe(JOB_ID);
    expect(within(latest).getByText("step 2/6: train")).toBeTruthy();
    const steps = within(latest).getAllByRole("listitem");
    expect(steps.map((item) => `${item.dataset.step}:${item.dataset.status}`)).toEqual([
      "data_refresh:succeeded",
      "train:running",
      "governance:pending",
      "signals:pending",
      "paper:pending",
      "tracking:pending",
    ]);
    expect(within(steps[0]!).getByTestId("step-outcome").textContent).toBe("source unchanged (505 tickers): nothing imported");
    expect(within(steps[0]!).getByTestId("step-duration").textContent).toBe("1.0 s");
    expect(screen.getByTestId("cycle-steps").dataset.complete).toBe("false");
    expect((screen.getByRole("button", { name: "Run now" }) as HTMLButtonElement).disabled).toBe(true);
    const card = await screen.findByTestId("autopilot-job");
    expect(card.dataset.jobId).toBe(JOB_ID);
    expect(within(card).getByTestId("autopilot-progress").textContent).toBe("step 2/6: train");
  });

  it("lists the cycles newest first with the governance step's decision", async () => {
    server.routes["GET /api/v1/autopilot"] = { status: 200, data: state({ cycles: [RUNNING_CYCLE, DONE_CYCLE] }) };
    client = renderPage();
    const table = await screen.findByTestId("cycles-table");
    const rows = within(table).getAllByRole("row").slice(1);
    expect(rows.map((row) => row.dataset.jobId)).toEqual([JOB_ID, OLD_JOB_ID]);
    const decisions = within(table).getAllByTestId("cycle-decision");
    expect(decisions.map((cell) => cell.dataset.verdict)).toEqual(["pending", "kept"]);
    expect(decisions[1]!.textContent).toBe("● Kept champion ICIR 0.01 is below v1's 0.2");
    expect(screen.getByTestId("autopilot-champion").textContent).toBe("v1");
  });

  it("posts one cycle on Run now and follows the job it started", async () => {
    server.routes["POST /api/v1/autopilot/run"] = { status: 202, data: job({ status: "queued", progress: 0, progress_message: null }) };
    client = renderPage();
    const button = await screen.findByRole("button", { name: "Run now" });
    expect((button as HTMLButtonElement).disabled).toBe(false);
    expect(screen.getByTestId("cycle-steps").dataset.complete).toBe("true");
    fireEvent.click(button);
    const card = await screen.findByTestId("autopilot-job");
    expect(card.dataset.jobId).toBe(JOB_ID);
    expect(sent("POST", "/api/v1/autopilot/run").map((item) => item.body)).toEqual([{}]);
  });

  it("shows the 409 of a second cycle", async () => {
    server.routes["POST /api/v1/autopilot/run"] = {
      status: 409,
      code: "CONFLICT",
      message: `an autopilot cycle is already queued or running: job ${JOB_ID}`,
    };
    client = renderPage();
    fireEvent.click(await screen.findByRole("button", { name: "Run now" }));
    const alert = await screen.findByText(/already queued or running/);
    expect(alert.closest("[data-error-code]")?.getAttribute("data-error-code")).toBe("CONFLICT");
  });

  it("catches an interval under the live minimum before sending", async () => {
    server.routes["GET /api/v1/autopilot"] = { status: 200, data: state({ config: { ...state().config, interval_seconds: 300 } }) };
    client = renderPage();
    await screen.findByTestId("autopilot-form");
    expect(screen.getByText(/at least 3600 in live mode \(1 h\)/)).toBeTruthy();
    fireEvent.click(screen.getByLabelText("Enabled (run a cycle every interval)"));
    fireEvent.click(screen.getByRole("button", { name: "Save" }));
    expect(await screen.findByText("must be ≥ 3600 in live mode (1 h)")).toBeTruthy();
    expect(sent("PUT", "/api/v1/autopilot/config")).toHaveLength(0);
  });

  it("sends only the changed fields and shows the server's 422 at the field", async () => {
    server.routes["PUT /api/v1/autopilot/config"] = {
      status: 422,
      code: "VALIDATION_ERROR",
      message: "interval_seconds must be at least 3600 in live mode",
      details: [{ loc: ["body", "interval_seconds"], msg: ">= 3600 in live mode (server)" }],
    };
    client = renderPage();
    await screen.findByTestId("autopilot-form");
    fireEvent.change(screen.getByLabelText("Mode"), { target: { value: "replay" } });
    fireEvent.change(screen.getByLabelText("Interval (seconds)"), { target: { value: "90" } });
    expect(screen.getByText(/at least 60 in replay mode \(1 min\)/)).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "Save" }));
    expect(await screen.findByText(">= 3600 in live mode (server)")).toBeTruthy();
    expect(sent("PUT", "/api/v1/autopilot/config").map((item) => item.body)).toEqual([{ mode: "replay", interval_seconds: 90 }]);
    const field = screen.getByLabelText("Interval (seconds)").closest(".field");
    expect(field?.classList.contains("field-invalid")).toBe(true);
  });

  it("takes the saved configuration as the new form", async () => {
    const saved = state({ config: { ...state().config, enabled: true }, next_run_at: "2026-12-02T16:25:04Z" });
    server.routes["PUT /api/v1/autopilot/config"] = { status: 200, data: saved };
    client = renderPage();
    await screen.findByTestId("autopilot-form");
    expect(screen.getByTestId("autopilot-enabled").textContent).toBe("Not scheduled");
    fireEvent.click(screen.getByLabelText("Enabled (run a cycle every interval)"));
    fireEvent.click(screen.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(screen.getByTestId("autopilot-enabled").textContent).toBe("Scheduled"));
    expect(sent("PUT", "/api/v1/autopilot/config").map((item) => item.body)).toEqual([{ enabled: true }]);
    expect((screen.getByLabelText("Enabled (run a cycle every interval)") as HTMLInputElement).checked).toBe(true);
    expect(screen.getByTestId("autopilot-saved").textContent).toBe("Saved.");
  });
});
