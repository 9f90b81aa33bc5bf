// The Health page against a stubbed server (and a mocked lightweight-charts: jsdom has no
// canvas): every component as a card, the history chart and trend of the chosen component,
// and the champion's age, IC and disagreement with their empty and error states.
import { QueryClientProvider } from "@tanstack/react-query";
import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type {
  DisagreementHistory,
  HealthHistory,
  IcHistory,
  ModelAge,
  QuickStatus,
  StatusComponent,
} from "../contract";
import { makeQueryClient } from "../queries";

type Answer = { status: number; data?: unknown; code?: string; message?: string };
const server = vi.hoisted(() => ({
  routes: {} as Record<string, Answer>,
  requests: [] as URL[],
}));

vi.mock("lightweight-charts", () => ({
  createChart: () => ({
    addSeries: () => ({ setData: () => undefined, priceScale: () => ({ applyOptions: () => undefined }) }),
    removeSeries: () => undefined,
    applyOptions: () => undefined,
    remove: () => undefined,
    timeScale: () => ({ fitContent: () => undefined }),
    subscribeCrosshairMove: () => undefined,
    unsubscribeCrosshairMove: () => undefined,
  }),
  CandlestickSeries: "Candlestick",
  LineSeries: "Line",
  HistogramSeries: "Histogram",
  AreaSeries: "Area",
  ColorType: { Solid: "solid" },
  LineStyle: { Solid: 0, Dotted: 1, Dashed: 2 },
}));

vi.mock("../api", async (importOriginal) => {
  const actual = await importOriginal<typeof import("../api")>();
  const META = { request_id: "r1", elapsed_ms: 0.5, cached: false };
  const fetchStub = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    server.requests.push(url);
    const answer = server.routes[url.pathname] ?? { status: 404, code: "NOT_FOUND", message: "no route" };
    const body =
      answer.status === 200
        ? { ok: true, data: answer.data, error: null, meta: META }
        : { ok: false, data: null, error: { code: answer.code, message: answer.message, details: [] }, meta: META };
    return new Response(JSON.stringify(body), { status: answer.status, headers: { "Content-Type": "application/json" } });
  };
  return { ...actual, api: actual.makeClient("http://ui.test", () => null, fetchStub as typeof fetch) };
});

import { HealthPage } from "./HealthPage";

const component = (name: StatusComponent["name"], overrides: Partial<StatusComponent> = {}): StatusComponent => ({
  name,
  status: "ok",
  value: 0,
  threshold: null,
  message: `${name} is fine`,
  ...overrides,
});

const STATUS: QuickStatus = {
  overall: "critical",
  at: "2026-03-10T12:00:00.000001+00:00",
  components: [
    component("data_freshness", { value: 0, threshold: 3 }),
    component("model_age", { status: "warning", value: null, message: "no champion yet" }),
    component("ic_trend", { status: "critical", value: null, message: "tracking.db is corrupt" }),
    component("disagreement", { value: null, message: "no challenger" }),
    component("job_queue", { value: 0, threshold: 80 }),
    component("disk", { value: 40.5, threshold: 2 }),
    component("registry", { value: 1, threshold: 1 }),
    component("cache", { value: 0.5, threshold: 0.2 }),
  ],
};

const HISTORY: HealthHistory = {
  component: "data_freshness",
  since: "2026-03-03T12:00:00+00:00",
  until: "2026-03-10T12:00:00+00:00",
  points: [
    { at: "2026-03-10T11:50:00.000001+00:00", value: 0, status: "ok" },
    { at: "2026-03-10T11:55:00.000001+00:00", value: null, status: "critical" },
    { at: "2026-03-10T12:00:00.000001+00:00", value: 4, status: "warning" },
  ],
  truncated: true,
  trend: { slope_per_day: 576, direction: "up", tolerance: 0.01, points: 2 },
};

const AGE: ModelAge = { version: "v3", trained_at: "2026-03-01T09:00:00+00:00", age_days: 9.125 };
const NO_IC: IcHistory = { version: "v3", horizon: 5, window: 20, points: [], mean_ic: null, mean_rank_ic: null, scored_dates: 0 };
const DISAGREEMENT: DisagreementHistory = {
  champion: "v3",
  challenger: "v4",
  horizon: 5,
  window: 20,
  points: [
    { date: "2026-03-05", rank_correlation: 0.81, top_overlap: 0.6, top_n: 20, names: 480, rolling_rank_correlation: 0.81 },
    { date: "2026-03-06", rank_correlation: 0.42, top_overlap: 0.35, top_n: 20, names: 481, rolling_rank_correlation: 0.615 },
  ],
};

function renderPage() {
  const queryClient = makeQueryClient();
  render(
    <QueryClientProvider client={queryClient}>
      <MemoryRouter>
        <HealthPage />
      </MemoryRouter>
    </QueryClientProvider>,
  );
  return queryClient;
}

let client: ReturnType<typeof makeQueryClient> | null = null;
beforeEach(() => {
  server.requests.length = 0;
  server.routes = {
    "/api/v1/health/status": { status: 200, data: STATUS },
    "/api/v1/health/history": { status: 200, data: HISTORY },
  };
});
afterEach(() => {
  cleanup();
  client?.clear(); // stops the retries of a 503
  client = null;
});

describe("Health page", () => {
  it("shows the overall light in words and one card per component with value, threshold and message", async () => {
    client = renderPage();
    const overall = await screen.findByTestId("overall-status");
    expect(overall.dataset.status).toBe("critical");
    expect(overall.textContent).toBe("Overall status: Critical");
    const cards = screen.getAllByTestId("status-card");
    expect(cards.map((card) => card.dataset.component)).toEqual([
      "data_freshness",
      "model_age",
      "ic_trend",
      "disagreement",
      "job_queue",
      "disk",
      "registry",
      "cache",
    ]);
    const disk = within(cards[5]!);
    expect(disk.getByRole("heading", { level: 3 }).textContent).toBe("Free disk");
    expect(disk.getByTestId("status-value").textContent).toBe("40.5 GiB");
    expect(disk.getByText("Threshold: warning if < 2 GiB")).toBeTruthy();
    const ic = within(cards[2]!);
    expect(ic.getByText("Critical")).toBeTruthy();
    expect(ic.getByTestId("status-value").textContent).toBe("—");
    expect(ic.getByText("tracking.db is corrupt")).toBeTruthy();
  });

  it("charts the chosen component's valued snapshots with its trend and the truncated note", async () => {
    client = renderPage();
    const chart = await screen.findByTestId("history-chart");
    expect(chart.dataset.points).toBe("2"); // the null snapshot is left out
    expect(screen.getByTestId("history-points").textContent).toBe("2");
    expect(screen.getByTestId("history-truncated")).toBeTruthy();
    const trend = screen.getByTestId("history-trend");
    expect(trend.dataset.direction).toBe("up");
    expect(trend.textContent).toContain("+576 business days/day");
    expect(trend.textContent).toContain("worsening");
    expect(trend.textContent).toContain("±0.01 business days/day");
    const first = server.requests.find((url) => url.pathname === "/api/v1/health/history");
    expect(first?.searchParams.get("component")).toBe("data_freshness");
    expect(first?.searchParams.get("limit")).toBe("110000");
    const since = Date.parse(first?.searchParams.get("since") ?? "");
    expect(Math.abs(Date.now() - 7 * 86_400_000 - since)).toBeLessThan(60_000); // 7 d by default

    fireEvent.change(screen.getByLabelText("Component"), { target: { value: "disk" } });
    fireEvent.click(screen.getByRole("button", { name: "24 h" }));
    await waitFor(() =>
      expect(
        server.requests.some(
          (url) =>
            url.searchParams.get("component") === "disk" &&
            Math.abs(Date.now() - 86_400_000 - Date.parse(url.searchParams.get("since") ?? "")) < 60_000,
        ),
      ).toBe(true),
    );
  });

  it("shows no champion, no challenger, and a corrupt tracking.db while the rest of the page stays", async () => {
    server.routes["/api/v1/health/model-age"] = { status: 404, code: "NOT_FOUND", message: "no champion" };
    server.routes["/api/v1/tracking/ic"] = {
      status: 503,
      code: "UNAVAILABLE",
      message: "tracking database /qe/tracking.db is corrupt",
    };
    server.routes["/api/v1/tracking/disagreement"] = { status: 404, code: "NOT_FOUND", message: "no challenger" };
    client = renderPage();
    await screen.findByText(/No champion yet/);
    await screen.findByText("No challenger to compare with the champion yet.");
    const icSection = screen.getByTestId("ic-section");
    await waitFor(() => expect(within(icSection).getByRole("alert").textContent).toContain("tracking.db is corrupt"));
    expect(screen.getAllByTestId("status-card")).toHaveLength(8);
    expect(screen.getByTestId("history-chart")).toBeTruthy();
  });

  it("shows the champion's age, the IC empty state and the latest disagreement dates", async () => {
    server.routes["/api/v1/health/model-age"] = { status: 200, data: AGE };
    server.routes["/api/v1/tracking/ic"] = { status: 200, data: NO_IC };
    server.routes["/api/v1/tracking/disagreement"] = { status: 200, data: DISAGREEMENT };
    client = renderPage();
    const version = await screen.findByTestId("model-age-version");
    expect(version.textContent).toBe("v3");
    expect(screen.getByTestId("model-age").dataset.version).toBe("v3");
    expect(screen.getByTestId("model-age-days").textContent).toBe("9.1 days");
    expect((await screen.findByTestId("ic-empty")).textContent).toContain("No matured signal dates yet");
    const rows = within(await screen.findByTestId("disagreement-table")).getAllByRole("row").slice(1);
    expect(rows.map((row) => row.dataset.date)).toEqual(["2026-03-06", "2026-03-05"]);
    expect(rows[0]!.textContent).toContain("7 of 20");
    expect(screen.getByTestId("disagreement-chart").dataset.points).toBe("2");
  });
});
