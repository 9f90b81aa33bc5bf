// One A/B test: a card per arm, each arm's cumulative figure on one lightweight-charts chart,
// the arm 0 vs arm 1 statistics (with the overlapping-horizon caveat), and the assignment of
// every ticker to an arm, filterable.
import { useMemo, useState } from "react";
import { Link, useParams } from "react-router";
import { assignmentRows, countPerArm, cumulativeSeries, formatPValue } from "../abtest";
import { formatKpi } from "../backtest";
import { AbTestStatusBadge } from "../components/Badges";
import { Empty, ErrorMessage, Loading } from "../components/Feedback";
import { type SeriesSpec, TimeChart } from "../components/TimeChart";
import type { AbArmResult, AbStatistics, AbTestDetail } from "../contract";
import { formatDateTime, formatInteger, formatNumber, formatPercent, shortId } from "../format";
import { formatMetric } from "../research";
import { useAbTest } from "../queries";
import { StopAbTestButton } from "./AbTestsPage";

const ARM_COLORS = ["#1f5fbf", "#d9822b", "#26a269", "#8e44ad", "#c0392b", "#16a2b8", "#7f8c8d", "#b7950b", "#e84393", "#2c3e50"];
const PERCENT_FORMAT = {
  type: "custom",
  minMove: 0.01,
  formatter: (value: number) => `${value.toFixed(2)}%`,
} as const;

function armColor(index: number): string {
  return ARM_COLORS[index % ARM_COLORS.length] ?? "#1f5fbf";
}

function armDates(arm: AbArmResult): string {
  if (arm.days.length === 0) return "no dates yet";
  const dates = arm.days.map((day) => day.date).sort();
  return `${dates[0]} → ${dates[dates.length - 1]} (${formatInteger(dates.length)})`;
}

function ArmCards({ arms }: { arms: AbArmResult[] }) {
  return (
    <div className="kpi-grid" data-testid="arm-cards">
      {arms.map((arm) => (
        <div key={arm.index} className="kpi-card" data-testid={`arm-card-${arm.index}`}>
          <div className="kpi-label">
            <span className="swatch" style={{ background: armColor(arm.index) }} /> Arm {arm.index}:{" "}
            <Link to={`/models/${encodeURIComponent(arm.version)}`} className="mono">
              {arm.version}
            </Link>
          </div>
          <dl className="facts">
            <div>
              <dt>Weight</dt>
              <dd>{formatPercent(arm.weight, 1)}</dd>
            </div>
            <div>
              <dt>Tickers assigned</dt>
              <dd>{formatInteger(arm.tickers)}</dd>
            </div>
            <div>
              <dt>Dates</dt>
              <dd>{armDates(arm)}</dd>
            </div>
            <div>
              <dt>Mean daily figure</dt>
              <dd className="mono">{formatKpi(arm.mean_return, "return")}</dd>
            </div>
            <div>
              <dt>Cumulative</dt>
              <dd className="mono" data-testid={`arm-cumulative-${arm.index}`}>
                {formatKpi(arm.cumulative_return, "return")}
              </dd>
            </div>
            <div>
              <dt>Mean rank IC</dt>
              <dd className="mono">{formatMetric(arm.mean_rank_ic, 4)}</dd>
            </div>
          </dl>
        </div>
      ))}
    </div>
  );
}

function CumulativeChart({ arms }: { arms: AbArmResult[] }) {
  const series = useMemo<SeriesSpec[]>(
    () =>
      arms.map((arm) => ({
        kind: "line",
        data: cumulativeSeries(arm.days),
        options: {
          color: armColor(arm.index),
          lineWidth: 2,
          title: `arm ${arm.index}`,
          priceFormat: PERCENT_FORMAT,
        },
      })),
    [arms],
  );
  if (arms.every((arm) => arm.days.length === 0)) {
    return <Empty>No arm has a scored date yet: each needs stored signals of its version and realized returns.</Empty>;
  }
  return (
    <figure className="chart">
      <figcaption>
        Cumulative figure, product of (1 + daily figure) − 1{" "}
        <span className="legend">
          {arms.map((arm) => (
            <span key={arm.index}>
              <span className="swatch" style={{ background: armColor(arm.index) }} /> arm {arm.index} ({arm.version}){" "}
            </span>
          ))}
        </span>
      </figcaption>
      <TimeChart
        series={series}
        height={320}
        label={`Cumulative figure of ${arms.length} arms`}
        testId="abtest-chart"
      />
    </figure>
  );
}

function StatisticsCard({ statistics, arms }: { statistics: AbStatistics; arms: AbArmResult[] }) {
  const first = arms[0]?.version ?? "arm 0";
  const second = arms[1]?.version ?? "arm 1";
  const missing = statistics.welch_t === null && statistics.mann_whitney_u === null;
  return (
    <section className="card" aria-labelledby="abtest-statistics-title" data-testid="abtest-statistics">
      <h2 id="abtest-statistics-title">
        Arm 0 ({first}) vs arm 1 ({second})
      </h2>
      <dl className="facts">
        <div>
          <dt>Common dates</dt>
          <dd data-testid="statistics-dates">{formatInteger(statistics.dates)}</dd>
        </div>
        <div>
          <dt>Welch t</dt>
          <dd className="mono">
            {formatMetric(statistics.welch_t, 3)} · p {formatPValue(statistics.welch_p)}
          </dd>
        </div>
        <div>
          <dt>Mann–Whitney U</dt>
          <dd className="mono">
            {statistics.mann_whitney_u === null ? "—" : formatNumber(statistics.mann_whitney_u, 1)} · p{" "}
            {formatPValue(statistics.mann_whitney_p)}
          </dd>
        </div>
        <div>
          <dt>Mean difference (0 − 1)</dt>
          <dd className="mono">{formatKpi(statistics.mean_difference, "return")}</dd>
        </div>
      </dl>
      {missing && (
        <p className="small muted" data-testid="statistics-missing">
          The tests need at least two common dates.
        </p>
      )}
      <p className="small muted">
        Caveat: with a horizon above one day the daily figures' forward windows overlap, so consecutive dates are not
        independent and these p-values are optimistic.
      </p>
    </section>
  );
}

function AssignmentTable({ assignments, arms }: { assignments: Record<string, number>; arms: AbArmResult[] }) {
  const [filter, setFilter] = useState("");
  const all = useMemo(() => assignmentRows(assignments), [assignments]);
  const rows = useMemo(() => assignmentRows(assignments, filter), [assignments, filter]);
  const armCount = Math.max(arms.length, ...all.map((row) => row.arm + 1));
  const totals = useMemo(() => countPerArm(all, armCount), [all, armCount]);
  const shown = useMemo(() => countPerArm(rows, armCount), [rows, armCount]);
  const versionOf = (index: number) => arms.find((arm) => arm.index === index)?.version ?? "";
  return (
    <section className="card wide" aria-labelledby="assignment-title">
      <h2 id="assignment-title" className="row">
        <span>Assignment</span>
        <span className="small muted">{formatInteger(all.length)} tickers</span>
      </h2>
      <div className="row">
        <label>
          Filter tickers{" "}
          <input
            type="search"
            name="assignment-filter"
            value={filter}
            onChange={(event) => setFilter(event.target.value)}
            placeholder="AAPL"
          />
        </label>
      </div>
      <ul className="small" data-testid="arm-counts">
        {totals.map((total, index) => (
          <li key={index} data-arm={index}>
            <span className="swatch" style={{ background: armColor(index) }} /> arm {index}{" "}
            <span className="mono">{versionOf(index)}</span>: {formatInteger(shown[index] ?? 0)}
            {filter.trim() ? ` of ${formatInteger(total)}` : ""} ticker(s)
          </li>
        ))}
      </ul>
      {rows.length === 0 ? (
        <Empty>{all.length === 0 ? "The stored universe is empty." : "No ticker matches the filter."}</Empty>
      ) : (
        <div className="table-scroll">
          <table className="table compact" data-testid="assignment-table">
            <thead>
              <tr>
                <th scope="col">Ticker</th>
                <th scope="col">Arm</th>
                <th scope="col">Version</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.ticker} data-ticker={row.ticker} data-arm={row.arm}>
                  <td className="mono">
                    <Link to={`/data/${encodeURIComponent(row.ticker)}`}>{row.ticker}</Link>
                  </td>
                  <td>{row.arm}</td>
                  <td className="mono">{versionOf(row.arm)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function Overview({ detail }: { detail: AbTestDetail }) {
  const test = detail.test;
  return (
    <section className="card wide" aria-labelledby="abtest-overview-title">
      <h2 id="abtest-overview-title" className="row">
        <span>{test.name}</span>
        <AbTestStatusBadge status={test.status} />
        {test.status === "running" && <StopAbTestButton test={test} />}
      </h2>
      <dl className="facts">
        <div>
          <dt>Created</dt>
          <dd>{formatDateTime(test.created_at)}</dd>
        </div>
        <div>
          <dt>Stopped</dt>
          <dd>{formatDateTime(test.stopped_at)}</dd>
        </div>
        <div>
          <dt>Horizon</dt>
          <dd>{test.horizon} d</dd>
        </div>
        <div>
          <dt>Top N</dt>
          <dd>{test.top_n}</dd>
        </div>
        <div>
          <dt>Salt</dt>
          <dd className="mono">{test.salt}</dd>
        </div>
      </dl>
      <ArmCards arms={detail.arms} />
    </section>
  );
}

export function AbTestDetailPage() {
  const { testId = "" } = useParams();
  const detail = useAbTest(testId);
  return (
    <>
      <p className="breadcrumb">
        <Link to="/ab-tests">A/B tests</Link> / {shortId(testId)}
      </p>
      <h1>A/B test {detail.data ? detail.data.test.name : shortId(testId)}</h1>
      {detail.isPending && <Loading />}
      {detail.isError && <ErrorMessage error={detail.error} />}
      {detail.data && (
        <div className="grid" data-test-id={detail.data.test.test_id}>
          <Overview detail={detail.data} />
          <section className="card wide" aria-labelledby="abtest-chart-title">
            <h2 id="abtest-chart-title">Cumulative figure per arm</h2>
            <CumulativeChart arms={detail.data.arms} />
          </section>
          <StatisticsCard statistics={detail.data.statistics} arms={detail.data.arms} />
          <AssignmentTable assignments={detail.data.assignments} arms={detail.data.arms} />
        </div>
      )}
    </>
  );
}
