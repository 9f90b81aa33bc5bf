// Jobs as they happen: a table row and a card, both fed by the SSE hook through the query
// cache, with a cancel button while the job can still be cancelled.
import { Link } from "react-router";
import { JOB_STATUS_VIEW, type JobRecord, isTerminal } from "../contract";
import { formatDateTime, formatDuration, secondsBetween, shortId } from "../format";
import { type JobStreamState, useJobEvents } from "../hooks/useJobEvents";
import { useCancelJob, useJob } from "../queries";
import { JobStatusBadge, ProgressBar } from "./Badges";
import { ErrorMessage, Loading } from "./Feedback";
import { JobErrorBox, JobParamsSummary, JobResultSummary } from "./JobResult";

export function CancelButton({ job }: { job: JobRecord }) {
  const cancel = useCancelJob();
  if (!JOB_STATUS_VIEW[job.status].cancellable) return null;
  const pending = cancel.isPending || (job.status === "running" && job.cancel_requested);
  return (
    <span className="cancel">
      <button
        type="button"
        className="button-danger"
        onClick={() => cancel.mutate(job.job_id)}
        disabled={pending}
        aria-label={`Cancel job ${shortId(job.job_id)}`}
      >
        {pending ? "Cancelling…" : "Cancel"}
      </button>
      {cancel.isError && <ErrorMessage error={cancel.error} />}
    </span>
  );
}

/** Where the live stream stands, e.g. "live: status → progress → completed → done". */
export function StreamTrail({ stream }: { stream: JobStreamState }) {
  if (stream.phase === "idle") return null;
  const label =
    stream.phase === "done" ? "stream closed" : stream.phase === "error" ? (stream.error ?? "stream failed") : "live";
  return (
    <span
      className={`stream stream-${stream.phase}`}
      data-phase={stream.phase}
      data-last-event={stream.trail[stream.trail.length - 1] ?? ""}
      title="Server-Sent Events received for this job"
    >
      <span className="stream-dot" aria-hidden="true" /> {label}
      {stream.trail.length > 0 && `: ${stream.trail.join(" → ")}`}
    </span>
  );
}

function duration(job: JobRecord): string {
  const seconds = secondsBetween(job.started_at, job.finished_at);
  return seconds === null ? "—" : formatDuration(seconds);
}

/** One row of the jobs table; subscribes to the job's events while `live` and not terminal. */
export function LiveJobRow({ job, live }: { job: JobRecord; live: boolean }) {
  const stream = useJobEvents(job.job_id, { enabled: live && !isTerminal(job.status) });
  return (
    <tr data-job-id={job.job_id} data-status={job.status}>
      <td>
        <Link to={`/jobs/${job.job_id}`} className="mono">
          {shortId(job.job_id)}
        </Link>
      </td>
      <td>{job.job_type}</td>
      <td>
        <JobStatusBadge status={job.status} cancelRequested={job.cancel_requested} />
      </td>
      <td className="progress-cell">
        <ProgressBar value={job.progress} label={`Progress of job ${shortId(job.job_id)}`} status={job.status} />
        <div className="muted small">{job.progress_message ?? ""}</div>
        <StreamTrail stream={stream} />
      </td>
      <td>{formatDateTime(job.created_at)}</td>
      <td>{duration(job)}</td>
      <td>
        <CancelButton job={job} />
      </td>
    </tr>
  );
}

/** A job started from this page, followed live until it finishes. */
export function LiveJobCard({ jobId }: { jobId: string }) {
  const query = useJob(jobId);
  const job = query.data;
  const stream = useJobEvents(jobId, { enabled: job !== undefined && !isTerminal(job.status) });
  if (query.isPending) return <Loading label="Loading job…" />;
  if (query.isError) return <ErrorMessage error={query.error} />;
  if (!job) return null;
  return (
    <article className="job-card" data-job-id={job.job_id} data-status={job.status}>
      <header>
        <Link to={`/jobs/${job.job_id}`} className="mono">
          {job.job_type} {shortId(job.job_id)}
        </Link>
        <JobStatusBadge status={job.status} cancelRequested={job.cancel_requested} />
        <JobParamsSummary params={job.params} />
        <CancelButton job={job} />
      </header>
      <ProgressBar value={job.progress} label={`Progress of job ${shortId(job.job_id)}`} status={job.status} />
      <p className="muted small">{job.progress_message ?? "Waiting to start…"}</p>
      <StreamTrail stream={stream} />
      {job.error && <JobErrorBox error={job.error} />}
      {job.result && <JobResultSummary result={job.result} />}
    </article>
  );
}
