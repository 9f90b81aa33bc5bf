// A job's parameters, result and error, whatever its type. The contract's `params` and
// `result` are unions without a tag, so each is narrowed by a field only its member has;
// the last branch is assigned to the remaining member's type, so a result type added to the
// contract fails `tsc` here until it has a rendering.
import { Link } from "react-router";
import type {
  AutopilotParams,
  AutopilotResult,
  BacktestParams,
  BacktestResult,
  DataRefreshParams,
  FailedTicker,
  JobError,
  JobRecord,
  PredictParams,
  PredictResult,
  TrainParams,
  TrainResult,
} from "../contract";
import { cycleDecision } from "../autopilot";
import { formatKpi } from "../backtest";
import { formatInteger, shortId } from "../format";
import { formatMetric } from "../research";
import { StepList } from "./AutopilotSteps";
import { DecisionBadge, RoleBadge } from "./Badges";
import { RefreshResultSummary } from "./RefreshResult";

type Params = JobRecord["params"];
type Result = NonNullable<JobRecord["result"]>;

/** One line naming the job's main parameters. */
export function JobParamsSummary({ params }: { params: Params }) {
  if ("force" in params) {
    const refresh: DataRefreshParams = params;
    return <span className="muted small">force: {String(refresh.force)}</span>;
  }
  if ("folds" in params) {
    const train: TrainParams = params;
    return (
      <span className="muted small">
        horizons {train.horizons.join(", ")} · {train.feature_mode} · {train.years} y · {train.folds} folds
      </span>
    );
  }
  if ("holding_period" in params) {
    const backtest: BacktestParams = params;
    return (
      <span className="muted small">
        {backtest.version} · horizon {backtest.horizon} · {backtest.years} y · hold {backtest.holding_period} d · max{" "}
        {backtest.max_positions} positions
      </span>
    );
  }
  if ("trigger" in params) {
    const autopilot: AutopilotParams = params;
    return (
      <span className="muted small">
        {autopilot.trigger}
        {autopilot.skip.length > 0 ? ` · skip ${autopilot.skip.join(", ")}` : ""}
      </span>
    );
  }
  const predict: PredictParams = params;
  return (
    <span className="muted small">
      {predict.version} · horizon {predict.horizon ?? "first"} · as of {predict.as_of ?? "latest"}
    </span>
  );
}

function TrainResultSummary({ result }: { result: TrainResult }) {
  return (
    <div className="result" data-testid="train-result">
      <dl className="facts">
        <div>
          <dt>Version</dt>
          <dd>
            <Link to={`/models/${encodeURIComponent(result.version)}`} className="mono" data-testid="trained-version">
              {result.version}
            </Link>
          </dd>
        </div>
        <div>
          <dt>Role</dt>
          <dd>
            <RoleBadge role={result.role} />
          </dd>
        </div>
        <div>
          <dt>Training window</dt>
          <dd>
            {result.training_start} → {result.training_end}
          </dd>
        </div>
        {result.horizons.map((report) => (
          <div key={report.horizon}>
            <dt>Rank IC / ICIR (h={report.horizon})</dt>
            <dd className="mono">
              {formatMetric(report.overall.rank_ic)} / {formatMetric(report.overall.icir, 2)}
            </dd>
          </div>
        ))}
      </dl>
      <p className="small">{result.decision.reason}</p>
      {result.warnings.length > 0 && (
        <ul className="small warnings">
          {result.warnings.map((warning) => (
            <li key={warning}>{warning}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

function PredictResultSummary({ result }: { result: PredictResult }) {
  const query = new URLSearchParams({ version: result.version, horizon: String(result.horizon), as_of: result.as_of });
  return (
    <div className="result" data-testid="predict-result">
      <dl className="facts">
        <div>
          <dt>Version</dt>
          <dd className="mono">{result.version}</dd>
        </div>
        <div>
          <dt>Horizon</dt>
          <dd>{result.horizon}</dd>
        </div>
        <div>
          <dt>As of</dt>
          <dd>{result.as_of}</dd>
        </div>
        <div>
          <dt>Scored</dt>
          <dd>{formatInteger(result.scored)}</dd>
        </div>
        <div>
          <dt>Failed</dt>
          <dd>{formatInteger(result.failed_tickers.length)}</dd>
        </div>
      </dl>
      <Link to={`/signals?${query.toString()}`}>Show the signals</Link>
    </div>
  );
}

function BacktestResultSummary({ result }: { result: BacktestResult }) {
  return (
    <div className="result" data-testid="backtest-result">
      <dl className="facts">
        <div>
          <dt>Backtest</dt>
          <dd>
            <Link to={`/backtests/${result.backtest_id}`} className="mono" data-testid="backtest-link">
              {shortId(result.backtest_id)}
            </Link>
          </dd>
        </div>
        <div>
          <dt>Net total return</dt>
          <dd className="mono">{formatKpi(result.net_total_return, "return")}</dd>
        </div>
        <div>
          <dt>Net Sharpe</dt>
          <dd className="mono">{formatKpi(result.net_sharpe, "ratio")}</dd>
        </div>
        <div>
          <dt>Trades</dt>
          <dd>{formatInteger(result.trades)}</dd>
        </div>
      </dl>
      {result.warnings.length > 0 && (
        <ul className="small warnings">
          {result.warnings.map((warning) => (
            <li key={warning}>{warning}</li>
          ))}
        </ul>
      )}
      <Link to={`/backtests/${result.backtest_id}`}>Open the result</Link>
    </div>
  );
}

function AutopilotResultSummary({ result }: { result: AutopilotResult }) {
  const decision = cycleDecision(result);
  return (
    <div className="result" data-testid="autopilot-result">
      <dl className="facts">
        <div>
          <dt>As of</dt>
          <dd>{result.as_of}</dd>
        </div>
        <div>
          <dt>Mode</dt>
          <dd>{result.mode}</dd>
        </div>
        <div>
          <dt>Champion</dt>
          <dd>
            {result.champion ? (
              <Link to={`/models/${encodeURIComponent(result.champion)}`} className="mono">
                {result.champion}
              </Link>
            ) : (
              "—"
            )}
          </dd>
        </div>
        <div>
          <dt>Decision</dt>
          <dd>
            <DecisionBadge verdict={decision.verdict} />
          </dd>
        </div>
        {result.next_as_of && (
          <div>
            <dt>Next as-of</dt>
            <dd>{result.next_as_of}</dd>
          </div>
        )}
      </dl>
      <StepList steps={result.steps} label="Steps of this cycle" testId="autopilot-result-steps" />
      <p className="small">
        <Link to="/autopilot">Open the autopilot</Link> · <Link to="/paper">Open the paper account</Link>
      </p>
    </div>
  );
}

export function JobResultSummary({ result }: { result: Result }) {
  if ("tickers_imported" in result) return <RefreshResultSummary result={result} />;
  if ("decision" in result) return <TrainResultSummary result={result} />;
  if ("backtest_id" in result) return <BacktestResultSummary result={result} />;
  if ("steps" in result) return <AutopilotResultSummary result={result} />;
  const predict: PredictResult = result;
  return <PredictResultSummary result={predict} />;
}

/** Tickers a job could not handle, with their reasons. */
export function FailedTickersTable({ items, caption }: { items: FailedTicker[]; caption: string }) {
  return (
    <table className="table compact" data-testid="failed-tickers">
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Ticker</th>
          <th scope="col">Reason</th>
          <th scope="col">Message</th>
        </tr>
      </thead>
      <tbody>
        {items.map((item) => (
          <tr key={item.ticker} data-reason={item.reason}>
            <td className="mono">{item.ticker}</td>
            <td>
              <code>{item.reason}</code>
            </td>
            <td className="message">{item.message}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A failed job's error: its code, message, and the items it names. */
export function JobErrorBox({ error }: { error: JobError }) {
  const details = error.details ?? [];
  return (
    <div className="error-box" role="alert" data-error-code={error.code} data-testid="job-error">
      <span className="error-code">{error.code}</span> {error.message}
      {details.length > 0 && (
        <FailedTickersTable items={details} caption={`${details.length} ticker(s) the job could not handle`} />
      )}
    </div>
  );
}
