// Data: the universe (filter by quality, sort, cursor paging), the last import's quality
// summary, and the admin refresh that starts a job and follows it live.
import { useId, useState } from "react";
import { Link } from "react-router";
import { QualityBadge } from "../components/Badges";
import { Empty, ErrorMessage, Loading, isUnavailable } from "../components/Feedback";
import { LiveJobCard } from "../components/JobLive";
import { QUALITY_STATUSES, QUARANTINE_REASONS, type QualityStatus, type UniverseEntry, isOneOf } from "../contract";
import { formatInteger, humanize } from "../format";
import { useQuality, useRefreshData, useUniverse } from "../queries";

const PAGE_SIZES = [25, 50, 100, 500, 1000] as const;
/** Jobs followed live in the refresh panel; each holds one of the browser's ~6 connections. */
const MAX_PANEL_JOBS = 4;

type SortKey = Exclude<keyof UniverseEntry, "sector">;
type Sort = { key: SortKey; descending: boolean };

const COLUMNS: { key: SortKey; label: string; numeric?: boolean }[] = [
  { key: "ticker", label: "Ticker" },
  { key: "kind", label: "Kind" },
  { key: "first_date", label: "First date" },
  { key: "last_date", label: "Last date" },
  { key: "rows", label: "Rows", numeric: true },
  { key: "quality_status", label: "Quality" },
];

function sortEntries(entries: UniverseEntry[], sort: Sort): UniverseEntry[] {
  const sign = sort.descending ? -1 : 1;
  return [...entries].sort((a, b) => {
    const left = a[sort.key];
    const right = b[sort.key];
    const order = typeof left === "number" && typeof right === "number" ? left - right : String(left).localeCompare(String(right));
    return order === 0 ? a.ticker.localeCompare(b.ticker) : sign * order;
  });
}

function RefreshPanel() {
  const refresh = useRefreshData();
  const [force, setForce] = useState(false);
  const [started, setStarted] = useState<string[]>([]);
  const forceId = useId();

  const start = () =>
    refresh.mutate(force, { onSuccess: (job) => setStarted((ids) => [job.job_id, ...ids]) });

  return (
    <section className="card wide" aria-labelledby="refresh-title">
      <h2 id="refresh-title">Refresh data</h2>
      <p className="small muted">
        Re-imports the data source as a job (needs scope <code>admin</code> when authentication is on). Unchanged
        files are skipped unless “force” is checked.
      </p>
      <div className="row">
        <button type="button" className="button-primary" onClick={start} disabled={refresh.isPending}>
          {refresh.isPending ? "Starting…" : "Refresh data"}
        </button>
        <input id={forceId} type="checkbox" checked={force} onChange={(event) => setForce(event.target.checked)} />
        <label htmlFor={forceId}>force (re-import unchanged files)</label>
      </div>
      {refresh.isError && <ErrorMessage error={refresh.error} title="Could not start the refresh" />}
      {started.length > 0 && (
        <div className="job-cards" aria-live="polite" data-testid="refresh-jobs">
          {started.slice(0, MAX_PANEL_JOBS).map((jobId) => (
            <LiveJobCard key={jobId} jobId={jobId} />
          ))}
          {started.length > MAX_PANEL_JOBS && (
            <p className="small muted">
              {started.length - MAX_PANEL_JOBS} earlier job(s) started here are on the <Link to="/jobs">Jobs page</Link>.
            </p>
          )}
        </div>
      )}
    </section>
  );
}

function QualitySummary() {
  const quality = useQuality(undefined);
  if (quality.isPending) return <Loading label="Loading the quality report…" />;
  if (quality.isError) return isUnavailable(quality.error) ? null : <ErrorMessage error={quality.error} />;
  const summary = quality.data.summary;
  const reasons = QUARANTINE_REASONS.filter((reason) => summary.quarantined[reason] > 0);
  return (
    <section className="card wide" aria-labelledby="quality-title">
      <h2 id="quality-title">Quality of the last import</h2>
      <dl className="facts">
        <div>
          <dt>Sources</dt>
          <dd>{formatInteger(summary.sources)}</dd>
        </div>
        <div>
          <dt>OK</dt>
          <dd>{formatInteger(summary.ok)}</dd>
        </div>
        <div>
          <dt>With warnings</dt>
          <dd>{formatInteger(summary.warnings)}</dd>
        </div>
        <div>
          <dt>Failed</dt>
          <dd>{formatInteger(summary.failed)}</dd>
        </div>
        <div>
          <dt>Rows stored / read</dt>
          <dd>
            {formatInteger(summary.rows_stored)} / {formatInteger(summary.rows_read)}
          </dd>
        </div>
        <div>
          <dt>Quarantined</dt>
          <dd>
            {formatInteger(summary.rows_quarantined)}
            {reasons.length > 0 && (
              <span className="small muted">
                {" "}
                ({reasons.map((reason) => `${humanize(reason)} ${summary.quarantined[reason]}`).join(", ")})
              </span>
            )}
          </dd>
        </div>
      </dl>
    </section>
  );
}

function UniverseTable() {
  const [status, setStatus] = useState<QualityStatus | undefined>(undefined);
  const [limit, setLimit] = useState<number>(50);
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]); // cursor of each visited page
  const [sort, setSort] = useState<Sort>({ key: "ticker", descending: false });
  const cursor = cursors[cursors.length - 1];
  const universe = useUniverse({ limit, ...(status ? { status } : {}), ...(cursor ? { cursor } : {}) });
  const statusId = useId();
  const limitId = useId();

  const resetPaging = () => setCursors([undefined]);
  const toggleSort = (key: SortKey) =>
    setSort((current) => ({ key, descending: current.key === key ? !current.descending : false }));

  const page = universe.data;
  const pageNumber = cursors.length;
  const pageCount = page ? Math.max(1, Math.ceil(page.total / limit)) : 1;

  return (
    <section className="card wide" aria-labelledby="universe-title">
      <h2 id="universe-title">Universe</h2>
      <div className="row controls">
        <label htmlFor={statusId}>Quality</label>
        <select
          id={statusId}
          value={status ?? ""}
          onChange={(event) => {
            const value = event.target.value;
            setStatus(isOneOf(QUALITY_STATUSES, value) ? value : undefined);
            resetPaging();
          }}
        >
          <option value="">All</option>
          {QUALITY_STATUSES.map((value) => (
            <option key={value} value={value}>
              {humanize(value)}
            </option>
          ))}
        </select>
        <label htmlFor={limitId}>Page size</label>
        <select
          id={limitId}
          value={limit}
          onChange={(event) => {
            setLimit(Number(event.target.value));
            resetPaging();
          }}
        >
          {PAGE_SIZES.map((size) => (
            <option key={size} value={size}>
              {size}
            </option>
          ))}
        </select>
        {universe.isFetching && <span className="muted small">Updating…</span>}
      </div>
      {universe.isPending &&
        (universe.failureCount > 0 && isUnavailable(universe.failureReason) ? (
          <Loading label="The data store is importing its first data set…" />
        ) : (
          <Loading label="Loading the universe…" />
        ))}
      {universe.isError && <ErrorMessage error={universe.error} />}
      {page && page.items.length === 0 && <Empty>No tickers match this filter.</Empty>}
      {page && page.items.length > 0 && (
        <>
          <table className="table" data-testid="universe-table">
            <caption className="small muted">
              {formatInteger(page.total)} tickers{status ? ` with status “${status}”` : ""}; click a column to sort
              this page.
            </caption>
            <thead>
              <tr>
                {COLUMNS.map((column) => {
                  const active = sort.key === column.key;
                  return (
                    <th
                      key={column.key}
                      scope="col"
                      className={column.numeric ? "numeric" : undefined}
                      aria-sort={active ? (sort.descending ? "descending" : "ascending") : "none"}
                    >
                      <button type="button" className="sort" onClick={() => toggleSort(column.key)}>
                        {column.label}
                        <span aria-hidden="true">{active ? (sort.descending ? " ▼" : " ▲") : " ⇅"}</span>
                      </button>
                    </th>
                  );
                })}
              </tr>
            </thead>
            <tbody>
              {sortEntries(page.items, sort).map((entry) => (
                <tr key={entry.ticker}>
                  <td>
                    <Link to={`/data/${encodeURIComponent(entry.ticker)}`} className="mono">
                      {entry.ticker}
                    </Link>
                  </td>
                  <td>{entry.kind}</td>
                  <td>{entry.first_date}</td>
                  <td>{entry.last_date}</td>
                  <td className="numeric">{formatInteger(entry.rows)}</td>
                  <td>
                    <QualityBadge status={entry.quality_status} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <nav className="pager row" aria-label="Universe pages">
            <button type="button" onClick={() => setCursors((list) => list.slice(0, -1))} disabled={cursors.length <= 1}>
              ← Previous
            </button>
            <span>
              Page {pageNumber} of {pageCount}
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

export function DataPage() {
  return (
    <>
      <h1>Data</h1>
      <div className="grid">
        <RefreshPanel />
        <QualitySummary />
        <UniverseTable />
      </div>
    </>
  );
}
