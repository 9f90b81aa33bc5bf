// One model version: its training request and window, per-fold rank IC, the overall and
// per-fold CV metrics, feature importance, governance decisions, and a manual promote.
import { useId, useState } from "react";
import { Link, useParams } from "react-router";
import { RoleBadge } from "../components/Badges";
import { Empty, ErrorMessage, Loading } from "../components/Feedback";
import { FoldChart, ImportanceChart } from "../components/ResearchCharts";
import {
  IMPORTANCE_KINDS,
  type CvMetrics,
  type DateSpan,
  type GovernanceDecision,
  type HorizonReport,
  type ImportanceKind,
  type ModelLabResult,
} from "../contract";
import { formatDateTime, formatInteger, humanize } from "../format";
import { formatMetric } from "../research";
import { useFeatureImportance, useModel, usePromoteModel } from "../queries";

function span(dates: DateSpan): string {
  return dates.first && dates.last ? `${dates.first} → ${dates.last}` : "—";
}

function MetricCells({ metrics }: { metrics: CvMetrics }) {
  return (
    <>
      <td className="numeric mono">{formatMetric(metrics.ic)}</td>
      <td className="numeric mono">{formatMetric(metrics.rank_ic)}</td>
      <td className="numeric mono">{formatMetric(metrics.icir, 2)}</td>
      <td className="numeric mono">{formatMetric(metrics.hit_rate, 3)}</td>
      <td className="numeric">{formatInteger(metrics.n_dates)}</td>
      <td className="numeric">{formatInteger(metrics.n_obs)}</td>
    </>
  );
}

function MetricsTable({ report }: { report: HorizonReport }) {
  return (
    <table className="table compact" data-testid="metrics-table">
      <caption>Cross-validation metrics, horizon {report.horizon} (out-of-fold)</caption>
      <thead>
        <tr>
          <th scope="col">Fold</th>
          <th scope="col">Train</th>
          <th scope="col">Test</th>
          <th scope="col" className="numeric">
            IC
          </th>
          <th scope="col" className="numeric">
            Rank IC
          </th>
          <th scope="col" className="numeric">
            ICIR
          </th>
          <th scope="col" className="numeric">
            Hit rate
          </th>
          <th scope="col" className="numeric">
            Dates
          </th>
          <th scope="col" className="numeric">
            Obs
          </th>
        </tr>
      </thead>
      <tbody>
        <tr className="highlight" data-fold="overall">
          <th scope="row">Overall</th>
          <td>—</td>
          <td>—</td>
          <MetricCells metrics={report.overall} />
        </tr>
        {report.folds.map((fold) => (
          <tr key={fold.fold} data-fold={fold.fold}>
            <th scope="row">{fold.fold}</th>
            <td className="nowrap small">{span(fold.train)}</td>
            <td className="nowrap small">{span(fold.test)}</td>
            <MetricCells metrics={fold.metrics} />
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Importance({ version, horizon }: { version: string; horizon: number }) {
  const [kind, setKind] = useState<ImportanceKind>("gain");
  const importance = useFeatureImportance(version, horizon, kind);
  return (
    <section className="card wide" aria-labelledby="importance-title">
      <h2 id="importance-title" className="row">
        <span>Feature importance</span>
        <span className="button-group" role="group" aria-label="Importance kind">
          {IMPORTANCE_KINDS.map((value) => (
            <button
              key={value}
              type="button"
              aria-pressed={kind === value}
              className={kind === value ? "button-primary" : undefined}
              onClick={() => setKind(value)}
            >
              {humanize(value)}
            </button>
          ))}
        </span>
        {importance.isFetching && <span className="muted small">Updating…</span>}
      </h2>
      {importance.isPending && <Loading label="Loading feature importance…" />}
      {importance.isError && <ErrorMessage error={importance.error} />}
      {importance.data && importance.data.items.length === 0 && <Empty>The model reports no importance.</Empty>}
      {importance.data && importance.data.items.length > 0 && <ImportanceChart importance={importance.data} />}
    </section>
  );
}

function Decisions({ decisions }: { decisions: GovernanceDecision[] }) {
  return (
    <section className="card wide" aria-labelledby="decisions-title">
      <h2 id="decisions-title">Governance decisions</h2>
      {decisions.length === 0 ? (
        <Empty>No decision concerns this version.</Empty>
      ) : (
        <table className="table compact" data-testid="decisions-table">
          <thead>
            <tr>
              <th scope="col">Decided</th>
              <th scope="col">Kind</th>
              <th scope="col">Horizon</th>
              <th scope="col">Champion</th>
              <th scope="col">Promoted</th>
              <th scope="col" className="numeric">
                Rank IC (challenger / champion)
              </th>
              <th scope="col" className="numeric">
                Common dates
              </th>
              <th scope="col">ICIR floor</th>
              <th scope="col">Reason</th>
            </tr>
          </thead>
          <tbody>
            {decisions.map((decision) => (
              <tr key={decision.decision_id} data-decision-kind={decision.kind} data-promoted={String(decision.promoted)}>
                <td className="nowrap">{formatDateTime(decision.decided_at)}</td>
                <td>{decision.kind}</td>
                <td>{decision.horizon}</td>
                <td className="nowrap mono">
                  {decision.champion_before ?? "none"} → {decision.champion_after}
                </td>
                <td>{decision.promoted ? "yes" : "no"}</td>
                <td className="numeric mono">
                  {formatMetric(decision.metrics.challenger_rank_ic)} / {formatMetric(decision.metrics.champion_rank_ic)}
                </td>
                <td className="numeric">
                  {formatInteger(decision.metrics.common_dates)}
                  <span className="muted small"> (min {decision.metrics.min_common_dates})</span>
                </td>
                <td>
                  {decision.meets_icir_floor ? "met" : "not met"}
                  <span className="muted small">
                    {" "}
                    ({formatMetric(decision.metrics.challenger_icir, 2)} vs {decision.metrics.icir_floor})
                  </span>
                </td>
                <td className="message">{decision.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function PromoteButton({ model }: { model: ModelLabResult }) {
  const promote = usePromoteModel();
  const version = model.summary.version;
  const isChampion = model.summary.role === "champion";
  return (
    <span className="promote">
      <button
        type="button"
        className="button-primary"
        onClick={() => promote.mutate(version)}
        disabled={promote.isPending || isChampion}
        title={isChampion ? "This version is the champion" : "Make this version the champion (needs scope admin)"}
      >
        {promote.isPending ? "Promoting…" : "Promote"}
      </button>
      {promote.isError && <ErrorMessage error={promote.error} title="Could not promote" />}
      {promote.data && (
        <span className="small" role="status" data-testid="promote-result">
          {promote.data.champion_before ?? "none"} → {promote.data.champion_after}: {promote.data.reason}
        </span>
      )}
    </span>
  );
}

function Detail({ model }: { model: ModelLabResult }) {
  const summary = model.summary;
  const [horizon, setHorizon] = useState<number | undefined>(model.horizons[0]?.horizon);
  const report = model.horizons.find((item) => item.horizon === horizon) ?? model.horizons[0];
  const horizonId = useId();
  return (
    <div className="grid">
      <section className="card wide" aria-labelledby="version-title" data-version={summary.version} data-role={summary.role}>
        <h2 id="version-title" className="row">
          <span className="mono">{summary.version}</span>
          <RoleBadge role={summary.role} />
          <PromoteButton model={model} />
        </h2>
        <dl className="facts">
          <div>
            <dt>Created</dt>
            <dd>{formatDateTime(summary.created_at)}</dd>
          </div>
          <div>
            <dt>Training window</dt>
            <dd>
              {summary.training_start} → {summary.training_end}
            </dd>
          </div>
          <div>
            <dt>Horizons</dt>
            <dd>{summary.horizons.join(", ")}</dd>
          </div>
          <div>
            <dt>Features</dt>
            <dd>
              {model.features.length} ({summary.feature_mode})
            </dd>
          </div>
          <div>
            <dt>Universe</dt>
            <dd>{summary.survivorship ? "point-in-time" : "survivorship-biased"}</dd>
          </div>
          <div>
            <dt>Benchmark</dt>
            <dd>{model.benchmark}</dd>
          </div>
          <div>
            <dt>Rank IC / ICIR</dt>
            <dd className="mono">
              {formatMetric(summary.rank_ic)} / {formatMetric(summary.icir, 2)}
            </dd>
          </div>
          <div>
            <dt>Universe fingerprint</dt>
            <dd>
              <code className="fingerprint" title={summary.universe_fingerprint}>
                {summary.universe_fingerprint.slice(0, 16)}…
              </code>
            </dd>
          </div>
        </dl>
        {model.warnings.length > 0 && (
          <div className="notice" data-testid="model-warnings">
            <strong>Warnings</strong>
            <ul className="small">
              {model.warnings.map((warning) => (
                <li key={warning}>{warning}</li>
              ))}
            </ul>
          </div>
        )}
      </section>

      <section className="card wide" aria-labelledby="cv-title">
        <h2 id="cv-title" className="row">
          <span>Cross-validation</span>
          <label htmlFor={horizonId} className="small">
            Horizon
          </label>
          <select id={horizonId} value={report?.horizon ?? ""} onChange={(event) => setHorizon(Number(event.target.value))}>
            {model.horizons.map((item) => (
              <option key={item.horizon} value={item.horizon}>
                {item.horizon} days
              </option>
            ))}
          </select>
        </h2>
        {report ? (
          <>
            <FoldChart folds={report.folds} horizon={report.horizon} overall={report.overall.rank_ic} />
            <MetricsTable report={report} />
          </>
        ) : (
          <Empty>This version has no horizon report.</Empty>
        )}
      </section>

      {report && <Importance version={summary.version} horizon={report.horizon} />}

      <Decisions decisions={model.decisions} />

      <section className="card wide" aria-labelledby="request-title">
        <h2 id="request-title">Training request</h2>
        <pre className="code-block">{JSON.stringify(model.request, null, 2)}</pre>
        <details>
          <summary>Features ({model.features.length}), libraries and files</summary>
          <p className="small mono">{model.features.join(", ")}</p>
          <table className="table compact">
            <tbody>
              {Object.entries(model.library_versions).map(([name, version]) => (
                <tr key={name}>
                  <th scope="row">{name}</th>
                  <td className="mono">{version}</td>
                </tr>
              ))}
              {Object.entries(model.files).map(([name, sha]) => (
                <tr key={name}>
                  <th scope="row">{name}</th>
                  <td className="mono fingerprint small">{sha}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      </section>
    </div>
  );
}

export function ModelDetailPage() {
  const { version = "" } = useParams();
  const model = useModel(version);
  return (
    <>
      <p className="breadcrumb">
        <Link to="/models">Models</Link> / <span className="mono">{version}</span>
      </p>
      <h1>Model {version}</h1>
      {model.isPending && <Loading />}
      {model.isError && <ErrorMessage error={model.error} />}
      {model.data && <Detail key={model.data.summary.version} model={model.data} />}
    </>
  );
}
