// Backtests: run one as a job (every BacktestRequest field, defaults and bounds from the
// contract) followed live over SSE, and the stored backtests, newest first.
import { type FormEvent, useId, useState } from "react";
import { Link } from "react-router";
import { describeVersions, formatKpi } from "../backtest";
import {
  BACKTEST_INTEGER_FIELDS,
  BACKTEST_NUMBER_FIELDS,
  type BacktestDraft,
  type BacktestNumberField,
  CHAMPION,
  LIGHTGBM_LABELS,
  type LightGBMField,
  RISK_FIELDS,
  type RiskField,
  WALK_FORWARD,
  WALK_FORWARD_FIELDS,
  type WalkForwardField,
  initialBacktestDraft,
  readBacktestDraft,
} from "../backtestDraft";
import { arrayBoundsOf, boundsOf } from "../bounds";
import { Empty, ErrorMessage, Loading } from "../components/Feedback";
import { LiveJobCard } from "../components/JobLive";
import { CheckField } from "../components/CheckField";
import { NumberField } from "../components/NumberField";
import { FEATURE_MODES, LIGHTGBM_FIELDS, isOneOf } from "../contract";
import { formatDateTime, shortId } from "../format";
import { useBacktests, useModels, useRunBacktest } from "../queries";
import type { Problems } from "./pricing/shared";

/** Jobs followed live in the panel; each holds one of the browser's ~6 connections. */
const MAX_PANEL_JOBS = 3;
const PAGE_SIZE = 20;

function BacktestForm({ onStarted }: { onStarted: (jobId: string) => void }) {
  const run = useRunBacktest();
  const models = useModels({ limit: 100 });
  const [draft, setDraft] = useState<BacktestDraft>(initialBacktestDraft);
  const [problems, setProblems] = useState<Problems>({});
  const versionId = useId();
  const tickersId = useId();
  const modeId = useId();
  const endId = useId();
  const benchmarkId = useId();
  const tickerBounds = arrayBoundsOf("BacktestRequest", "tickers");
  const page = models.data;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const { request, problems: found } = readBacktestDraft(draft);
    setProblems(found);
    if (!request) return;
    run.mutate(request, { onSuccess: (job) => onStarted(job.job_id) });
  };
  const setNumber = (field: BacktestNumberField, value: string) =>
    setDraft((d) => ({ ...d, numbers: { ...d.numbers, [field]: value } }));
  const setWalkForward = (field: WalkForwardField, value: string) =>
    setDraft((d) => ({ ...d, walkForward: { ...d.walkForward, [field]: value } }));
  const setLightGBM = (field: LightGBMField, value: string) =>
    setDraft((d) => ({ ...d, lightgbm: { ...d.lightgbm, [field]: value } }));
  const setRisk = (field: RiskField, value: string) => setDraft((d) => ({ ...d, risk: { ...d.risk, [field]: value } }));
  const hasProblems = Object.keys(problems).length > 0;
  const step = (field: string) => (BACKTEST_INTEGER_FIELDS.has(field) ? "1" : "any");

  return (
    <section className="card wide" aria-labelledby="backtest-form-title">
      <h2 id="backtest-form-title">Run a backtest</h2>
      <p className="small muted">
        Starts a <code>backtest</code> job (scope <code>admin</code> when authentication is on). Signals at the close of
        day t fill at the open of t+1 with slippage and commission; a model is only used out of sample.{" "}
        <code>walk_forward</code> retrains before every block, so the whole window is out of sample.
      </p>
      <form onSubmit={submit} noValidate aria-label="Run a backtest" data-testid="backtest-form">
        <div className="form-grid">
          <div className="field">
            <label htmlFor={versionId}>Model version</label>
            <select
              id={versionId}
              name="version"
              value={draft.version}
              onChange={(event) => {
                const version = event.target.value;
                setDraft((d) => ({ ...d, version }));
              }}
            >
              <option value={WALK_FORWARD}>walk_forward</option>
              <option value={CHAMPION}>champion{page?.champion ? ` (${page.champion})` : ""}</option>
              {page?.items.map((item) => (
                <option key={item.version} value={item.version}>
                  {item.version} ({item.role}, trained to {item.training_end})
                </option>
              ))}
            </select>
            <small className="muted">
              {models.isPending
                ? "Loading versions…"
                : draft.version === WALK_FORWARD
                  ? "the model configuration below is trained on the data before each block"
                  : "used only on dates after its training end"}
            </small>
          </div>
          <div className="field">
            <label htmlFor={modeId}>Feature mode</label>
            <select
              id={modeId}
              name="feature_mode"
              value={draft.featureMode}
              onChange={(event) => {
                const value = event.target.value;
                if (isOneOf(FEATURE_MODES, value)) setDraft((d) => ({ ...d, featureMode: value }));
              }}
            >
              {FEATURE_MODES.map((mode) => (
                <option key={mode} value={mode}>
                  {mode}
                </option>
              ))}
            </select>
            <small className="muted">must match the version's</small>
          </div>
          <div className="field">
            <label htmlFor={endId}>End date</label>
            <input
              id={endId}
              name="end"
              type="date"
              value={draft.end}
              onChange={(event) => setDraft((d) => ({ ...d, end: event.target.value }))}
            />
            <small className="muted">optional; default the last stored date</small>
          </div>
          <div className={`field ${problems.tickers ? "field-invalid" : ""}`}>
            <label htmlFor={tickersId}>Tickers</label>
            <input
              id={tickersId}
              name="tickers"
              value={draft.tickers}
              onChange={(event) => setDraft((d) => ({ ...d, tickers: event.target.value }))}
              placeholder="AAPL, MSFT"
              aria-invalid={problems.tickers ? true : undefined}
            />
            <small className="muted">
              optional, comma-separated{tickerBounds.maxItems !== undefined ? ` (at most ${tickerBounds.maxItems})` : ""};
              default the universe
            </small>
            <small className="field-error" role={problems.tickers ? "alert" : undefined}>
              {problems.tickers ?? ""}
            </small>
          </div>
          <div className="field">
            <label htmlFor={benchmarkId}>Benchmark</label>
            <input
              id={benchmarkId}
              name="benchmark"
              value={draft.benchmark}
              onChange={(event) => setDraft((d) => ({ ...d, benchmark: event.target.value }))}
              placeholder="SP500"
            />
            <small className="muted">a stored ticker or index series</small>
          </div>
          {BACKTEST_NUMBER_FIELDS.map((item) => (
            <NumberField
              key={item.field}
              name={item.field}
              label={item.label}
              value={draft.numbers[item.field]}
              onChange={(value) => setNumber(item.field, value)}
              bounds={boundsOf("BacktestRequest", item.field)}
              error={problems[item.field] ?? null}
              step={step(item.field)}
              {...("hint" in item ? { hint: item.hint } : {})}
            />
          ))}
          <div className="field">
            <span className="field-label">Universe and risk</span>
            <CheckField
              label="Survivorship-free (point-in-time)"
              checked={draft.survivorship}
              onChange={(checked) => setDraft((d) => ({ ...d, survivorship: checked }))}
            />
            <CheckField
              label="Full universe (not only the 100 most liquid)"
              checked={draft.fullUniverse}
              onChange={(checked) => setDraft((d) => ({ ...d, fullUniverse: checked }))}
            />
            <CheckField
              label="Risk management (stop-loss, drawdown brake)"
              checked={draft.riskManagement}
              onChange={(checked) => setDraft((d) => ({ ...d, riskManagement: checked }))}
            />
          </div>
        </div>
        {draft.riskManagement && (
          <fieldset className="subform" data-testid="risk-fields">
            <legend>Risk management</legend>
            <div className="form-grid">
              {RISK_FIELDS.map((item) => (
                <NumberField
                  key={item.field}
                  name={`risk.${item.field}`}
                  label={item.label}
                  hint={item.hint}
                  value={draft.risk[item.field]}
                  onChange={(value) => setRisk(item.field, value)}
                  bounds={boundsOf("RiskSettings", item.field)}
                  error={problems[`risk.${item.field}`] ?? null}
                />
              ))}
            </div>
          </fieldset>
        )}
        {draft.version === WALK_FORWARD && (
          <fieldset className="subform" data-testid="walk-forward-fields">
            <legend>Walk-forward retraining</legend>
            <div className="form-grid">
              {WALK_FORWARD_FIELDS.map((item) => (
                <NumberField
                  key={item.field}
                  name={`walk_forward.${item.field}`}
                  label={item.label}
                  value={draft.walkForward[item.field]}
                  onChange={(value) => setWalkForward(item.field, value)}
                  bounds={boundsOf("WalkForwardSettings", item.field)}
                  error={problems[`walk_forward.${item.field}`] ?? null}
                  step={step(item.field)}
                />
              ))}
              {LIGHTGBM_FIELDS.map((field) => (
                <NumberField
                  key={field}
                  name={`walk_forward.lightgbm.${field}`}
                  label={LIGHTGBM_LABELS[field]}
                  value={draft.lightgbm[field]}
                  onChange={(value) => setLightGBM(field, value)}
                  bounds={boundsOf("LightGBMParams", field)}
                  error={problems[`walk_forward.lightgbm.${field}`] ?? null}
                  step={step(field)}
                />
              ))}
            </div>
          </fieldset>
        )}
        <div className="row">
          <button type="submit" className="button-primary" disabled={run.isPending}>
            {run.isPending ? "Starting…" : "Run backtest"}
          </button>
          <button
            type="button"
            onClick={() => {
              setDraft(initialBacktestDraft());
              setProblems({});
            }}
          >
            Reset to the contract's defaults
          </button>
        </div>
        {hasProblems && (
          <p className="field-error" role="alert">
            Fix the highlighted fields; nothing was sent.
          </p>
        )}
      </form>
      {models.isError && <ErrorMessage error={models.error} title="Could not list the versions" />}
      {run.isError && <ErrorMessage error={run.error} title="Could not start the backtest" />}
    </section>
  );
}

function BacktestsTable() {
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const backtests = useBacktests({ limit: PAGE_SIZE, ...(cursor ? { cursor } : {}) });
  const page = backtests.data;
  return (
    <section className="card wide" aria-labelledby="backtests-title">
      <h2 id="backtests-title" className="row">
        <span>Stored backtests</span>
        {backtests.isFetching && <span className="muted small">Updating…</span>}
      </h2>
      {backtests.isPending && <Loading label="Loading backtests…" />}
      {backtests.isError && <ErrorMessage error={backtests.error} />}
      {page && page.items.length === 0 && <Empty>No backtest has been run yet.</Empty>}
      {page && page.items.length > 0 && (
        <>
          <table className="table" data-testid="backtests-table">
            <caption className="small muted">Newest first; returns and ratios are net of costs.</caption>
            <thead>
              <tr>
                <th scope="col">Backtest</th>
                <th scope="col">Created</th>
                <th scope="col">Version</th>
                <th scope="col">Window</th>
                <th scope="col" className="numeric">
                  Total return
                </th>
                <th scope="col" className="numeric">
                  CAGR
                </th>
                <th scope="col" className="numeric">
                  Sharpe
                </th>
                <th scope="col" className="numeric">
                  Max drawdown
                </th>
                <th scope="col" className="numeric">
                  Trades
                </th>
                <th scope="col" className="numeric" title="Backtests run on this data so far">
                  Runs on data
                </th>
              </tr>
            </thead>
            <tbody>
              {page.items.map((item) => (
                <tr key={item.backtest_id} data-backtest-id={item.backtest_id}>
                  <td>
                    <Link to={`/backtests/${item.backtest_id}`} className="mono">
                      {shortId(item.backtest_id)}
                    </Link>
                  </td>
                  <td>{formatDateTime(item.created_at)}</td>
                  <td>{describeVersions(item.versions)}</td>
                  <td className="nowrap">
                    {item.window_start} → {item.window_end}
                  </td>
                  <td className="numeric mono">{formatKpi(item.net.total_return, "return")}</td>
                  <td className="numeric mono">{formatKpi(item.net.cagr, "return")}</td>
                  <td className="numeric mono">{formatKpi(item.net.sharpe, "ratio")}</td>
                  <td className="numeric mono">{formatKpi(item.net.max_drawdown, "return")}</td>
                  <td className="numeric">{formatKpi(item.net.trades, "count")}</td>
                  <td className="numeric">{formatKpi(item.backtests_on_data, "count")}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {(cursors.length > 1 || page.next_cursor) && (
            <nav className="pager row" aria-label="Backtest pages">
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
        </>
      )}
    </section>
  );
}

export function BacktestsPage() {
  const [started, setStarted] = useState<string[]>([]);
  return (
    <>
      <h1>Backtests</h1>
      <div className="grid">
        <BacktestForm onStarted={(jobId) => setStarted((ids) => [jobId, ...ids])} />
        {started.length > 0 && (
          <section className="card wide" aria-labelledby="backtest-jobs-title">
            <h2 id="backtest-jobs-title">Started here</h2>
            <div className="job-cards" aria-live="polite" data-testid="backtest-jobs">
              {started.slice(0, MAX_PANEL_JOBS).map((jobId) => (
                <LiveJobCard key={jobId} jobId={jobId} />
              ))}
              {started.length > MAX_PANEL_JOBS && (
                <p className="small muted">
                  {started.length - MAX_PANEL_JOBS} earlier job(s) started here are on the{" "}
                  <Link to="/jobs">Jobs page</Link>.
                </p>
              )}
            </div>
          </section>
        )}
        <BacktestsTable />
      </div>
    </>
  );
}
