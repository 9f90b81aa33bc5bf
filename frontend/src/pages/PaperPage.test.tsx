// The Paper page against a stubbed server (and a mocked lightweight-charts: jsdom has no
// canvas): the empty state before the first cycle, the KPI cards, positions, orders page
// after page with "Load more", the rebased equity chart, and Reset after a confirmation.
import { QueryClientProvider } from "@tanstack/react-query";
import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { PaperAccount, PaperEquity, PaperOrder, PaperOrderPage, PaperPosition } from "../contract";
import { makeQueryClient } from "../queries";

type Answer = { status: number; data?: unknown; code?: string; message?: string };
type Sent = { method: string; url: URL; body: unknown };
const server = vi.hoisted(() => ({
  routes: {} as Record<string, Answer | ((url: URL) => Answer)>,
  requests: [] as Sent[],
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
}));

vi.mock("../api", async (importOriginal) => {
  const actual = await importOriginal<typeof import("../api")>();
  const META = { request_id: "r1", elapsed_ms: 0.5, cached: false };
  const fetchStub = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    const text = await request.text();
    server.requests.push({ method: request.method, url, body: text ? JSON.parse(text) : null });
    const route = server.routes[`${request.method} ${url.pathname}`];
    const answer = (typeof route === "function" ? route(url) : route) ?? { status: 404, code: "NOT_FOUND", message: "no route" };
    const body =
      answer.status < 300
        ? { ok: true, data: answer.data, error: null, meta: META }
        : { ok: false, data: null, error: { code: answer.code, message: answer.message, details: [] }, meta: META };
    return new Response(JSON.stringify(body), { status: answer.status, headers: { "Content-Type": "application/json" } });
  };
  return { ...actual, api: actual.makeClient("http://ui.test", () => null, fetchStub as typeof fetch) };
});

import { PaperPage } from "./PaperPage";

const ACCOUNT: PaperAccount = {
  start_date: "2018-01-02",
  as_of: "2018-02-07",
  initial_capital: 1_000_000,
  cash: 400_000,
  equity: 1_012_500,
  gross_equity: 1_014_000,
  exposure: 0.605,
  positions: 1,
  pnl: 12_500,
  gross_pnl: 14_000,
  return_pct: 1.25,
  trading: { max_positions: 10, position_size: 0.1, holding_period: 5, commission_bps: 1, slippage_bps: 5 },
};

const POSITION: PaperPosition = {
  ticker: "AAPL",
  shares: 600,
  entry_date: "2018-02-05",
  entry_price: 160,
  signal_date: "2018-02-02",
  exit_in_trading_days: 2,
  last_close: 168,
  market_value: 100_800,
};

const order = (ticker: string, status: PaperOrder["status"]): PaperOrder => ({
  order_id: `2018-02-07:${ticker}`,
  signal_date: "2018-02-07",
  ticker,
  notional: 100_000,
  status,
  fill_date: status === "filled" ? "2018-02-08" : null,
  fill_price: status === "filled" ? 12.5 : null,
});

const FIRST_PAGE: PaperOrderPage = { items: [order("AMAT", "pending"), order("AMD", "filled")], next_cursor: "2018-02-07:AMD" };
const SECOND_PAGE: PaperOrderPage = { items: [order("AVGO", "expired")], next_cursor: null };

const EQUITY: PaperEquity = {
  benchmark: "EQUAL_WEIGHT",
  points: [
    { date: "2018-02-06", equity: 1_000_000, gross_equity: 1_000_000, cash: 1_000_000, exposure: 0, positions: 0, benchmark: 1.9 },
    { date: "2018-02-07", equity: 1_012_500, gross_equity: 1_014_000, cash: 400_000, exposure: 0.6, positions: 1, benchmark: 1.95 },
  ],
};

function renderPage() {
  const queryClient = makeQueryClient();
  render(
    <QueryClientProvider client={queryClient}>
      <MemoryRouter>
        <PaperPage />
      </MemoryRouter>
    </QueryClientProvider>,
  );
  return queryClient;
}

let client: ReturnType<typeof makeQueryClient> | null = null;
beforeEach(() => {
  server.requests.length = 0;
  server.routes = {
    "GET /api/v1/paper/account": { status: 200, data: ACCOUNT },
    "GET /api/v1/paper/positions": { status: 200, data: { items: [POSITION] } },
    "GET /api/v1/paper/orders": (url) => ({
      status: 200,
      data: url.searchParams.get("cursor") === "2018-02-07:AMD" ? SECOND_PAGE : FIRST_PAGE,
    }),
    "GET /api/v1/paper/equity": { status: 200, data: EQUITY },
  };
});
afterEach(() => {
  cleanup();
  client?.clear();
  client = null;
});

describe("Paper page", () => {
  it("says there is no account before the first cycle", async () => {
    server.routes["GET /api/v1/paper/account"] = {
      status: 404,
      code: "NOT_FOUND",
      message: "no paper account yet: run an autopilot cycle",
    };
    client = renderPage();
    const empty = await screen.findByTestId("paper-empty");
    expect(empty.textContent).toBe("No paper account yet: run an autopilot cycle (Autopilot).");
    expect(within(empty).getByRole("link", { name: "Autopilot" }).getAttribute("href")).toBe("/autopilot");
    expect(server.requests.some((item) => item.url.pathname === "/api/v1/paper/orders")).toBe(false);
  });

  it("shows the KPI cards, the position and the rebased equity chart", async () => {
    client = renderPage();
    const kpis = await screen.findByTestId("paper-kpis");
    expect(within(kpis).getByTestId("kpi-equity-value").textContent).toBe("1,012,500");
    expect(within(kpis).getByTestId("kpi-exposure-value").textContent).toBe("60.5%");
    expect(within(kpis).getByTestId("kpi-pnl-value").textContent).toBe("+12,500");
    expect(within(kpis).getByTestId("kpi-return-value").textContent).toBe("+1.25%");
    const row = within(await screen.findByTestId("positions-table")).getAllByRole("row")[1]!;
    expect(row.dataset.ticker).toBe("AAPL");
    expect(row.textContent).toContain("+5.00%"); // 168 / 160 − 1
    expect(row.textContent).toContain("2 trading days");
    const chart = await screen.findByTestId("paper-equity-chart");
    expect(chart.dataset.series).toBe("line line line");
    expect(chart.dataset.points).toBe("2");
    expect(screen.getByTestId("paper-equity-points").textContent).toBe("2");
  });

  it("loads more orders with the page's cursor and appends them", async () => {
    client = renderPage();
    const table = await screen.findByTestId("orders-table");
    const statuses = () => within(table).getAllByRole("row").slice(1).map((row) => row.dataset.status);
    expect(statuses()).toEqual(["pending", "filled"]);
    fireEvent.click(screen.getByRole("button", { name: "Load more" }));
    await waitFor(() => expect(statuses()).toEqual(["pending", "filled", "expired"]));
    const cursors = server.requests
      .filter((item) => item.url.pathname === "/api/v1/paper/orders")
      .map((item) => item.url.searchParams.get("cursor"));
    expect(cursors).toEqual([null, "2018-02-07:AMD"]);
    expect(screen.queryByRole("button", { name: "Load more" })).toBeNull();
  });

  it("resets only after the confirmation, posting confirm: true", async () => {
    server.routes["POST /api/v1/paper/reset"] = { status: 200, data: { reset: true } };
    const confirm = vi.spyOn(window, "confirm").mockReturnValueOnce(false).mockReturnValueOnce(true);
    client = renderPage();
    const button = await screen.findByRole("button", { name: "Reset" });
    fireEvent.click(button);
    expect(server.requests.some((item) => item.method === "POST")).toBe(false);
    server.routes["GET /api/v1/paper/account"] = { status: 404, code: "NOT_FOUND", message: "no paper account yet" };
    fireEvent.click(button);
    await screen.findByTestId("paper-empty");
    expect(confirm).toHaveBeenCalledTimes(2);
    const posts = server.requests.filter((item) => item.method === "POST");
    expect(posts.map((item) => [item.url.pathname, item.body])).toEqual([["/api/v1/paper/reset", { confirm: true }]]);
  });
});
