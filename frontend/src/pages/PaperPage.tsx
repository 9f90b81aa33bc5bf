// Paper trading: the account the autopilot trades (KPI cards, equity against the benchmark,
// both rebased to 100, on lightweight-charts), its positions, its orders page after page, and
// a Reset (confirmed; 409 while a cycle runs). Before the first cycle there is no account.
import { useMemo } from "react";
import { Link } from "react-router";
import { paperKpis, rebasedEquityLines } from "../autopilot";
import { formatKpi } from "../backtest";
import { OrderStatusBadge } from "../components/Badges";
import { Empty, ErrorMessage, Loading, isNotFound } from "../components/Feedback";
import { type SeriesSpec, TimeChart } from "../components/TimeChart";
import type { PaperAccount, PaperEquity } from "../contract";
import { formatInteger, formatNumber } from "../format";
import {
  usePaperAccount,
  usePaperEquity,
  usePaperOrders,
  usePaperPositions,
  useResetPaperAccount,
} from "../queries";

const ORDERS_PAGE_SIZE = 50;
const EQUITY_COLOR = "#1f5fbf";
const GROSS_COLOR = "#8e9aab";
const BENCHMARK_COLOR = "#d9822b";
const INDEX_FORMAT = { type: "price", precision: 2, minMove: 0.01 } as const;
const RESET_QUESTION =
  "Reset the paper account? Its positions, orders and marks are deleted; the next autopilot cycle opens a new one.";
/** Below this many marks the lines also show their points (one mark draws no line). */
const MARKERS_BELOW = 30;

function KpiCards({ account }: { account: PaperAccount }) {
  return (
    <div className="kpi-grid" data-testid="paper-kpis">
      {paperKpis(account).map((kpi) => (
        <div key={kpi.key} className="kpi-card" data-testid={`kpi-${kpi.key}`}>
          <div className="kpi-label">{kpi.label}</div>
          <div className={`kpi-value ${kpi.tone ?? ""}`} data-testid={`kpi-${kpi.key}-value`}>
            {kpi.value}
          </div>
          {kpi.detail && <div className="kpi-gross muted">{kpi.detail}</div>}
        </div>
      ))}
    </div>
  );
}

function ResetButton() {
  const reset = useResetPaperAccount();
  return (
    <span className="cancel">
      <button
        type="button"
        className="button-danger"
        disabled={reset.isPending}
        onClick={() => {
          if (window.confirm(RESET_QUESTION)) {
            reset.mutate();
          }
        }}
      >
        {reset.isPending ? "Resetting…" : "Reset"}
      </button>
      {reset.isError && <ErrorMessage error={reset.error} title="Could not reset" />}
    </span>
  );
}

function AccountSection({ account }: { account: PaperAccount }) {
  const { trading } = account;
  return (
    <section className="card wide" aria-labelledby="account-title" data-testid="paper-account">
      <h2 id="account-title" className="row">
        <span>Account</span>
        <ResetButton />
      </h2>
      <dl className="facts">
        <div>
          <dt>Opened</dt>
          <dd>{account.start_date}</dd>
        </div>
        <div>
          <dt>Last mark</dt>
          <dd data-testid="paper-as-of">{account.as_of ?? "—"}</dd>
        </div>
        <div>
          <dt>Rules</dt>
          <dd>
            ≤ {trading.max_positions ?? "—"} positions · {formatKpi(trading.position_size, "share")} each · hold{" "}
            {trading.holding_period ?? "—"} d · {trading.commission_bps ?? "—"} bps commission ·{" "}
            {trading.slippage_bps ?? "—"} bps slippage
          </dd>
        </div>
      </dl>
      <p className="small muted">
        Orders from the autopilot's signals fill at the next stored open with slippage and commission, as in the backtest;
        figures are as of the last mark.
      </p>
      <KpiCards account={account} />
    </section>
  );
}

function EquityChart({ equity }: { equity: PaperEquity }) {
  const lines = useMemo(() => rebasedEquityLines(equity.points), [equity.points]);
  const markers = equity.points.length < MARKERS_BELOW;
  const series = useMemo<SeriesSpec[]>(() => {
    const look = { priceFormat: INDEX_FORMAT, pointMarkersVisible: markers };
    return [
      { kind: "line", data: lines.benchmark, options: { ...look, color: BENCHMARK_COLOR, lineWidth: 1, title: equity.benchmark } },
      { kind: "line", data: lines.gross, options: { ...look, color: GROSS_COLOR, lineWidth: 1, title: "gross" } },
      { kind: "line", data: lines.equity, options: { ...look, color: EQUITY_COLOR, lineWidth: 2, title: "net" } },
    ];
  }, [lines, equity.benchmark, markers]);
  if (equity.points.length === 0) return <Empty>No mark yet: the account is marked at each cycle's close.</Empty>;
  const first = equity.points[0]?.date ?? "";
  const last = equity.points[equity.points.length - 1]?.date ?? "";
  return (
    <figure className="chart">
      <figcaption>
        Net and gross equity against {equity.benchmark}, each 100 at its first mark, {first} → {last} ·{" "}
        <span data-testid="paper-equity-points">{equity.points.length}</span> mark(s){" "}
        <span className="legend">
          <span className="swatch" style={{ background: EQUITY_COLOR }} /> net
          <span className="swatch" style={{ background: GROSS_COLOR }} /> gross
          <span className="swatch" style={{ background: BENCHMARK_COLOR }} /> {equity.benchmark}
        </span>
      </figcaption>
      <TimeChart
        series={series}
        height={320}
        label={`Paper equity and ${equity.benchmark}, rebased to 100, from ${first} to ${last}`}
        testId="paper-equity-chart"
      />
    </figure>
  );
}

function EquitySection() {
  const equity = usePaperEquity();
  return (
    <section className="card wide" aria-labelledby="paper-equity-title">
      <h2 id="paper-equity-title">Equity against the benchmark</h2>
      {equity.isPending && <Loading label="Loading the marks…" />}
      {equity.isError && <ErrorMessage error={equity.error} />}
      {equity.data && <EquityChart equity={equity.data} />}
    </section>
  );
}

function PositionsSection() {
  const positions = usePaperPositions();
  const items = positions.data?.items;
  return (
    <section className="card wide" aria-labelledby="positions-title">
      <h2 id="positions-title" className="row">
        <span>Positions</span>
        {positions.isFetching && <span className="muted small">Updating…</span>}
      </h2>
      {positions.isPending && <Loading label="Loading positions…" />}
      {positions.isError && <ErrorMessage error={positions.error} />}
      {items && items.length === 0 && <Empty>No open position.</Empty>}
      {items && items.length > 0 && (
        <div className="table-scroll">
          <table className="table compact" data-testid="positions-table">
            <thead>
              <tr>
                <th scope="col">Ticker</th>
                <th scope="col" className="numeric">
                  Shares
                </th>
                <th scope="col">Signal</th>
                <th scope="col">Entry</th>
                <th scope="col" className="numeric">
                  Entry price
                </th>
                <th scope="col" className="numeric">
                  Last close
                </th>
                <th scope="col" className="numeric">
                  Market value
                </th>
                <th scope="col" className="numeric">
                  Unrealized
                </th>
                <th scope="col" className="numeric" title="The position exits at the open this many trading days after the last mark">
                  Exits in
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((position) => {
                const change = position.entry_price > 0 ? position.last_close / position.entry_price - 1 : null;
                return (
                  <tr key={`${position.ticker}-${position.entry_date}`} data-ticker={position.ticker}>
                    <td className="mono">
                      <Link to={`/data/${encodeURIComponent(position.ticker)}`}>{position.ticker}</Link>
                    </td>
                    <td className="numeric mono">{formatNumber(position.shares, 2)}</td>
                    <td className="nowrap">{position.signal_date}</td>
                    <td className="nowrap">{position.entry_date}</td>
                    <td className="numeric mono">{formatNumber(position.entry_price, 2)}</td>
                    <td className="numeric mono">{formatNumber(position.last_close, 2)}</td>
                    <td className="numeric mono">{formatKpi(position.market_value, "money")}</td>
                    <td className={`numeric mono ${change === null ? "" : change >= 0 ? "up" : "down"}`}>
                      {formatKpi(change, "return")}
                    </td>
                    <td className="numeric">
                      {formatInteger(position.exit_in_trading_days)} trading day{position.exit_in_trading_days === 1 ? "" : "s"}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function OrdersSection() {
  const orders = usePaperOrders(ORDERS_PAGE_SIZE);
  const items = orders.data?.pages.flatMap((page) => page.items);
  return (
    <section className="card wide" aria-labelledby="orders-title">
      <h2 id="orders-title" className="row">
        <span>Orders</span>
        {items && <span className="small muted">{formatInteger(items.length)} shown, newest signal date first</span>}
        {orders.isFetching && !orders.isFetchingNextPage && <span className="muted small">Updating…</span>}
      </h2>
      {orders.isPending && <Loading label="Loading orders…" />}
      {orders.isError && <ErrorMessage error={orders.error} />}
      {items && items.length === 0 && <Empty>No order yet.</Empty>}
      {items && items.length > 0 && (
        <>
          <div className="table-scroll">
            <table className="table compact" data-testid="orders-table">
              <thead>
                <tr>
                  <th scope="col">Signal date</th>
                  <th scope="col">Ticker</th>
                  <th scope="col" className="numeric">
                    Notional
                  </th>
                  <th scope="col">Status</th>
                  <th scope="col">Fill date</th>
                  <th scope="col" className="numeric">
                    Fill price
                  </th>
                </tr>
              </thead>
              <tbody>
                {items.map((order) => (
                  <tr key={order.order_id} data-order-id={order.order_id} data-status={order.status}>
                    <td className="nowrap">{order.signal_date}</td>
                    <td className="mono">{order.ticker}</td>
                    <td className="numeric mono">{formatKpi(order.notional, "money")}</td>
                    <td>
                      <OrderStatusBadge status={order.status} />
                    </td>
                    <td className="nowrap">{order.fill_date ?? "—"}</td>
                    <td className="numeric mono">{order.fill_price === null ? "—" : formatNumber(order.fill_price, 2)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {orders.hasNextPage && (
            <div className="pager row">
              <button type="button" onClick={() => void orders.fetchNextPage()} disabled={orders.isFetchingNextPage}>
                {orders.isFetchingNextPage ? "Loading…" : "Load more"}
              </button>
            </div>
          )}
        </>
      )}
    </section>
  );
}

export function PaperPage() {
  const account = usePaperAccount();
  return (
    <>
      <h1>Paper trading</h1>
      {account.isPending && <Loading label="Loading the paper account…" />}
      {account.isError &&
        (isNotFound(account.error) ? (
          <div className="card wide" data-testid="paper-empty">
            <Empty>
              No paper account yet: run an autopilot cycle (<Link to="/autopilot">Autopilot</Link>).
            </Empty>
          </div>
        ) : (
          <ErrorMessage error={account.error} />
        ))}
      {account.data && (
        <div className="grid">
          <AccountSection account={account.data} />
          <EquitySection />
          <PositionsSection />
          <OrdersSection />
        </div>
      )}
    </>
  );
}
