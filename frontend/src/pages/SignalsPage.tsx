// Signals: score the universe with a model version as a `predict` job followed live, then
// the ranked signal set it stored (and the tickers it could not score, with reasons).
// The set shown is named by the URL (?version&horizon&as_of), so it can be linked to.
import { type FormEvent, useEffect, useId, useState } from "react";
import { Link, useSearchParams } from "react-router";
import { ApiError } from "../api";
import { Empty, ErrorMessage, Loading } from "../components/Feedback";
import { LiveJobCard } from "../components/JobLive";
import { FailedTickersTable } from "../components/JobResult";
import { boundsOf, boundsProblem } from "../bounds";
import type { ModelSummary, SignalSet, SignalsRequest } from "../contract";
import { formatDateTime, formatInteger } from "../format";
import { formatSignedPercent, parseTickers } from "../research";
import { type SignalFilter, useGenerateSignals, useJob, useModels, useSignals } from "../queries";

const CHAMPION = "champion";
/** Rows shown before "Show all": the top of the ranking is what a reader scans. */
const TOP_ROWS = 50;

function filterFromParams(params: URLSearchParams): SignalFilter {
  const filter: SignalFilter = {};
  const version = params.get("version");
  const horizon = params.get("horizon");
  const asOf = params.get("as_of");
  if (version) filter.version = version;
  if (horizon && Number.isInteger(Number(horizon))) filter.horizon = Number(horizon);
  if (asOf) filter.as_of = asOf;
  return filter;
}

function GenerateForm({ onStarted }: { onStarted: (jobId: string) => void }) {
  const models = useModels({ limit: 100 });
  const generate = useGenerateSignals();
  const [version, setVersion] = useState(CHAMPION);
  const [horizon, setHorizon] = useState("");
  const [asOf, setAsOf] = useState("");
  const [tickers, setTickers] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const versionId = useId();
  const horizonId = useId();
  const asOfId = useId();
  const tickersId = useId();

  const page = models.data;
  const chosen: ModelSummary | undefined = page?.items.find(
    (item) => item.version === (version === CHAMPION ? page.champion : version),
  );
  const horizons = chosen?.horizons ?? [];

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const request: SignalsRequest = { version };
    if (horizon !== "") {
      const value = Number(horizon);
      const outOfBounds = boundsProblem(value, boundsOf("SignalsRequest", "horizon"));
      if (outOfBounds) return setProblem(`Horizon ${outOfBounds}`);
      request.horizon = value;
    }
    if (asOf) request.as_of = asOf;
    const list = parseTickers(tickers);
    if (list.length > 0) request.tickers = list;
    setProblem(null);
    generate.mutate(request, { onSuccess: (job) => onStarted(job.job_id) });
  };

  return (
    <section className="card wide" aria-labelledby="generate-title">
      <h2 id="generate-title">Generate signals</h2>
      <p className="small muted">
        Starts a <code>predict</code> job: features at the as-of date for every ticker (or those listed), scored by
        the version's model of the horizon, ranked. Tickers that cannot be scored are listed with a reason.
      </p>
      <form onSubmit={submit} noValidate aria-label="Generate signals" data-testid="signals-form">
        <div className="form-grid">
          <div className="field">
            <label htmlFor={versionId}>Model version</label>
            <select
              id={versionId}
              value={version}
              onChange={(event) => {
                setVersion(event.target.value);
                setHorizon("");
              }}
            >
              <option value={CHAMPION}>champion{page?.champion ? ` (${page.champion})` : ""}</option>
              {page?.items.map((item) => (
                <option key={item.version} value={item.version}>
                  {item.version} ({item.role})
                </option>
              ))}
            </select>
            <small className="muted">
              {models.isPending ? "Loading versions…" : page && !page.champion ? "No champion yet: train a model first." : ""}
            </small>
          </div>
          <div className="field">
            <label htmlFor={horizonId}>Horizon</label>
            <select id={horizonId} value={horizon} onChange={(event) => setHorizon(event.target.value)}>
              <option value="">{horizons.length > 0 ? `first (${horizons[0]})` : "the version's first"}</option>
              {horizons.map((value) => (
                <option key={value} value={value}>
                  {value} days
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor={asOfId}>As of</label>
            <input id={asOfId} type="date" value={asOf} onChange={(event) => setAsOf(event.target.value)} />
            <small className="muted">optional; default the last stored date</small>
          </div>
          <div className="field">
            <label htmlFor={tickersId}>Tickers</label>
            <input
              id={tickersId}
              value={tickers}
              onChange={(event) => setTickers(event.target.value)}
              placeholder="AAPL, MSFT"
            />
            <small className="muted">optional, comma-separated; default the whole universe</small>
          </div>
        </div>
        <button type="submit" className="button-primary" disabled={generate.isPending}>
          {generate.isPending ? "Starting…" : "Generate signals"}
        </button>
        {problem && (
          <p className="field-error" role="alert">
            {problem}
          </p>
        )}
      </form>
      {models.isError && <ErrorMessage error={models.error} title="Could not list the versions" />}
      {generate.isError && <ErrorMessage error={generate.error} title="Could not start the job" />}
    </section>
  );
}

/** Follows the started job; once it succeeds, points the URL at the set it generated. */
function SignalJob({ jobId, show }: { jobId: string; show: (filter: SignalFilter) => void }) {
  const job = useJob(jobId);
  const result = job.data?.status === "succeeded" ? job.data.result : null;
  const target = result && "scored" in result ? result : null;
  const key = target ? `${target.version}|${target.horizon}|${target.as_of}` : null;
  useEffect(() => {
    if (target) show({ version: target.version, horizon: target.horizon, as_of: target.as_of });
  }, [key]); // `key` names the target; `show` is a fresh closure each render
  return (
    <section className="card wide" aria-label="Signal job" data-testid="signals-job">
      <LiveJobCard jobId={jobId} />
    </section>
  );
}

function SignalTable({ set }: { set: SignalSet }) {
  const [showAll, setShowAll] = useState(false);
  const rows = showAll ? set.signals : set.signals.slice(0, TOP_ROWS);
  return (
    <>
      <dl className="facts">
        <div>
          <dt>Version</dt>
          <dd>
            <Link to={`/models/${encodeURIComponent(set.version)}`} className="mono">
              {set.version}
            </Link>
          </dd>
        </div>
        <div>
          <dt>Horizon</dt>
          <dd>{set.horizon} days</dd>
        </div>
        <div>
          <dt>As of</dt>
          <dd>{set.as_of}</dd>
        </div>
        <div>
          <dt>Generated</dt>
          <dd>{formatDateTime(set.generated_at)}</dd>
        </div>
        <div>
          <dt>Scored / failed</dt>
          <dd>
            {formatInteger(set.signals.length)} / {formatInteger(set.failed_tickers.length)}
          </dd>
        </div>
      </dl>
      {set.in_sample && (
        <div className="notice" data-testid="in-sample-notice" role="note">
          In sample: version {set.version} was trained on this date&apos;s forward return (its training
          window ends after {set.as_of} + {set.horizon} trading days), so these scores say nothing about its
          skill.
        </div>
      )}
      {set.signals.length === 0 ? (
        <Empty>No ticker could be scored.</Empty>
      ) : (
        <table className="table compact signals" data-testid="signals-table">
          <caption className="small muted">
            Ranked by predicted forward return over {set.horizon} trading days (open to open); 1 = highest score.
          </caption>
          <thead>
            <tr>
              <th scope="col" className="numeric">
                Rank
              </th>
              <th scope="col">Ticker</th>
              <th scope="col" className="numeric">
                Score
              </th>
              <th scope="col" className="numeric">
                Percentile
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.ticker} data-ticker={row.ticker} data-rank={row.rank}>
                <td className="numeric">{row.rank}</td>
                <td>
                  <Link to={`/data/${encodeURIComponent(row.ticker)}`} className="mono">
                    {row.ticker}
                  </Link>
                </td>
                <td className={`numeric mono ${row.score >= 0 ? "up" : "down"}`}>{formatSignedPercent(row.score)}</td>
                <td className="numeric mono">{(row.percentile * 100).toFixed(1)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {set.signals.length > TOP_ROWS && (
        <p className="row small">
          <span className="muted">
            Showing {rows.length} of {formatInteger(set.signals.length)} scored tickers.
          </span>
          <button type="button" onClick={() => setShowAll((value) => !value)}>
            {showAll ? `Show the top ${TOP_ROWS}` : `Show all ${formatInteger(set.signals.length)}`}
          </button>
        </p>
      )}
      {set.failed_tickers.length > 0 && (
        <FailedTickersTable
          items={set.failed_tickers}
          caption={`${set.failed_tickers.length} ticker(s) could not be scored`}
        />
      )}
    </>
  );
}

function SignalSetView({ filter }: { filter: SignalFilter }) {
  const signals = useSignals(filter, true);
  const named = filter.version || filter.horizon !== undefined || filter.as_of;
  return (
    <section className="card wide" aria-labelledby="signals-title">
      <h2 id="signals-title" className="row">
        <span>Signals</span>
        {!named && <span className="small muted">the champion's newest set</span>}
        {signals.isFetching && <span className="muted small">Updating…</span>}
      </h2>
      {signals.isPending && <Loading label="Loading signals…" />}
      {signals.isError &&
        (signals.error instanceof ApiError && signals.error.code === "NOT_FOUND" ? (
          <Empty>No signals were generated for this {named ? "version, horizon and date" : "champion"} yet.</Empty>
        ) : (
          <ErrorMessage error={signals.error} />
        ))}
      {signals.data && <SignalTable set={signals.data} />}
    </section>
  );
}

export function SignalsPage() {
  const [params, setParams] = useSearchParams();
  const [jobId, setJobId] = useState<string | null>(null);
  const filter = filterFromParams(params);
  const show = (shown: SignalFilter) =>
    setParams({
      ...(shown.version ? { version: shown.version } : {}),
      ...(shown.horizon !== undefined ? { horizon: String(shown.horizon) } : {}),
      ...(shown.as_of ? { as_of: shown.as_of } : {}),
    });
  return (
    <>
      <h1>Signals</h1>
      <div className="grid">
        <GenerateForm onStarted={setJobId} />
        {jobId && <SignalJob key={jobId} jobId={jobId} show={show} />}
        <SignalSetView filter={filter} />
      </div>
    </>
  );
}
