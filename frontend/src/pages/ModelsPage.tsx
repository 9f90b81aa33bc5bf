// Models: train a version as a job (every TrainRequest field, defaults and bounds from the
// contract) followed live, and the registry's versions with their roles and CV scores.
import { type FormEvent, useId, useState } from "react";
import { Link } from "react-router";
import { RoleBadge } from "../components/Badges";
import { Empty, ErrorMessage, Loading } from "../components/Feedback";
import { LiveJobCard } from "../components/JobLive";
import { CheckField } from "../components/CheckField";
import { NumberField } from "../components/NumberField";
import { arrayBoundsOf, boundsOf } from "../bounds";
import { FEATURE_MODES, LIGHTGBM_FIELDS, type FeatureMode, isOneOf } from "../contract";
import { formatDateTime } from "../format";
import type { Problems } from "./pricing/shared";
import { formatMetric } from "../research";
import { useFeatures, useModels, useTrainModel } from "../queries";
import {
  type Draft,
  INTEGER_FIELDS,
  LIGHTGBM_LABELS,
  type LightGBMField,
  TOP_FIELDS,
  type TopField,
  initialDraft,
  readTrainDraft,
} from "../trainDraft";

/** Jobs followed live in the train panel; each holds one of the browser's ~6 connections. */
const MAX_PANEL_JOBS = 3;
const PAGE_SIZE = 25;

function FeatureModeHint({ mode }: { mode: FeatureMode }) {
  const features = useFeatures(mode);
  if (!features.data) return null;
  const catalog = features.data;
  return (
    <small className="muted" data-testid="feature-count">
      {catalog.features.length} features, up to {catalog.max_lookback_days} trading days of history
      {catalog.omitted.length > 0 && ` (${catalog.omitted.length} omitted: ${catalog.omitted.map((item) => item.name).join(", ")})`}
    </small>
  );
}

function TrainPanel() {
  const train = useTrainModel();
  const [draft, setDraft] = useState<Draft>(initialDraft);
  const [problems, setProblems] = useState<Problems>({});
  const [started, setStarted] = useState<string[]>([]);
  const horizonsId = useId();
  const modeId = useId();
  const endId = useId();
  const horizonBounds = arrayBoundsOf("TrainRequest", "horizons");

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const { request, problems: found } = readTrainDraft(draft);
    setProblems(found);
    if (!request) return;
    train.mutate(request, { onSuccess: (job) => setStarted((ids) => [job.job_id, ...ids]) });
  };
  const setTop = (field: TopField, value: string) => setDraft((d) => ({ ...d, top: { ...d.top, [field]: value } }));
  const setLightGBM = (field: LightGBMField, value: string) =>
    setDraft((d) => ({ ...d, lightgbm: { ...d.lightgbm, [field]: value } }));
  const hasProblems = Object.keys(problems).length > 0;

  return (
    <section className="card wide" aria-labelledby="train-title">
      <h2 id="train-title">Train a model</h2>
      <p className="small muted">
        Starts a <code>train</code> job (needs scope <code>admin</code> when authentication is on): walk-forward
        cross-validation, one LightGBM regressor per horizon, then governance decides champion or challenger.
      </p>
      <form onSubmit={submit} noValidate aria-label="Train a model" data-testid="train-form">
        <div className="form-grid">
          <div className={`field ${problems.horizons ? "field-invalid" : ""}`}>
            <label htmlFor={horizonsId}>Horizons (trading days)</label>
            <input
              id={horizonsId}
              name="horizons"
              value={draft.horizons}
              onChange={(event) => setDraft((d) => ({ ...d, horizons: event.target.value }))}
              aria-invalid={problems.horizons ? true : undefined}
              aria-describedby={`${horizonsId}-help ${horizonsId}-error`}
              placeholder="5, 21"
            />
            <small id={`${horizonsId}-help`} className="muted">
              comma-separated, {horizonBounds.minItems ?? 1}–{horizonBounds.maxItems ?? "∞"} distinct values,
              each {horizonBounds.items.minimum ?? "?"}–{horizonBounds.items.maximum ?? "?"}
            </small>
            <small id={`${horizonsId}-error`} className="field-error" role={problems.horizons ? "alert" : undefined}>
              {problems.horizons ?? ""}
            </small>
          </div>
          <div className="field">
            <label htmlFor={modeId}>Feature mode</label>
            <select
              id={modeId}
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
            <FeatureModeHint mode={draft.featureMode} />
          </div>
          <div className="field">
            <label htmlFor={endId}>End date</label>
            <input
              id={endId}
              type="date"
              value={draft.end}
              onChange={(event) => setDraft((d) => ({ ...d, end: event.target.value }))}
            />
            <small className="muted">optional; default the last stored date</small>
          </div>
          {TOP_FIELDS.map(({ field, label, hint }) => (
            <NumberField
              key={field}
              name={field}
              label={label}
              value={draft.top[field]}
              onChange={(value) => setTop(field, value)}
              bounds={boundsOf("TrainRequest", field)}
              error={problems[field] ?? null}
              step={INTEGER_FIELDS.has(field) ? "1" : "any"}
              {...(hint ? { hint } : {})}
            />
          ))}
          <div className="field">
            <span className="field-label">Universe</span>
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
          </div>
        </div>
        <fieldset className="subform">
          <legend>LightGBM</legend>
          <div className="form-grid">
            {LIGHTGBM_FIELDS.map((field) => (
              <NumberField
                key={field}
                name={`lightgbm.${field}`}
                label={LIGHTGBM_LABELS[field]}
                value={draft.lightgbm[field]}
                onChange={(value) => setLightGBM(field, value)}
                bounds={boundsOf("LightGBMParams", field)}
                error={problems[field] ?? null}
                step={INTEGER_FIELDS.has(field) ? "1" : "any"}
              />
            ))}
          </div>
        </fieldset>
        <div className="row">
          <button type="submit" className="button-primary" disabled={train.isPending}>
            {train.isPending ? "Starting…" : "Train"}
          </button>
          <button
            type="button"
            onClick={() => {
              setDraft(initialDraft());
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
      {train.isError && <ErrorMessage error={train.error} title="Could not start training" />}
      {started.length > 0 && (
        <div className="job-cards" aria-live="polite" data-testid="train-jobs">
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

function ModelsTable() {
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const models = useModels({ limit: PAGE_SIZE, ...(cursor ? { cursor } : {}) });
  const page = models.data;
  return (
    <section className="card wide" aria-labelledby="models-title">
      <h2 id="models-title" className="row">
        <span>Versions</span>
        {page?.champion && (
          <span className="small muted">
            champion: <Link to={`/models/${encodeURIComponent(page.champion)}`}>{page.champion}</Link>
          </span>
        )}
        {models.isFetching && <span className="muted small">Updating…</span>}
      </h2>
      {models.isPending && <Loading label="Loading the registry…" />}
      {models.isError && <ErrorMessage error={models.error} />}
      {page && page.items.length === 0 && <Empty>No model has been trained yet.</Empty>}
      {page && page.items.length > 0 && (
        <>
          <table className="table" data-testid="models-table">
            <caption className="small muted">Newest first; rank IC and ICIR are the first horizon's overall CV scores.</caption>
            <thead>
              <tr>
                <th scope="col">Version</th>
                <th scope="col">Role</th>
                <th scope="col">Created</th>
                <th scope="col">Features</th>
                <th scope="col">Horizons</th>
                <th scope="col">Training window</th>
                <th scope="col" className="numeric">
                  Rank IC
                </th>
                <th scope="col" className="numeric">
                  ICIR
                </th>
                <th scope="col">Universe</th>
              </tr>
            </thead>
            <tbody>
              {page.items.map((model) => (
                <tr key={model.version} data-version={model.version} data-role={model.role}>
                  <td>
                    <Link to={`/models/${encodeURIComponent(model.version)}`} className="mono">
                      {model.version}
                    </Link>
                  </td>
                  <td>
                    <RoleBadge role={model.role} />
                  </td>
                  <td>{formatDateTime(model.created_at)}</td>
                  <td>{model.feature_mode}</td>
                  <td>{model.horizons.join(", ")}</td>
                  <td className="nowrap">
                    {model.training_start} → {model.training_end}
                  </td>
                  <td className="numeric mono">{formatMetric(model.rank_ic)}</td>
                  <td className="numeric mono">{formatMetric(model.icir, 2)}</td>
                  <td>
                    {model.survivorship ? "point-in-time" : <span className="badge quality-warnings">survivorship-biased</span>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {(cursors.length > 1 || page.next_cursor) && (
            <nav className="pager row" aria-label="Model pages">
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

export function ModelsPage() {
  return (
    <>
      <h1>Models</h1>
      <div className="grid">
        <ModelsTable />
        <TrainPanel />
      </div>
    </>
  );
}
