// Overview: the dashboard's key figures, service health, where the data comes from, and
// the job queue.
import { Link } from "react-router";
import { formatKpi, overfittingGauge, overfittingLevel } from "../backtest";
import { JobStatusBadge } from "../components/Badges";
import { Empty, ErrorMessage, Loading, isUnavailable } from "../components/Feedback";
import { JOB_STATUSES, JOB_STATUS_VIEW } from "../contract";
import { formatDateTime, formatDuration, formatInteger, shortId } from "../format";
import { formatMetric } from "../research";
import { useDashboard, useDataMode, useHealth, useJobs } from "../queries";

const HEALTH_REFRESH_MS = 5_000;
const DASHBOARD_REFRESH_MS = 15_000;

function DashboardCards() {
  const dashboard = useDashboard(DASHBOARD_REFRESH_MS);
  const kpis = dashboard.data;
  return (
    <section className="card wide" aria-labelledby="dashboard-title" data-testid="dashboard">
      <h2 id="dashboard-title">Dashboard</h2>
      {dashboard.isPending && <Loading label="Loading the key figures…" />}
      {dashboard.isError && <ErrorMessage error={dashboard.error} />}
      {kpis && (
        <div className="kpi-grid">
          <div className="kpi-card" data-testid="dashboard-champion">
            <div className="kpi-label">Champion</div>
            {kpis.champion ? (
              <>
                <div className="kpi-value">
                  <Link to={`/models/${encodeURIComponent(kpis.champion.version)}`} className="mono">
                    {kpis.champion.version}
                  </Link>
                </div>
                <div className="muted small">
                  rank IC {formatMetric(kpis.champion.rank_ic)} · ICIR {formatMetric(kpis.champion.icir, 2)}
                </div>
                <div className="muted small">trained to {kpis.champion.training_end}</div>
              </>
            ) : (
              <div className="muted">
                none yet — <Link to="/models">train a model</Link>
              </div>
            )}
          </div>
          <div className="kpi-card" data-testid="dashboard-latest-backtest">
            <div className="kpi-label">Latest backtest (net)</div>
            {kpis.latest_backtest ? (
              <>
                <div className="kpi-value">
                  Sharpe <span data-testid="dashboard-latest-sharpe">{formatKpi(kpis.latest_backtest.net_sharpe, "ratio")}</span>
                </div>
                <div className="muted small">
                  CAGR {formatKpi(kpis.latest_backtest.net_cagr, "return")} · max drawdown{" "}
                  {formatKpi(kpis.latest_backtest.net_max_drawdown, "return")}
                </div>
                <div className="muted small">
                  <Link to={`/backtests/${kpis.latest_backtest.backtest_id}`} className="mono">
                    {shortId(kpis.latest_backtest.backtest_id)}
                  </Link>{" "}
                  · {formatDateTime(kpis.latest_backtest.created_at)}
                </div>
              </>
            ) : (
              <div className="muted">
                none yet — <Link to="/backtests">run a backtest</Link>
              </div>
            )}
          </div>
          <div className="kpi-card" data-testid="dashboard-data">
            <div className="kpi-label">Data freshness</div>
            <div className="kpi-value">{kpis.data.last_date ?? "—"}</div>
            <div className="muted small">
              {kpis.data.business_days_stale === null
                ? "no data yet"
                : `${formatInteger(kpis.data.business_days_stale)} business day(s) old`}
              {kpis.data.data_mode ? ` · ${kpis.data.data_mode}` : ""}
            </div>
          </div>
          <div className="kpi-card" data-testid="dashboard-jobs">
            <div className="kpi-label">Jobs</div>
            <dl className="kpi-counts">
              {JOB_STATUSES.map((status) => (
                <div key={status} data-status={status}>
                  <dt>{JOB_STATUS_VIEW[status].label}</dt>
                  <dd>{formatInteger(kpis.jobs[status])}</dd>
                </div>
              ))}
            </dl>
          </div>
          <div className="kpi-card" data-testid="dashboard-backtests-on-data">
            <div className="kpi-label">Overfitting gauge</div>
            <div className="kpi-value">{formatInteger(kpis.backtests_on_data)}</div>
            <div className={`gauge gauge-${overfittingLevel(kpis.backtests_on_data)}`}>
              {overfittingGauge(kpis.backtests_on_data)}
            </div>
          </div>
        </div>
      )}
    </section>
  );
}

function HealthCard() {
  const health = useHealth(HEALTH_REFRESH_MS);
  return (
    <section className="card" aria-labelledby="health-title">
      <h2 id="health-title">Service</h2>
      {health.isPending && <Loading />}
      {health.isError && <ErrorMessage error={health.error} />}
      {health.data && (
        <dl className="facts">
          <div>
            <dt>Status</dt>
            <dd>
              <span className={`badge health-${health.data.status}`} data-testid="health-status">
                {health.data.status}
              </span>
            </dd>
          </div>
          <div>
            <dt>Service version</dt>
            <dd>{health.data.service_version}</dd>
          </div>
          <div>
            <dt>Contract version</dt>
            <dd>{health.data.contract_version}</dd>
          </div>
          <div>
            <dt>Uptime</dt>
            <dd>{formatDuration(health.data.uptime_seconds)}</dd>
          </div>
          <div>
            <dt>Authentication</dt>
            <dd>{health.data.auth_enabled ? "required" : "off"}</dd>
          </div>
        </dl>
      )}
    </section>
  );
}

function JobCountsCard() {
  const health = useHealth(HEALTH_REFRESH_MS);
  const counts = health.data?.jobs;
  return (
    <section className="card" aria-labelledby="queue-title">
      <h2 id="queue-title">Job queue</h2>
      {counts ? (
        <dl className="facts big">
          <div>
            <dt>Running</dt>
            <dd data-testid="jobs-running">{counts.running}</dd>
          </div>
          <div>
            <dt>Queued</dt>
            <dd data-testid="jobs-queued">{counts.queued}</dd>
          </div>
          <div>
            <dt>Event streams</dt>
            <dd>{counts.event_subscribers}</dd>
          </div>
        </dl>
      ) : (
        health.isPending && <Loading />
      )}
      <p className="small muted">Updates every {HEALTH_REFRESH_MS / 1000} s.</p>
      <RecentJobs />
    </section>
  );
}

function RecentJobs() {
  const jobs = useJobs({ limit: 5 });
  if (jobs.isPending) return <Loading label="Loading jobs…" />;
  if (jobs.isError) return <ErrorMessage error={jobs.error} />;
  if (jobs.data.items.length === 0) return <Empty>No jobs yet.</Empty>;
  return (
    <ul className="plain-list">
      {jobs.data.items.map((job) => (
        <li key={job.job_id}>
          <Link to={`/jobs/${job.job_id}`} className="mono">
            {job.job_type} {shortId(job.job_id)}
          </Link>{" "}
          <JobStatusBadge status={job.status} /> <span className="muted small">{formatDateTime(job.created_at)}</span>
        </li>
      ))}
      <li>
        <Link to="/jobs">All jobs →</Link>
      </li>
    </ul>
  );
}

function DataModeCard() {
  const mode = useDataMode();
  return (
    <section className="card wide" aria-labelledby="data-title">
      <h2 id="data-title">Data</h2>
      {mode.isPending &&
        (mode.failureCount > 0 && isUnavailable(mode.failureReason) ? (
          <Loading label="The data store is importing its first data set…" />
        ) : (
          <Loading />
        ))}
      {mode.isError && <ErrorMessage error={mode.error} />}
      {mode.data && (
        <>
          <dl className="facts">
            <div>
              <dt>Mode</dt>
              <dd data-testid="data-mode">
                {mode.data.mode}
                {mode.data.synthetic ? " (synthetic sample)" : ""}
              </dd>
            </div>
            <div>
              <dt>Source</dt>
              <dd>
                <code>{mode.data.source}</code>
              </dd>
            </div>
            <div>
              <dt>Tickers</dt>
              <dd>{formatInteger(mode.data.tickers)}</dd>
            </div>
            <div>
              <dt>Date range</dt>
              <dd>
                {mode.data.first_date ?? "—"} → {mode.data.last_date ?? "—"}
              </dd>
            </div>
            <div>
              <dt>Refreshed</dt>
              <dd>{formatDateTime(mode.data.refreshed_at)}</dd>
            </div>
          </dl>
          <p className="small">
            Universe fingerprint{" "}
            <code className="fingerprint" data-testid="universe-fingerprint">
              {mode.data.universe_fingerprint}
            </code>
          </p>
          <p>
            <Link to="/data">Browse the universe →</Link>
          </p>
        </>
      )}
    </section>
  );
}

export function OverviewPage() {
  return (
    <>
      <h1>Overview</h1>
      <div className="grid">
        <DashboardCards />
        <HealthCard />
        <JobCountsCard />
        <DataModeCard />
      </div>
    </>
  );
}
