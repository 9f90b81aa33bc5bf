// Status badges. Each is keyed by a `Record` over the contract's enum, so a status added to
// or renamed in the contract fails `tsc` until it has a rendering here.
import { AB_TEST_STATUS_VIEW } from "../abtest";
import { type DecisionVerdict, ORDER_STATUS_VIEW, STEP_STATUS_VIEW } from "../autopilot";
import {
  type AbTestStatus,
  type AutopilotStepStatus,
  JOB_STATUS_VIEW,
  type JobStatus,
  type LogLevel,
  type ModelRole,
  type PaperOrderStatus,
  type QualityStatus,
  type StatusLevel,
} from "../contract";
import { STATUS_LEVEL_VIEW } from "../health";

const JOB_STATUS_ICON: Record<JobStatus, string> = {
  queued: "◷",
  running: "▶",
  succeeded: "✓",
  failed: "✕",
  cancelled: "⊘",
};

export function JobStatusBadge({ status, cancelRequested = false }: { status: JobStatus; cancelRequested?: boolean }) {
  return (
    <span className={`badge job-${status}`} data-status={status}>
      <span aria-hidden="true">{JOB_STATUS_ICON[status]}</span> {JOB_STATUS_VIEW[status].label}
      {cancelRequested && status === "running" ? " (cancelling)" : ""}
    </span>
  );
}

const QUALITY_LABEL: Record<QualityStatus, string> = { ok: "OK", warnings: "Warnings", failed: "Failed" };

export function QualityBadge({ status }: { status: QualityStatus }) {
  return (
    <span className={`badge quality-${status}`} data-status={status}>
      {QUALITY_LABEL[status]}
    </span>
  );
}

const LOG_LEVEL_LABEL: Record<LogLevel, string> = {
  debug: "DEBUG",
  info: "INFO",
  warning: "WARNING",
  error: "ERROR",
  critical: "CRITICAL",
};

export function LogLevelBadge({ level }: { level: LogLevel }) {
  return <span className={`badge level-${level}`}>{LOG_LEVEL_LABEL[level]}</span>;
}

export function ProgressBar({ value, label, status }: { value: number; label: string; status?: JobStatus }) {
  const percent = Math.round(Math.min(1, Math.max(0, value)) * 100);
  return (
    <div
      className={`progress ${status ? `progress-${status}` : ""}`}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={percent}
    >
      <div className="progress-fill" style={{ width: `${percent}%` }} />
      <span className="progress-text">{percent}%</span>
    </div>
  );
}

const MODEL_ROLE_VIEW: Record<ModelRole, { label: string; icon: string }> = {
  champion: { label: "Champion", icon: "★" },
  challenger: { label: "Challenger", icon: "◆" },
  retired: { label: "Retired", icon: "○" },
};

export function RoleBadge({ role }: { role: ModelRole }) {
  const view = MODEL_ROLE_VIEW[role];
  return (
    <span className={`badge role-${role}`} data-role={role}>
      <span aria-hidden="true">{view.icon}</span> {view.label}
    </span>
  );
}

/** A health status level: a shape and a word, not only a colour. */
export function StatusLevelBadge({ level }: { level: StatusLevel }) {
  const view = STATUS_LEVEL_VIEW[level];
  return (
    <span className={`badge status-${level}`} data-status={level}>
      <span aria-hidden="true">{view.icon}</span> {view.label}
    </span>
  );
}

/** An A/B test's status: a shape and a word. */
export function AbTestStatusBadge({ status }: { status: AbTestStatus }) {
  const view = AB_TEST_STATUS_VIEW[status];
  return (
    <span className={`badge abtest-${status}`} data-status={status}>
      <span aria-hidden="true">{view.icon}</span> {view.label}
    </span>
  );
}

/** An autopilot step's status: a shape and a word. */
export function StepStatusBadge({ status }: { status: AutopilotStepStatus }) {
  const view = STEP_STATUS_VIEW[status];
  return (
    <span className={`badge step-${status}`} data-status={status}>
      <span aria-hidden="true">{view.icon}</span> {view.label}
    </span>
  );
}

/** A paper order's status: a shape and a word. */
export function OrderStatusBadge({ status }: { status: PaperOrderStatus }) {
  const view = ORDER_STATUS_VIEW[status];
  return (
    <span className={`badge order-${status}`} data-status={status}>
      <span aria-hidden="true">{view.icon}</span> {view.label}
    </span>
  );
}

const DECISION_VIEW: Record<DecisionVerdict, { label: string; icon: string }> = {
  promoted: { label: "Promoted", icon: "★" },
  kept: { label: "Kept champion", icon: "●" },
  none: { label: "No decision", icon: "–" },
  failed: { label: "Failed", icon: "✕" },
  pending: { label: "Pending", icon: "◷" },
};

/** A cycle's governance verdict as a short badge (the reason goes beside it). */
export function DecisionBadge({ verdict }: { verdict: DecisionVerdict }) {
  const view = DECISION_VIEW[verdict];
  return (
    <span className={`badge decision-${verdict}`} data-verdict={verdict}>
      <span aria-hidden="true">{view.icon}</span> {view.label}
    </span>
  );
}
