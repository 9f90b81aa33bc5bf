// One backtest: KPI cards gross vs net with the overfitting gauge beside the Sharpe, the
// benchmark comparison, warnings, every metric, equity (net, gross, benchmark) and drawdown
// charts on lightweight-charts, and the trades in cursor pages.
import { useMemo, useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import {
  BENCHMARK_FIGURES,
  KPI_CARDS,
  PERFORMANCE_METRICS,
  describeVersions,
  formatKpi,
  metricInfo,
  overfittingGauge,
  overfittingLevel,
} from "../backtest";
import { equityLines } from "../chartData";
import { Empty, ErrorMessage, Loading } from "../components/Feedback";
import { type SeriesSpec, TimeChart } from "../components/TimeChart";
import { type BacktestEquity, type BacktestSummary, EXIT_REASON_VIEW } from "../contract";
import { formatDateTime, formatInteger, formatNumber, shortId } from "../format";
import { useBacktest, useBacktestEquity, useBacktestTrades, useDeleteBacktest } from "../queries";

const TRADES_PAGE_SIZE = 50;
const NET_COLOR = "#1f5fbf";
const GROSS_COLOR = "#8e9aab";
const BENCHMARK_COLOR = "#d9822b";
const DRAWDOWN_COLOR = "#c0392b";
const MONEY_FORMAT = { type: "price", precision: 0, minMove: 1 } as const;

function KpiCards({ summary }: { summary: BacktestSummary }) {
  const level = overfittingLevel(summary.backtests_on_data);
  return (
    <div className="kpi-grid" data-testid="kpi-cards">
      {KPI_CARDS.map((key) => {
        const info = metricInfo(key);
        return (
          <div key={key} className="kpi-card" data-testid={`kpi-${key}`}>
            <div className="kpi-label">{info.label}</div>
            <div className="kpi-value" data-testid={`kpi-${key}-net`}>
              {formatKpi(summary.net[key], info.kind)} <span className="kpi-tag">net</span>
            </div>
            <div className="kpi-gross muted">gross {formatKpi(summary.gross[key], info.kind)}</div>
            {key === "sharpe" && (
              <div
                className={`gauge gauge-${level}`}
                data-testid="overfitting-gauge"
                data-count={summary.backtests_on_data}
                title="The more backtests are run on the same data, the likelier the best one is luck."
              >
                {overfittingGauge(summary.backtests_on_data)}
              </div>
            )}
          </div>
        );
      })}
    </div>
  );
}

function BenchmarkCard({ summary }: { summary: BacktestSummary }) {
  const benchmark = summary.benchmark;
  return (
    <section className="card" aria-labelledby="benchmark-title" data-testid="benchmark-comparison">
      <h2 id="benchmark-title">Against the benchmark {benchmark.name}</h2>
      <dl className="facts">
        {BENCHMARK_FIGURES.map((figure) => (
          <div key={figure.key}>
            <dt>{figure.label}</dt>
            <dd className="mono">{formatKpi(benchmark[figure.key], figure.kind)}</dd>
          </div>
        ))}
      </dl>
      <p className="small muted">Alpha, beta, information ratio and tracking error use the net daily returns.</p>
    </section>
  );
}

function MetricsTable({ summary }: { summary: BacktestSummary }) {
  return (
    <section className="card" aria-labelledby="performance-title">
      <h2 id="performance-title">Every metric</h2>
      <table className="table compact" data-testid="performance-table">
        <caption className="small muted">
          Daily simple returns, 252 days a year, risk-free 0, sample standard deviation (empyrical's conventions).
        </caption>
        <thead>
          <tr>
            <th scope="col">Metric</th>
            <th scope="col" className="numeric">
              Gross
            </th>
            <th scope="col" className="numeric">
              Net
            </th>
          </tr>
        </thead>
        <tbody>
          {PERFORMANCE_METRICS.map((metric) => (
            <tr key={metric.key} data-metric={metric.key}>
              <th scope="row">{metric.label}</th>
              <td className="numeric mono">{formatKpi(summary.gross[metric.key], metric.kind)}</td>
              <td className="numeric mono">{formatKpi(summary.net[metric.key], metric.kind)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function EquityCharts({ equity, benchmarkName }: { equity: BacktestEquity; benchmarkName: string }) {
  const lines = useMemo(() => equityLines(equity.points), [equity]);
  const equitySeries = useMemo<SeriesSpec[]>(
    () => [
      { kind: "line", data: lines.benchmark, options: { color: BENCHMARK_COLOR, lineWidth: 1, title: benchmarkName, priceFormat: MONEY_FORMAT } },
      { kind: "line", data: lines.gross, options: { color: GROSS_COLOR, lineWidth: 1, title: "gross", priceFormat: MONEY_FORMAT } },
      { kind: "line", data: lines.net, options: { color: NET_COLOR, lineWidth: 2, title: "net", priceFormat: MONEY_FORMAT } },
    ],
    [lines, benchmarkName],
  );
  const drawdownSeries = useMemo<SeriesSpec[]>(
    () => [
      {
        kind: "area",
        data: lines.drawdown,
        options: {
          lineColor: DRAWDOWN_COLOR,
          topColor: "rgba(192, 57, 43, 0.05)",
          bottomColor: "rgba(192, 57, 43, 0.35)",
          lineWidth: 1,
          invertFilledArea: true,
          priceFormat: { type: "custom", minMove: 0.01, formatter: (value: number) => `${value.toFixed(1)}%` },
        },
      },
    ],
    [lines],
  );
  if (equity.points.length === 0) return <Empty>The backtest has no equity points.</Empty>;
  const first = equity.points[0]?.date ?? "";
  const last = equity.points[equity.points.length - 1]?.date ?? "";
  return (
    <>
      <figure className="chart">
        <figcaption>
          Equity, {first} → {last} · <span data-testid="equity-points">{equity.points.length}</span> days{" "}
          <span className="legend">
            <span className="swatch" style={{ background: NET_COLOR }} /> net
            <span className="swatch" style={{ background: GROSS_COLOR }} /> gross
            <span className="swatch" style={{ background: BENCHMARK_COLOR }} /> {benchmarkName}
          </span>
        </figcaption>
        <TimeChart
          series={equitySeries}
          height={360}
          label={`Net, gross and ${benchmarkName} equity from ${first} to ${last}`}
          testId="equity-chart"
        />
      </figure>
      <figure className="chart">
        <figcaption>Net drawdown below the running peak</figcaption>
        <TimeChart
          series={drawdownSeries}
          height={180}
          label={`Net drawdown from ${first} to ${last}`}
          testId="drawdown-chart"
        />
      </figure>
    </>
  );
}

function TradesTable({ backtestId }: { backtestId: string }) {
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const trades = useBacktestTrades(backtestId, { limit: TRADES_PAGE_SIZE, ...(cursor ? { cursor } : {}) });
  const page = trades.data;
  const offset = (cursors.length - 1) * TRADES_PAGE_SIZE;
  return (
    <section className="card wide" aria-labelledby="trades-title">
      <h2 id="trades-title" className="row">
        <span>Trades</span>
        {page && <span className="small muted">{formatInteger(page.total)} in all, in entry order</span>}
        {trades.isFetching && <span className="muted small">Updating…</span>}
      </h2>
      {trades.isPending && <Loading label="Loading trades…" />}
      {trades.isError && <ErrorMessage error={trades.error} />}
      {page && page.items.length === 0 && <Empty>The backtest made no trade.</Empty>}
      {page && page.items.length > 0 && (
        <>
          <div className="table-scroll">
            <table className="table compact" data-testid="trades-table">
              <thead>
                <tr>
                  <th scope="col">Ticker</th>
                  <th scope="col">Entry</th>
                  <th scope="col" className="numeric">
                    Entry price
                  </th>
                  <th scope="col">Exit</th>
                  <th scope="col" className="numeric">
                    Exit price
                  </th>
                  <th scope="col" className="numeric">
                    Shares
                  </th>
                  <th scope="col" className="numeric">
                    Gross P&amp;L
                  </th>
                  <th scope="col" className="numeric">
                    Costs
                  </th>
                  <th scope="col" className="numeric">
                    Net P&amp;L
                  </th>
                  <th scope="col" className="numeric">
                    Return
                  </th>
                  <th scope="col">Exit reason</th>
                </tr>
              </thead>
              <tbody>
                {page.items.map((trade, index) => (
                  <tr key={`${offset + index}`} data-ticker={trade.ticker} data-exit-reason={trade.exit_reason}>
                    <td className="mono">
                      <Link to={`/data/${encodeURIComponent(trade.ticker)}?start=${trade.entry_date}&end=${trade.exit_date}`}>
                        {trade.ticker}
                      </Link>
                    </td>
                    <td className="nowrap">{trade.entry_date}</td>
                    <td className="numeric mono">{formatNumber(trade.entry_price, 2)}</td>
                    <td className="nowrap">{trade.exit_date}</td>
                    <td className="numeric mono">{formatNumber(trade.exit_price, 2)}</td>
                    <td className="numeric mono">{formatNumber(trade.shares, 2)}</td>
                    <td className="numeric mono">{formatNumber(trade.gross_pnl, 2)}</td>
                    <td className="numeric mono">{formatNumber(trade.costs, 2)}</td>
                    <td className={`numeric mono ${trade.net_pnl >= 0 ? "up" : "down"}`}>{formatNumber(trade.net_pnl, 2)}</td>
                    <td className="numeric mono">{formatKpi(trade.return, "return")}</td>
                    <td>{EXIT_REASON_VIEW[trade.exit_reason].label}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <nav className="pager row" aria-label="Trade pages">
            <button type="button" onClick={() => setCursors((list) => list.slice(0, -1))} disabled={cursors.length <= 1}>
              ← Previous
            </button>
            <span data-testid="trades-range">
              {formatInteger(offset + 1)}–{formatInteger(offset + page.items.length)} of {formatInteger(page.total)}
            </span>
            <button
              type="button"
              onClick={() => page.next_cursor && setCursors((list) => [...list, page.next_cursor ?? undefined])}
              disabled={!page.next_cursor}
            >
              Next →
            </button>
          </nav>
        </>
      )}
    </section>
  );
}

function DeleteButton({ backtestId }: { backtestId: string }) {
  const remove = useDeleteBacktest();
  const navigate = useNavigate();
  return (
    <span className="cancel">
      <button
        type="button"
        className="button-danger"
        disabled={remove.isPending}
        onClick={() => {
          if (window.confirm(`Delete backtest ${shortId(backtestId)} and its artifacts?`)) {
            remove.mutate(backtestId, { onSuccess: () => void navigate("/backtests") });
          }
        }}
      >
        {remove.isPending ? "Deleting…" : "Delete"}
      </button>
      {remove.isError && <ErrorMessage error={remove.error} title="Could not delete" />}
    </span>
  );
}

function Overview({ summary }: { summary: BacktestSummary }) {
  const request = summary.request;
  return (
    <section className="card wide" aria-labelledby="backtest-overview-title">
      <h2 id="backtest-overview-title" className="row">
        <span>Result</span>
        <DeleteButton backtestId={summary.backtest_id} />
      </h2>
      <dl className="facts">
        <div>
          <dt>Window</dt>
          <dd data-testid="backtest-window">
            {summary.window_start} → {summary.window_end}
          </dd>
        </div>
        <div>
          <dt>Version</dt>
          <dd title={summary.versions.join(", ")}>{describeVersions(summary.versions)}</dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>{formatDateTime(summary.created_at)}</dd>
        </div>
        <div>
          <dt>Rules</dt>
          <dd>
            horizon {request.horizon} · hold {request.holding_period} d · ≤ {request.max_positions} positions · enter at ≥{" "}
            {formatKpi(request.entry_threshold, "return")} · {formatKpi(request.position_size, "share")} each
          </dd>
        </div>
        <div>
          <dt>Costs</dt>
          <dd>
            {request.commission_bps} bps commission · {request.slippage_bps} bps slippage
          </dd>
        </div>
        <div>
          <dt>Risk management</dt>
          <dd>
            {request.risk_management
              ? `stop-loss ${formatKpi(request.risk.stop_loss, "share")} · brake at ${formatKpi(request.risk.drawdown_brake, "share")}`
              : "off"}
          </dd>
        </div>
        <div>
          <dt>Universe</dt>
          <dd>
            {request.tickers ? `${request.tickers.length} ticker(s)` : request.full_universe ? "full" : "top 100 liquid"} ·{" "}
            {request.survivorship ? "point-in-time" : "survivorship-biased"} · {request.feature_mode}
          </dd>
        </div>
        <div>
          <dt>Initial capital</dt>
          <dd>{formatKpi(request.initial_capital, "money")}</dd>
        </div>
        <div>
          <dt>Engine</dt>
          <dd>{summary.engine_version}</dd>
        </div>
      </dl>
      <p className="small">
        Universe fingerprint <code className="fingerprint">{summary.universe_fingerprint}</code>
      </p>
      {summary.warnings.length > 0 && (
        <div className="notice" role="status" data-testid="backtest-warnings">
          <strong>Warnings</strong>
          <ul className="small warnings">
            {summary.warnings.map((warning) => (
              <li key={warning}>{warning}</li>
            ))}
          </ul>
        </div>
      )}
      <KpiCards summary={summary} />
    </section>
  );
}

function EquitySection({ backtestId, benchmarkName }: { backtestId: string; benchmarkName: string }) {
  const equity = useBacktestEquity(backtestId);
  return (
    <section className="card wide" aria-labelledby="equity-title">
      <h2 id="equity-title">Equity and drawdown</h2>
      {equity.isPending && <Loading label="Loading the equity curve…" />}
      {equity.isError && <ErrorMessage error={equity.error} />}
      {equity.data && <EquityCharts equity={equity.data} benchmarkName={benchmarkName} />}
    </section>
  );
}

export function BacktestDetailPage() {
  const { backtestId = "" } = useParams();
  const summary = useBacktest(backtestId);
  return (
    <>
      <p className="breadcrumb">
        <Link to="/backtests">Backtests</Link> / {shortId(backtestId)}
      </p>
      <h1>Backtest {shortId(backtestId)}</h1>
      {summary.isPending && <Loading />}
      {summary.isError && <ErrorMessage error={summary.error} />}
      {summary.data && (
        <div className="grid" data-backtest-id={summary.data.backtest_id}>
          <Overview summary={summary.data} />
          <EquitySection backtestId={backtestId} benchmarkName={summary.data.benchmark.name} />
          <BenchmarkCard summary={summary.data} />
          <MetricsTable summary={summary.data} />
          <TradesTable backtestId={backtestId} />
        </div>
      )}
    </>
  );
}
