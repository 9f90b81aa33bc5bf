// One job: status, progress message, parameters, result or error, live while it runs.
import { Link, useParams } from "react-router";
import { JobStatusBadge, ProgressBar } from "../components/Badges";
import { ErrorMessage, Loading } from "../components/Feedback";
import { CancelButton, StreamTrail } from "../components/JobLive";
import { JobErrorBox, JobResultSummary } from "../components/JobResult";
import { isTerminal } from "../contract";
import { formatDateTime, formatDuration, secondsBetween } from "../format";
import { useJobEvents } from "../hooks/useJobEvents";
import { useJob } from "../queries";

export function JobDetailPage() {
  const { jobId = "" } = useParams();
  const query = useJob(jobId);
  const job = query.data;
  const stream = useJobEvents(jobId, { enabled: job !== undefined && !isTerminal(job.status) });
  const ranFor = job ? secondsBetween(job.started_at, job.finished_at) : null;

  return (
    <>
      <p className="breadcrumb">
        <Link to="/jobs">Jobs</Link> / <span className="mono">{jobId}</span>
      </p>
      <h1>Job</h1>
      {query.isPending && <Loading />}
      {query.isError && <ErrorMessage error={query.error} />}
      {job && (
        <div className="grid">
          <section className="card wide" data-job-id={job.job_id} data-status={job.status} aria-labelledby="job-title">
            <h2 id="job-title" className="row">
              <span>{job.job_type}</span>
              <JobStatusBadge status={job.status} cancelRequested={job.cancel_requested} />
              <CancelButton job={job} />
            </h2>
            <ProgressBar value={job.progress} label="Job progress" status={job.status} />
            <p data-testid="progress-message">{job.progress_message ?? "No progress reported yet."}</p>
            <StreamTrail stream={stream} />
            <dl className="facts">
              <div>
                <dt>Job id</dt>
                <dd className="mono">{job.job_id}</dd>
              </div>
              <div>
                <dt>Created</dt>
                <dd>{formatDateTime(job.created_at)}</dd>
              </div>
              <div>
                <dt>Started</dt>
                <dd>{formatDateTime(job.started_at)}</dd>
              </div>
              <div>
                <dt>Finished</dt>
                <dd>{formatDateTime(job.finished_at)}</dd>
              </div>
              <div>
                <dt>Ran for</dt>
                <dd>{ranFor === null ? "—" : formatDuration(ranFor)}</dd>
              </div>
              <div>
                <dt>Owner</dt>
                <dd>{job.owner ?? "—"}</dd>
              </div>
              <div>
                <dt>Cancel requested</dt>
                <dd>{job.cancel_requested ? "yes" : "no"}</dd>
              </div>
            </dl>
            <h3>Parameters</h3>
            <pre className="code-block">{JSON.stringify(job.params, null, 2)}</pre>
          </section>
          {job.error && (
            <section className="card wide" aria-labelledby="job-error-title">
              <h2 id="job-error-title">Error</h2>
              <JobErrorBox error={job.error} />
            </section>
          )}
          {job.result && (
            <section className="card wide" aria-labelledby="job-result-title">
              <h2 id="job-result-title">Result</h2>
              <JobResultSummary result={job.result} />
            </section>
          )}
        </div>
      )}
    </>
  );
}
