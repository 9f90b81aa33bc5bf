// Jobs: newest first, with live status and progress (SSE) for the ones not yet finished.
import { useId, useState } from "react";
import { Empty, ErrorMessage, Loading } from "../components/Feedback";
import { LiveJobRow } from "../components/JobLive";
import { JOB_STATUSES, JOB_STATUS_VIEW, JOB_TYPES, type JobRecord, type JobStatus, type JobType, isOneOf, isTerminal } from "../contract";
import { humanize } from "../format";
import { useJobs } from "../queries";

const PAGE_SIZE = 25;
/**
 * Browsers allow about six HTTP/1.1 connections per host, and each event stream holds one
 * open; subscribe to at most this many jobs at once (the oldest unfinished ones, which are
 * the next to change), leaving connections for ordinary requests.
 */
const MAX_LIVE_STREAMS = 4;

function liveJobIds(jobs: JobRecord[]): Set<string> {
  const unfinished = jobs.filter((job) => !isTerminal(job.status));
  return new Set(unfinished.slice(-MAX_LIVE_STREAMS).map((job) => job.job_id));
}

export function JobsPage() {
  const [status, setStatus] = useState<JobStatus | undefined>(undefined);
  const [jobType, setJobType] = useState<JobType | undefined>(undefined);
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const jobs = useJobs({
    limit: PAGE_SIZE,
    ...(status ? { status } : {}),
    ...(jobType ? { job_type: jobType } : {}),
    ...(cursor ? { cursor } : {}),
  });
  const statusId = useId();
  const typeId = useId();
  const page = jobs.data;
  const live = page ? liveJobIds(page.items) : new Set<string>();

  return (
    <>
      <h1>Jobs</h1>
      <section className="card wide" aria-labelledby="jobs-title">
        <h2 id="jobs-title" className="visually-hidden">
          Job list
        </h2>
        <div className="row controls">
          <label htmlFor={statusId}>Status</label>
          <select
            id={statusId}
            value={status ?? ""}
            onChange={(event) => {
              setStatus(isOneOf(JOB_STATUSES, event.target.value) ? event.target.value : undefined);
              setCursors([undefined]);
            }}
          >
            <option value="">All</option>
            {JOB_STATUSES.map((value) => (
              <option key={value} value={value}>
                {JOB_STATUS_VIEW[value].label}
              </option>
            ))}
          </select>
          <label htmlFor={typeId}>Type</label>
          <select
            id={typeId}
            value={jobType ?? ""}
            onChange={(event) => {
              setJobType(isOneOf(JOB_TYPES, event.target.value) ? event.target.value : undefined);
              setCursors([undefined]);
            }}
          >
            <option value="">All</option>
            {JOB_TYPES.map((value) => (
              <option key={value} value={value}>
                {humanize(value)}
              </option>
            ))}
          </select>
          <button type="button" onClick={() => void jobs.refetch()} disabled={jobs.isFetching}>
            {jobs.isFetching ? "Reloading…" : "Reload"}
          </button>
        </div>
        {jobs.isPending && <Loading label="Loading jobs…" />}
        {jobs.isError && <ErrorMessage error={jobs.error} />}
        {page && page.items.length === 0 && <Empty>No jobs{status || jobType ? " match these filters" : " yet"}.</Empty>}
        {page && page.items.length > 0 && (
          <table className="table" data-testid="jobs-table">
            <thead>
              <tr>
                <th scope="col">Job</th>
                <th scope="col">Type</th>
                <th scope="col">Status</th>
                <th scope="col">Progress</th>
                <th scope="col">Created</th>
                <th scope="col">Ran for</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {page.items.map((job) => (
                <LiveJobRow key={job.job_id} job={job} live={live.has(job.job_id)} />
              ))}
            </tbody>
          </table>
        )}
        {page && (cursors.length > 1 || page.next_cursor) && (
          <nav className="pager row" aria-label="Job pages">
            <button type="button" onClick={() => setCursors((list) => list.slice(0, -1))} disabled={cursors.length <= 1}>
              ← Newer
            </button>
            <span>Page {cursors.length}</span>
            <button
              type="button"
              onClick={() => page.next_cursor && setCursors((list) => [...list, page.next_cursor ?? undefined])}
              disabled={!page.next_cursor}
            >
              Older →
            </button>
          </nav>
        )}
      </section>
    </>
  );
}
