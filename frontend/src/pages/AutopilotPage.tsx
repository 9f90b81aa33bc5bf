// Autopilot: its clock (as-of, last stored date, next run, champion and challenger), "Run
// now" followed live over SSE, the latest cycle's six steps (polled every few seconds while a
// cycle runs), the schedule settings (PUT, with the server's 422 field errors at the fields),
// and the recent cycles with each one's governance decision.
import { type FormEvent, useEffect, useId, useState } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { Link } from "react-router";
import { ApiError } from "../api";
import {
  type ConfigDraft,
  type ConfigProblems,
  configDraft,
  configProblemsFromDetails,
  currentStepLabel,
  cycleActive,
  cycleDecision,
  formatInterval,
  minIntervalSeconds,
  readConfigDraft,
} from "../autopilot";
import { formatKpi } from "../backtest";
import { boundsOf } from "../bounds";
import { StepList } from "../components/AutopilotSteps";
import { DecisionBadge, JobStatusBadge, ProgressBar } from "../components/Badges";
import { CheckField } from "../components/CheckField";
import { Empty, ErrorMessage, Loading } from "../components/Feedback";
import { CancelButton, StreamTrail } from "../components/JobLive";
import { JobErrorBox } from "../components/JobResult";
import { NumberField } from "../components/NumberField";
import {
  AUTOPILOT_MODES,
  type AutopilotConfig,
  type AutopilotCycle,
  type AutopilotState,
  isOneOf,
  isTerminal,
} from "../contract";
import { formatDateTime, formatDuration, secondsBetween, shortId } from "../format";
import { useJobEvents } from "../hooks/useJobEvents";
import {
  AUTOPILOT_ACTIVE_REFRESH_MS,
  keys,
  useAutopilotState,
  useJob,
  useRunAutopilot,
  useUpdateAutopilotConfig,
} from "../queries";

const MODE_HINT = {
  live: "as-of is the last stored date; each cycle refreshes the data first",
  replay: "a clock stepping through stored history, step days per successful cycle",
} as const;

function VersionLink({ version }: { version: string | null }) {
  if (!version) return <>—</>;
  return (
    <Link to={`/models/${encodeURIComponent(version)}`} className="mono">
      {version}
    </Link>
  );
}

// ---------------------------------------------------------------- the clock and "Run now"
/**
 * The cycle's job, followed over SSE: status, progress ("step k/6: name"), the stream's trail.
 * Each change of its progress refetches the state, so the step list follows without waiting
 * for the next poll.
 */
function CycleJob({ jobId }: { jobId: string }) {
  const queryClient = useQueryClient();
  const query = useJob(jobId);
  const job = query.data;
  const stream = useJobEvents(jobId, { enabled: job !== undefined && !isTerminal(job.status) });
  const message = job?.progress_message ?? null;
  const status = job?.status;
  useEffect(() => {
    if (status !== undefined) void queryClient.invalidateQueries({ queryKey: keys.autopilot });
  }, [queryClient, message, status]);
  if (query.isPending) return <Loading label="Loading the cycle's job…" />;
  if (query.isError) return <ErrorMessage error={query.error} />;
  if (!job) return null;
  return (
    <article className="job-card" data-testid="autopilot-job" data-job-id={job.job_id} data-status={job.status}>
      <header>
        <Link to={`/jobs/${job.job_id}`} className="mono">
          autopilot {shortId(job.job_id)}
        </Link>
        <JobStatusBadge status={job.status} cancelRequested={job.cancel_requested} />
        <CancelButton job={job} />
      </header>
      <ProgressBar value={job.progress} label={`Progress of cycle ${shortId(job.job_id)}`} status={job.status} />
      <p className="muted small" data-testid="autopilot-progress">
        {job.progress_message ?? "Waiting to start…"}
      </p>
      <StreamTrail stream={stream} />
      {job.error && <JobErrorBox error={job.error} />}
    </article>
  );
}

function ClockSection({ state }: { state: AutopilotState }) {
  const run = useRunAutopilot();
  const [startedHere, setStartedHere] = useState<string | null>(null);
  const running = state.running_job_id;
  const followed = running ?? startedHere;
  const { config } = state;
  return (
    <section className="card wide" aria-labelledby="clock-title" data-testid="autopilot-clock">
      <h2 id="clock-title" className="row">
        <span>Clock</span>
        <span className={`badge ${config.enabled ? "step-succeeded" : "step-pending"}`} data-testid="autopilot-enabled">
          {config.enabled ? "Scheduled" : "Not scheduled"}
        </span>
      </h2>
      <dl className="facts">
        <div>
          <dt>Mode</dt>
          <dd data-testid="autopilot-mode">{config.mode}</dd>
        </div>
        <div>
          <dt>Next cycle's as-of</dt>
          <dd data-testid="autopilot-as-of">{state.as_of ?? "—"}</dd>
        </div>
        <div>
          <dt>Last stored date</dt>
          <dd>{state.last_stored_date ?? "—"}</dd>
        </div>
        <div>
          <dt>Next run</dt>
          <dd data-testid="autopilot-next-run">
            {state.next_run_at ? formatDateTime(state.next_run_at) : config.enabled ? "—" : "— (schedule off)"}
          </dd>
        </div>
        <div>
          <dt>Interval</dt>
          <dd>{formatInterval(config.interval_seconds)}</dd>
        </div>
        <div>
          <dt>Champion</dt>
          <dd data-testid="autopilot-champion">
            <VersionLink version={state.champion} />
          </dd>
        </div>
        <div>
          <dt>Challenger</dt>
          <dd>
            <VersionLink version={state.challenger} />
          </dd>
        </div>
      </dl>
      {state.message && (
        <p className="notice" role="status" data-testid="autopilot-message">
          {state.message}
        </p>
      )}
      <div className="row">
        <button
          type="button"
          className="button-primary"
          disabled={running !== null || run.isPending}
          onClick={() =>
            run.mutate(
              {},
              {
                onSuccess: (job) => setStartedHere(job.job_id),
              },
            )
          }
        >
          {run.isPending ? "Starting…" : "Run now"}
        </button>
        <span className="small muted">
          {running !== null
            ? `A cycle is ${state.cycles.find((cycle) => cycle.job_id === running)?.status ?? "queued"}: one at a time.`
            : `Runs the six steps once at ${state.as_of ?? "the next as-of"} (scope admin when authentication is on).`}
        </span>
      </div>
      {run.isError && <ErrorMessage error={run.error} title="Could not start a cycle" />}
      {followed && (
        <div className="job-cards" aria-live="polite">
          <CycleJob key={followed} jobId={followed} />
        </div>
      )}
    </section>
  );
}

// ---------------------------------------------------------------- the latest cycle
function cycleDuration(cycle: AutopilotCycle): string {
  const seconds = secondsBetween(cycle.started_at, cycle.finished_at);
  return seconds === null ? "—" : formatDuration(seconds);
}

function LatestCycle({ cycle }: { cycle: AutopilotCycle | undefined }) {
  if (!cycle) {
    return (
      <section className="card wide" aria-labelledby="latest-cycle-title">
        <h2 id="latest-cycle-title">Latest cycle</h2>
        <Empty>No cycle has run yet: press “Run now” or turn the schedule on.</Empty>
      </section>
    );
  }
  const active = !isTerminal(cycle.status);
  const where = active ? currentStepLabel(cycle.steps) : null;
  return (
    <section
      className="card wide"
      aria-labelledby="latest-cycle-title"
      data-testid="latest-cycle"
      data-job-id={cycle.job_id}
      data-status={cycle.status}
    >
      <h2 id="latest-cycle-title" className="row">
        <span>{active ? "Cycle in progress" : "Latest cycle"}</span>
        <JobStatusBadge status={cycle.status} />
        {where && <span className="small muted">{where}</span>}
      </h2>
      <p className="small muted">
        As of <strong>{cycle.as_of ?? "—"}</strong> · {cycle.mode} · started {formatDateTime(cycle.started_at)}
        {cycle.finished_at ? ` · finished ${formatDateTime(cycle.finished_at)} (${cycleDuration(cycle)})` : ""} · job{" "}
        <Link to={`/jobs/${cycle.job_id}`} className="mono">
          {shortId(cycle.job_id)}
        </Link>
        {active && ` · refreshed every ${AUTOPILOT_ACTIVE_REFRESH_MS / 1000} s`}
      </p>
      <StepList steps={cycle.steps} label="Steps of the latest cycle" testId="cycle-steps" />
      {cycle.error && (
        <div className="error-box" role="alert" data-testid="cycle-error">
          {cycle.error}
        </div>
      )}
    </section>
  );
}

// ---------------------------------------------------------------- settings
function ConfigFacts({ config }: { config: AutopilotConfig }) {
  const { training, trading } = config;
  return (
    <dl className="facts">
      <div>
        <dt>First training</dt>
        <dd>
          horizons {training.horizons.join(", ")} · {training.feature_mode} · {training.years} y · {training.folds} folds ·{" "}
          {training.lightgbm.n_estimators} trees
        </dd>
      </div>
      <div>
        <dt>Trading</dt>
        <dd>
          ≤ {trading.max_positions ?? "—"} positions · {formatKpi(trading.position_size, "share")} each · hold{" "}
          {trading.holding_period ?? "—"} d · enter at ≥ {formatKpi(trading.entry_threshold, "return")}
        </dd>
      </div>
      <div>
        <dt>Costs</dt>
        <dd>
          {trading.commission_bps ?? "—"} bps commission · {trading.slippage_bps ?? "—"} bps slippage
        </dd>
      </div>
      <div>
        <dt>Initial capital</dt>
        <dd>{formatKpi(trading.initial_capital, "money")}</dd>
      </div>
    </dl>
  );
}

function ConfigForm({ config }: { config: AutopilotConfig }) {
  const update = useUpdateAutopilotConfig();
  const [draft, setDraft] = useState<ConfigDraft>(() => configDraft(config));
  const [problems, setProblems] = useState<ConfigProblems>({});
  const [note, setNote] = useState<string | null>(null);
  // A configuration saved here or elsewhere becomes the form's draft (React's "adjust state
  // while rendering" pattern; the polled state is a new object each time, so compare text).
  const configText = JSON.stringify(config);
  const [shown, setShown] = useState(configText);
  if (shown !== configText) {
    setShown(configText);
    setDraft(configDraft(config));
    setProblems({});
  }
  const modeId = useId();
  const startId = useId();
  const minimum = minIntervalSeconds(draft.mode);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setNote(null);
    const { update: body, problems: found } = readConfigDraft(draft, config);
    setProblems(found);
    if (!body) {
      update.reset();
      return;
    }
    if (Object.keys(body).length === 0) {
      update.reset();
      setNote("Nothing changed.");
      return;
    }
    update.mutate(body, {
      onSuccess: () => setNote("Saved."),
      onError: (error) => {
        if (error instanceof ApiError && error.status === 422) setProblems(configProblemsFromDetails(error.details));
      },
    });
  };
  const hasProblems = Object.keys(problems).length > 0;

  return (
    <section className="card wide" aria-labelledby="settings-title">
      <h2 id="settings-title">Schedule</h2>
      <p className="small muted">
        Scope <code>admin</code> when authentication is on. When scheduled, a cycle starts every interval (none while one
        is queued or running). Changing the mode or the replay start moves the replay clock back to its start.
      </p>
      <form onSubmit={submit} noValidate aria-label="Autopilot schedule" data-testid="autopilot-form">
        <div className="form-grid">
          <div className="field">
            <span className="field-label">Schedule</span>
            <CheckField
              label="Enabled (run a cycle every interval)"
              checked={draft.enabled}
              onChange={(enabled) => setDraft((d) => ({ ...d, enabled }))}
            />
          </div>
          <div className={`field ${problems.mode ? "field-invalid" : ""}`}>
            <label htmlFor={modeId}>Mode</label>
            <select
              id={modeId}
              name="mode"
              value={draft.mode}
              onChange={(event) => {
                const mode = event.target.value;
                if (isOneOf(AUTOPILOT_MODES, mode)) setDraft((d) => ({ ...d, mode }));
              }}
            >
              {AUTOPILOT_MODES.map((mode) => (
                <option key={mode} value={mode}>
                  {mode}
                </option>
              ))}
            </select>
            <small className="muted">{MODE_HINT[draft.mode]}</small>
            <small className="field-error" role={problems.mode ? "alert" : undefined}>
              {problems.mode ?? ""}
            </small>
          </div>
          <NumberField
            name="interval_seconds"
            label="Interval (seconds)"
            hint={`at least ${minimum} in ${draft.mode} mode (${formatInterval(minimum)})`}
            value={draft.intervalSeconds}
            onChange={(intervalSeconds) => setDraft((d) => ({ ...d, intervalSeconds }))}
            bounds={boundsOf("AutopilotConfigUpdate", "interval_seconds")}
            error={problems.interval_seconds ?? null}
            step="1"
          />
          <NumberField
            name="step_days"
            label="Step days (trading days)"
            hint="replay: how far the clock advances per cycle"
            value={draft.stepDays}
            onChange={(stepDays) => setDraft((d) => ({ ...d, stepDays }))}
            bounds={boundsOf("AutopilotConfigUpdate", "step_days")}
            error={problems.step_days ?? null}
            step="1"
          />
          <div className={`field ${problems.replay_start ? "field-invalid" : ""}`}>
            <label htmlFor={startId}>Replay start</label>
            <input
              id={startId}
              name="replay_start"
              type="date"
              value={draft.replayStart}
              onChange={(event) => setDraft((d) => ({ ...d, replayStart: event.target.value }))}
              aria-invalid={problems.replay_start ? true : undefined}
            />
            <small className="muted">empty: 252 trading days before the last stored date</small>
            <small className="field-error" role={problems.replay_start ? "alert" : undefined}>
              {problems.replay_start ?? ""}
            </small>
          </div>
        </div>
        <div className="row">
          <button type="submit" className="button-primary" disabled={update.isPending}>
            {update.isPending ? "Saving…" : "Save"}
          </button>
          <button
            type="button"
            onClick={() => {
              setDraft(configDraft(config));
              setProblems({});
              setNote(null);
              update.reset();
            }}
          >
            Undo changes
          </button>
          {note && (
            <span className="small muted" role="status" data-testid="autopilot-saved">
              {note}
            </span>
          )}
        </div>
        {hasProblems && !update.isError && (
          <p className="field-error" role="alert">
            Fix the highlighted fields; nothing was sent.
          </p>
        )}
        {problems.form && (
          <p className="field-error" role="alert">
            {problems.form}
          </p>
        )}
      </form>
      {update.isError && <ErrorMessage error={update.error} title="Could not save" />}
      <h3>Cycle settings</h3>
      <ConfigFacts config={config} />
      <p className="small muted">
        The first version is trained with the settings above; later cycles reuse the champion's configuration.
      </p>
    </section>
  );
}

// ---------------------------------------------------------------- history
function CyclesTable({ cycles, fetching }: { cycles: AutopilotCycle[]; fetching: boolean }) {
  return (
    <section className="card wide" aria-labelledby="cycles-title">
      <h2 id="cycles-title" className="row">
        <span>Cycles</span>
        {fetching && <span className="muted small">Updating…</span>}
      </h2>
      {cycles.length === 0 ? (
        <Empty>No cycle yet.</Empty>
      ) : (
        <div className="table-scroll">
          <table className="table compact" data-testid="cycles-table">
            <caption className="small muted">
              {cycles.length} most recent cycle(s), newest first; the decision is the governance step's.
            </caption>
            <thead>
              <tr>
                <th scope="col">Started</th>
                <th scope="col">As of</th>
                <th scope="col">Mode</th>
                <th scope="col">Status</th>
                <th scope="col">Decision</th>
                <th scope="col">Took</th>
                <th scope="col">Job</th>
              </tr>
            </thead>
            <tbody>
              {cycles.map((cycle) => {
                const decision = cycleDecision(cycle);
                return (
                  <tr key={cycle.job_id} data-job-id={cycle.job_id} data-status={cycle.status}>
                    <td className="nowrap">{formatDateTime(cycle.started_at)}</td>
                    <td className="nowrap">{cycle.as_of ?? "—"}</td>
                    <td>{cycle.mode}</td>
                    <td>
                      <JobStatusBadge status={cycle.status} />
                    </td>
                    <td data-testid="cycle-decision" data-verdict={decision.verdict}>
                      <DecisionBadge verdict={decision.verdict} /> <span className="small">{decision.reason}</span>
                    </td>
                    <td className="nowrap">{cycleDuration(cycle)}</td>
                    <td>
                      <Link to={`/jobs/${cycle.job_id}`} className="mono">
                        {shortId(cycle.job_id)}
                      </Link>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

export function AutopilotPage() {
  const state = useAutopilotState();
  const data = state.data;
  return (
    <>
      <h1>Autopilot</h1>
      {state.isPending && <Loading label="Loading the autopilot…" />}
      {state.isError && <ErrorMessage error={state.error} />}
      {data && (
        <div className="grid" data-active={cycleActive(data)}>
          <ClockSection state={data} />
          <LatestCycle cycle={data.cycles[0]} />
          <ConfigForm config={data.config} />
          <CyclesTable cycles={data.cycles} fetching={state.isFetching} />
        </div>
      )}
    </>
  );
}
