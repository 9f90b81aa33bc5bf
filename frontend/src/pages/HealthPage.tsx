// Health: the system's status one component at a time (refreshed every few seconds), one
// component's stored history with its trend, the champion's age, the realized IC of its
// signals, and how far the newest challenger disagrees with it.
import { useId, useMemo, useState } from "react";
import { LineStyle } from "lightweight-charts";
import { Link } from "react-router";
import { parameterBoundsOf } from "../bounds";
import { IN_SAMPLE_COLOR, OUT_OF_SAMPLE_COLOR, disagreementSeries, historyLine, icSeries } from "../chartData";
import { StatusLevelBadge } from "../components/Badges";
import { Empty, ErrorMessage, Loading, isNotFound } from "../components/Feedback";
import { type SeriesSpec, TimeChart } from "../components/TimeChart";
import {
  type DisagreementHistory,
  type HealthHistory,
  type IcHistory,
  STATUS_COMPONENT_NAMES,
  STATUS_LEVELS,
  type StatusComponent,
  type StatusComponentName,
  isOneOf,
} from "../contract";
import { formatDateTime, formatInteger } from "../format";
import {
  COMPONENT_VIEW,
  HISTORY_RANGES,
  type HistoryRange,
  STATUS_LEVEL_VIEW,
  countByStatus,
  describeThreshold,
  describeTrend,
  formatComponentValue,
  orderComponents,
} from "../health";
import {
  STATUS_REFRESH_MS,
  useDisagreement,
  useHealthHistory,
  useIcHistory,
  useModelAge,
  useQuickStatus,
} from "../queries";
import { formatMetric } from "../research";

/** Snapshots are written every few minutes (QE_HEALTH_INTERVAL_S, default 300 s). */
const HISTORY_REFRESH_MS = 60_000;
const MODEL_AGE_REFRESH_MS = 60_000;
/** Ask for as many snapshots as the contract allows, so long ranges are cut as late as possible. */
const HISTORY_LIMIT = parameterBoundsOf("getHealthHistory", "limit").maximum;
const DISAGREEMENT_ROWS = 10;

const ROLLING_RANK_IC_COLOR = "#d9822b";
const ROLLING_IC_COLOR = "#6b3fa0";
const CORRELATION_COLOR = "#1f5fbf";
const ROLLING_CORRELATION_COLOR = "#d9822b";
const OVERLAP_COLOR = "#2e9e53";
const HISTORY_LINE_COLOR = "#8e9aab";

/** The time axis of snapshots shows hours and minutes (local time, see localChartTime). */
const TIMESTAMP_AXIS = { timeScale: { timeVisible: true, secondsVisible: false } } as const;

function priceFormat(precision: number) {
  return { type: "price", precision, minMove: 10 ** -precision } as const;
}

/**
 * What went wrong with a query: its error, or the last failure while it is still being
 * retried (a 503 is retried for a while; a corrupt tracking.db says so at once).
 */
function problemOf(query: { error: unknown; failureReason: unknown; failureCount: number }): unknown {
  return query.error ?? (query.failureCount > 0 ? query.failureReason : null);
}

// ---------------------------------------------------------------- status
function ComponentCard({ component }: { component: StatusComponent }) {
  const view = COMPONENT_VIEW[component.name];
  const titleId = useId();
  return (
    <li
      className="status-card"
      data-testid="status-card"
      data-component={component.name}
      data-status={component.status}
      aria-labelledby={titleId}
    >
      <div className="row status-card-head">
        <h3 id={titleId}>{view.label}</h3>
        <StatusLevelBadge level={component.status} />
      </div>
      <div className="status-value" data-testid="status-value">
        {formatComponentValue(component.name, component.value)}
      </div>
      <div className="small muted">Threshold: {describeThreshold(component)}</div>
      <p className="small status-message">{component.message}</p>
    </li>
  );
}

function StatusSection() {
  const status = useQuickStatus();
  const problem = problemOf(status);
  const data = status.data;
  const counts = data ? countByStatus(data.components) : null;
  return (
    <section className="card wide" aria-labelledby="status-title">
      <h2 id="status-title" className="row">
        <span>Status</span>
        {status.isFetching && <span className="muted small">Updating…</span>}
      </h2>
      {status.isPending && !problem && <Loading label="Checking every component…" />}
      {problem !== null && <ErrorMessage error={problem} title="The status could not be read" />}
      {data && counts && (
        <>
          <div className="row overall-row">
            <p className={`overall light-${data.overall}`} data-testid="overall-status" data-status={data.overall}>
              <span className="light-dot" aria-hidden="true" />
              <span className="visually-hidden">Overall status: </span>
              {STATUS_LEVEL_VIEW[data.overall].label}
            </p>
            <p className="small muted">
              {STATUS_LEVELS.map((level) => `${counts[level]} ${STATUS_LEVEL_VIEW[level].label.toLowerCase()}`).join(" · ")}
              {" · "}checked {formatDateTime(data.at)} · updates every {STATUS_REFRESH_MS / 1000} s
            </p>
          </div>
          <ul className="status-grid" aria-label="Components">
            {orderComponents(data.components).map((component) => (
              <ComponentCard key={component.name} component={component} />
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

// ---------------------------------------------------------------- model age
function ModelAgeCard() {
  const age = useModelAge(MODEL_AGE_REFRESH_MS);
  const problem = problemOf(age);
  return (
    <section className="card wide" aria-labelledby="model-age-title" data-testid="model-age" data-version={age.data?.version}>
      <h2 id="model-age-title">Champion</h2>
      {age.isPending && !problem && <Loading label="Loading the champion's age…" />}
      {problem !== null &&
        (isNotFound(problem) ? (
          <Empty>
            No champion yet — <Link to="/models">train a model</Link>.
          </Empty>
        ) : (
          <ErrorMessage error={problem} />
        ))}
      {age.data && (
        <dl className="facts">
          <div>
            <dt>Version</dt>
            <dd data-testid="model-age-version">
              <Link to={`/models/${encodeURIComponent(age.data.version)}`} className="mono">
                {age.data.version}
              </Link>
            </dd>
          </div>
          <div>
            <dt>Trained</dt>
            <dd>{formatDateTime(age.data.trained_at)}</dd>
          </div>
          <div>
            <dt>Age</dt>
            <dd data-testid="model-age-days">{formatComponentValue("model_age", age.data.age_days)}</dd>
          </div>
        </dl>
      )}
    </section>
  );
}

// ---------------------------------------------------------------- history
function HistoryChart({ history }: { history: HealthHistory }) {
  const name = history.component;
  const view = COMPONENT_VIEW[name];
  const line = useMemo(() => historyLine(name, history.points), [name, history.points]);
  const series = useMemo<SeriesSpec[]>(
    () => [
      {
        kind: "line",
        data: line,
        options: {
          color: HISTORY_LINE_COLOR,
          lineWidth: 2,
          pointMarkersVisible: true,
          priceFormat: priceFormat(view.chartPrecision),
        },
      },
    ],
    [line, view.chartPrecision],
  );
  const trend = history.trend ? describeTrend(name, history.trend) : null;
  const range = `${formatDateTime(history.since)} → ${formatDateTime(history.until)}`;
  return (
    <>
      {history.truncated && (
        <p className="notice small" data-testid="history-truncated">
          More snapshots matched than one answer holds: only the newest {formatInteger(history.points.length)} are shown,
          so the chart starts later than the range.
        </p>
      )}
      {line.length === 0 ? (
        <Empty>
          {history.points.length === 0
            ? `No snapshot of ${view.label.toLowerCase()} in ${range} yet.`
            : `${formatInteger(history.points.length)} snapshot(s) in ${range}, none with a value (nothing to measure).`}
        </Empty>
      ) : (
        <figure className="chart">
          <figcaption>
            {view.label}: {view.axisLabel} · {range} ·{" "}
            <span data-testid="history-points">{formatInteger(line.length)}</span> snapshot(s) with a value{" "}
            <span className="muted small">(local time; each point coloured by its status)</span>
          </figcaption>
          <TimeChart
            series={series}
            height={260}
            label={`${view.label} from ${range}, ${line.length} snapshots`}
            options={TIMESTAMP_AXIS}
            testId="history-chart"
          />
        </figure>
      )}
      {trend ? (
        <p className={`trend trend-${trend.outlook}`} data-testid="history-trend" data-direction={trend.direction}>
          Trend <span aria-hidden="true">{trend.arrow}</span> <strong>{trend.direction}</strong> {trend.slope} (
          {trend.outlook}; flat within {trend.tolerance}; least squares over {formatInteger(history.trend?.points ?? 0)}{" "}
          points)
        </p>
      ) : (
        <p className="small muted" data-testid="history-trend" data-direction="none">
          No trend: it needs at least two snapshots with a value.
        </p>
      )}
    </>
  );
}

function HistorySection() {
  const [component, setComponent] = useState<StatusComponentName>("data_freshness");
  const [range, setRange] = useState<HistoryRange>("7d");
  const history = useHealthHistory(
    { component, range, ...(HISTORY_LIMIT !== undefined ? { limit: HISTORY_LIMIT } : {}) },
    HISTORY_REFRESH_MS,
  );
  const problem = problemOf(history);
  const componentId = useId();
  return (
    <section className="card wide" aria-labelledby="history-title">
      <h2 id="history-title">History</h2>
      <div className="row controls">
        <label htmlFor={componentId}>Component</label>
        <select
          id={componentId}
          value={component}
          onChange={(event) => isOneOf(STATUS_COMPONENT_NAMES, event.target.value) && setComponent(event.target.value)}
        >
          {STATUS_COMPONENT_NAMES.map((name) => (
            <option key={name} value={name}>
              {COMPONENT_VIEW[name].label}
            </option>
          ))}
        </select>
        <span className="button-group" role="group" aria-label="Time range">
          {HISTORY_RANGES.map((item) => (
            <button
              key={item.key}
              type="button"
              aria-pressed={range === item.key}
              className={range === item.key ? "button-primary" : undefined}
              onClick={() => setRange(item.key)}
            >
              {item.label}
            </button>
          ))}
        </span>
        {history.isFetching && <span className="muted small">Updating…</span>}
      </div>
      {history.isPending && !problem && <Loading label="Loading the snapshots…" />}
      {problem !== null && <ErrorMessage error={problem} />}
      {history.data && <HistoryChart history={history.data} />}
    </section>
  );
}

// ---------------------------------------------------------------- realized IC
function IcChart({ ic }: { ic: IcHistory }) {
  const lines = useMemo(() => icSeries(ic.points), [ic.points]);
  const series = useMemo<SeriesSpec[]>(
    () => [
      { kind: "histogram", data: lines.dailyRankIc, options: { priceFormat: priceFormat(3), title: "rank IC" } },
      {
        kind: "line",
        data: lines.rollingRankIc,
        options: { color: ROLLING_RANK_IC_COLOR, lineWidth: 2, priceFormat: priceFormat(3), title: "rolling rank IC" },
      },
      {
        kind: "line",
        data: lines.rollingIc,
        options: { color: ROLLING_IC_COLOR, lineWidth: 1, priceFormat: priceFormat(3), title: "rolling IC" },
      },
    ],
    [lines],
  );
  if (lines.dailyRankIc.length === 0 && lines.rollingRankIc.length === 0) {
    return <Empty>No scored date has a rank IC yet (it needs at least 3 names).</Empty>;
  }
  return (
    <figure className="chart">
      <figcaption data-testid="ic-caption">
        Mean IC <strong className="mono">{formatMetric(ic.mean_ic)}</strong> · mean rank IC{" "}
        <strong className="mono">{formatMetric(ic.mean_rank_ic)}</strong> ·{" "}
        <span data-testid="ic-scored-dates">{formatInteger(ic.scored_dates)}</span> scored out-of-sample date(s)
        {lines.inSample > 0 && <> · {formatInteger(lines.inSample)} in-sample</>}
        <span className="legend">
          <span className="swatch" style={{ background: OUT_OF_SAMPLE_COLOR }} /> daily rank IC, out of sample
          <span className="swatch" style={{ background: IN_SAMPLE_COLOR }} /> in sample (trained on)
          <span className="swatch" style={{ background: ROLLING_RANK_IC_COLOR }} /> rolling rank IC
          <span className="swatch" style={{ background: ROLLING_IC_COLOR }} /> rolling IC
        </span>
      </figcaption>
      <TimeChart
        series={series}
        height={280}
        label={`Daily rank IC of ${ic.version}, horizon ${ic.horizon}, with its ${ic.window}-date rolling mean`}
        testId="ic-chart"
      />
      <p className="small muted">
        The rolling means are over the last {ic.window} out-of-sample dates; in-sample dates are left out of them and
        of the means.
      </p>
    </figure>
  );
}

function IcSection() {
  const ic = useIcHistory();
  const problem = problemOf(ic);
  return (
    <section className="card wide" aria-labelledby="ic-title" data-testid="ic-section">
      <h2 id="ic-title" className="row">
        <span>Realized IC of the champion</span>
        {ic.data && (
          <span className="small muted">
            <span className="mono">{ic.data.version}</span>, horizon {ic.data.horizon} trading day
            {ic.data.horizon === 1 ? "" : "s"}
          </span>
        )}
      </h2>
      {ic.isPending && !problem && <Loading label="Loading the IC history…" />}
      {problem !== null &&
        (isNotFound(problem) ? (
          <Empty>No champion yet, so no signals to score.</Empty>
        ) : (
          <ErrorMessage error={problem} title="The IC history could not be read" />
        ))}
      {ic.data &&
        (ic.data.points.length === 0 ? (
          <div data-testid="ic-empty">
            <Empty>
              No matured signal dates yet: a signal set is scored once the data holds the open {ic.data.horizon + 1}{" "}
              trading days after its date.
            </Empty>
          </div>
        ) : (
          <IcChart ic={ic.data} />
        ))}
    </section>
  );
}

// ---------------------------------------------------------------- disagreement
function DisagreementView({ history }: { history: DisagreementHistory }) {
  const lines = useMemo(() => disagreementSeries(history.points), [history.points]);
  const series = useMemo<SeriesSpec[]>(
    () => [
      {
        kind: "line",
        data: lines.rankCorrelation,
        options: { color: CORRELATION_COLOR, lineWidth: 1, priceFormat: priceFormat(3), title: "rank correlation" },
      },
      {
        kind: "line",
        data: lines.rollingRankCorrelation,
        options: { color: ROLLING_CORRELATION_COLOR, lineWidth: 2, priceFormat: priceFormat(3), title: "rolling" },
      },
      {
        kind: "line",
        data: lines.topOverlap,
        options: { color: OVERLAP_COLOR, lineWidth: 1, lineStyle: LineStyle.Dashed, priceFormat: priceFormat(3), title: "top overlap" },
      },
    ],
    [lines],
  );
  const latest = [...history.points].sort((a, b) => (a.date < b.date ? 1 : -1)).slice(0, DISAGREEMENT_ROWS);
  return (
    <>
      <figure className="chart">
        <figcaption>
          <span className="mono">{history.champion}</span> (champion) vs <span className="mono">{history.challenger}</span>{" "}
          (challenger), horizon {history.horizon} · {formatInteger(history.points.length)} common date(s)
          <span className="legend">
            <span className="swatch" style={{ background: CORRELATION_COLOR }} /> rank correlation
            <span className="swatch" style={{ background: ROLLING_CORRELATION_COLOR }} /> its {history.window}-date mean
            <span className="swatch" style={{ background: OVERLAP_COLOR }} /> top-N overlap
          </span>
        </figcaption>
        <TimeChart
          series={series}
          height={220}
          label={`Rank correlation and top overlap of ${history.champion} and ${history.challenger} per date`}
          testId="disagreement-chart"
        />
      </figure>
      <table className="table compact" data-testid="disagreement-table">
        <caption className="small muted">The latest {latest.length} date(s), newest first</caption>
        <thead>
          <tr>
            <th scope="col">Date</th>
            <th scope="col" className="numeric">
              Rank correlation
            </th>
            <th scope="col" className="numeric">
              Rolling mean
            </th>
            <th scope="col" className="numeric">
              Top overlap
            </th>
            <th scope="col" className="numeric">
              Names
            </th>
          </tr>
        </thead>
        <tbody>
          {latest.map((point) => (
            <tr key={point.date} data-date={point.date}>
              <td className="nowrap">{point.date}</td>
              <td className="numeric mono">{formatMetric(point.rank_correlation, 3)}</td>
              <td className="numeric mono">{formatMetric(point.rolling_rank_correlation, 3)}</td>
              <td className="numeric mono">
                {Math.round(point.top_overlap * point.top_n)} of {point.top_n}
              </td>
              <td className="numeric mono">{formatInteger(point.names)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function DisagreementSection() {
  const disagreement = useDisagreement();
  const problem = problemOf(disagreement);
  return (
    <section className="card wide" aria-labelledby="disagreement-title" data-testid="disagreement-section">
      <h2 id="disagreement-title">Champion vs challenger</h2>
      {disagreement.isPending && !problem && <Loading label="Loading the disagreement…" />}
      {problem !== null &&
        (isNotFound(problem) ? (
          <div data-testid="disagreement-empty">
            <Empty>No challenger to compare with the champion yet.</Empty>
          </div>
        ) : (
          <ErrorMessage error={problem} title="The disagreement could not be read" />
        ))}
      {disagreement.data &&
        (disagreement.data.points.length === 0 ? (
          <div data-testid="disagreement-empty">
            <Empty>No date on which both versions have signals yet.</Empty>
          </div>
        ) : (
          <DisagreementView history={disagreement.data} />
        ))}
    </section>
  );
}

export function HealthPage() {
  return (
    <>
      <h1>Health</h1>
      <div className="grid">
        <StatusSection />
        <ModelAgeCard />
        <HistorySection />
        <IcSection />
        <DisagreementSection />
      </div>
    </>
  );
}
