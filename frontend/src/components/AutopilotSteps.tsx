// An autopilot cycle's six steps in the order they run: number, name, status, duration and
// what the step did (or why it was skipped or failed). Shared by the Autopilot page and the
// result of an `autopilot` job.
import { STEP_VIEW, orderSteps, stepsComplete } from "../autopilot";
import type { AutopilotStep } from "../contract";
import { formatDuration } from "../format";
import { StepStatusBadge } from "./Badges";

export function StepList({ steps, label, testId }: { steps: readonly AutopilotStep[]; label: string; testId: string }) {
  const ordered = orderSteps(steps);
  return (
    <ol className="step-list" aria-label={label} data-testid={testId} data-complete={stepsComplete(steps)}>
      {ordered.map((step, index) => (
        <li key={step.name} data-step={step.name} data-status={step.status}>
          <span className="step-number">{index + 1}</span>
          <span className="step-name" title={STEP_VIEW[step.name].description}>
            {STEP_VIEW[step.name].label}
          </span>
          <span>
            <StepStatusBadge status={step.status} />
          </span>
          <span className="step-duration" data-testid="step-duration">
            {step.duration_seconds === null ? "—" : formatDuration(step.duration_seconds)}
          </span>
          <span className="step-outcome" data-testid="step-outcome">
            {step.outcome ?? (step.status === "running" ? "running…" : "")}
          </span>
        </li>
      ))}
    </ol>
  );
}
