// Logs: recent server records, newest first, filtered by minimum level.
import { useId, useState } from "react";
import { LogLevelBadge } from "../components/Badges";
import { Empty, ErrorMessage, Loading } from "../components/Feedback";
import { LOG_LEVEL_FILTERS, type LogLevelFilter, isOneOf } from "../contract";
import { formatDateTime, humanize } from "../format";
import { useLogs } from "../queries";

const LIMITS = [50, 100, 200, 500, 1000] as const;

export function LogsPage() {
  const [level, setLevel] = useState<LogLevelFilter>("info");
  const [limit, setLimit] = useState<number>(100);
  const logs = useLogs({ level, limit });
  const levelId = useId();
  const limitId = useId();

  return (
    <>
      <h1>Logs</h1>
      <section className="card wide" aria-labelledby="logs-title">
        <h2 id="logs-title" className="visually-hidden">
          Log records
        </h2>
        <div className="row controls">
          <label htmlFor={levelId}>Minimum level</label>
          <select
            id={levelId}
            value={level}
            onChange={(event) => isOneOf(LOG_LEVEL_FILTERS, event.target.value) && setLevel(event.target.value)}
          >
            {LOG_LEVEL_FILTERS.map((value) => (
              <option key={value} value={value}>
                {humanize(value)}
              </option>
            ))}
          </select>
          <label htmlFor={limitId}>Show</label>
          <select id={limitId} value={limit} onChange={(event) => setLimit(Number(event.target.value))}>
            {LIMITS.map((value) => (
              <option key={value} value={value}>
                {value}
              </option>
            ))}
          </select>
          <button type="button" onClick={() => void logs.refetch()} disabled={logs.isFetching}>
            {logs.isFetching ? "Reloading…" : "Reload"}
          </button>
          {logs.data && (
            <span className="muted small">
              {logs.data.records.length} records (buffer holds {logs.data.buffer_size})
            </span>
          )}
        </div>
        {logs.isPending && <Loading label="Loading logs…" />}
        {logs.isError && <ErrorMessage error={logs.error} />}
        {logs.data && logs.data.records.length === 0 && <Empty>No records at this level.</Empty>}
        {logs.data && logs.data.records.length > 0 && (
          <table className="table logs" data-testid="logs-table">
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Level</th>
                <th scope="col">Logger</th>
                <th scope="col">Message</th>
                <th scope="col">Request</th>
              </tr>
            </thead>
            <tbody>
              {logs.data.records.map((record, index) => (
                <tr key={`${record.timestamp}-${index}`} className={`log-${record.level}`}>
                  <td className="nowrap">{formatDateTime(record.timestamp)}</td>
                  <td>
                    <LogLevelBadge level={record.level} />
                  </td>
                  <td className="mono small">{record.logger}</td>
                  <td className="message">{record.message}</td>
                  <td className="mono small" title={record.request_id ?? undefined}>
                    {record.request_id ? record.request_id.slice(0, 8) : "—"}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}
