// Overview: service health, where the data comes from, and the job queue.
import { Link } from "react-router";
import { JobStatusBadge } from "../components/Badges";
import { Empty, ErrorMessage, Loading, isUnavailable } from "../components/Feedback";
import { formatDateTime, formatDuration, formatInteger, shortId } from "../format";
import { useDataMode, useHealth, useJobs } from "../queries";

const HEALTH_REFRESH_MS = 5_000;

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
        <HealthCard />
        <JobCountsCard />
        <DataModeCard />
      </div>
    </>
  );
}
