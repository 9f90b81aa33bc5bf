// Live job state from `streamJobEvents`. Each named event updates the job's record in the
// TanStack Query cache (its detail entry and every cached list page), so every view of the
// job agrees without polling. The stream is closed on `done`, which the server always
// sends last.
import { useEffect, useState } from "react";
import { type QueryClient, useQueryClient } from "@tanstack/react-query";
import {
  JOB_EVENT_NAMES,
  JOB_STATUSES,
  type JobEvent,
  type JobEventName,
  type JobPage,
  type JobRecord,
  isOneOf,
} from "../contract";
import { keys } from "../queries";
import {
  type EventSourceFactory,
  READY_STATE_CLOSED,
  defaultEventSourceFactory,
  jobEventsUrl,
} from "../sse";

export type JobStreamPhase = "idle" | "connecting" | "open" | "done" | "error";

export type JobStreamState = {
  phase: JobStreamPhase;
  /** The latest event received. */
  last: JobEvent | null;
  /** Names of the events received so far, oldest first (progress runs collapsed). */
  trail: JobEventName[];
  error: string | null;
};

const IDLE: JobStreamState = { phase: "idle", last: null, trail: [], error: null };
const MAX_TRAIL = 12;

/** Events after which the record has fields the event does not carry (times, result). */
const REFETCH_AFTER: ReadonlySet<JobEventName> = new Set<JobEventName>(["started", "done"]);

/** Parse one event's `data` as a `JobEvent`; null when it is not one. */
export function parseJobEvent(data: unknown): JobEvent | null {
  if (typeof data !== "string") return null;
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null) return null;
  const candidate = value as Partial<Record<keyof JobEvent, unknown>>;
  const valid =
    typeof candidate.job_id === "string" &&
    typeof candidate.status === "string" &&
    isOneOf(JOB_STATUSES, candidate.status) &&
    typeof candidate.event === "string" &&
    isOneOf(JOB_EVENT_NAMES, candidate.event) &&
    typeof candidate.progress === "number";
  return valid ? (value as JobEvent) : null;
}

function mergeEvent(job: JobRecord, event: JobEvent): JobRecord {
  if (job.job_id !== event.job_id) return job;
  return {
    ...job,
    status: event.status,
    progress: event.progress,
    progress_message: event.progress_message,
    cancel_requested: event.cancel_requested,
    error: event.error,
  };
}

/** Write one event into the cached job record and every cached job list page. */
export function applyJobEvent(queryClient: QueryClient, event: JobEvent): void {
  queryClient.setQueryData<JobRecord>(keys.job(event.job_id), (job) => job && mergeEvent(job, event));
  queryClient.setQueriesData<JobPage>({ queryKey: keys.jobLists }, (page) =>
    page && { ...page, items: page.items.map((job) => mergeEvent(job, event)) },
  );
}

function afterEvent(queryClient: QueryClient, name: JobEventName, event: JobEvent): void {
  if (REFETCH_AFTER.has(name)) {
    void queryClient.invalidateQueries({ queryKey: keys.job(event.job_id) });
  }
  if (name === "done") {
    void queryClient.invalidateQueries({ queryKey: keys.health });
    void queryClient.invalidateQueries({ queryKey: keys.jobLists });
    void queryClient.invalidateQueries({ queryKey: keys.dashboard });
    // An autopilot cycle's record ends with its job, whatever the outcome.
    void queryClient.invalidateQueries({ queryKey: keys.autopilot });
    if (event.status === "succeeded") {
      // What a job may have changed: the data (refresh), the registry (train), signals
      // (predict), the stored backtests (backtest), the paper account and tracking (autopilot).
      void queryClient.invalidateQueries({ queryKey: keys.data });
      void queryClient.invalidateQueries({ queryKey: keys.models });
      void queryClient.invalidateQueries({ queryKey: keys.signals });
      void queryClient.invalidateQueries({ queryKey: keys.backtestLists });
      void queryClient.invalidateQueries({ queryKey: keys.paper });
      void queryClient.invalidateQueries({ queryKey: keys.tracking });
    }
  }
}

function appendToTrail(trail: JobEventName[], name: JobEventName): JobEventName[] {
  if (name === "progress" && trail[trail.length - 1] === "progress") return trail;
  return [...trail, name].slice(-MAX_TRAIL);
}

export type UseJobEventsOptions = {
  /** Subscribe only while true (e.g. while the job is not terminal). Default true. */
  enabled?: boolean;
  factory?: EventSourceFactory;
};

/**
 * Subscribe to a job's events once `enabled` is true; returns the stream's state.
 *
 * `enabled` only gates the start: a stream that has begun runs until `done` (or a failure,
 * or unmount), even when the caller's view of the job turns terminal on the way, so the
 * final events (`completed` → `done`) are never cut off.
 */
export function useJobEvents(jobId: string | undefined, options: UseJobEventsOptions = {}): JobStreamState {
  const queryClient = useQueryClient();
  const factory = options.factory ?? defaultEventSourceFactory;
  const [state, setState] = useState<JobStreamState>(IDLE);
  const [subscribed, setSubscribed] = useState<string | null>(null);
  const [ended, setEnded] = useState<string | null>(null);
  if ((options.enabled ?? true) && jobId && subscribed !== jobId && ended !== jobId) {
    setSubscribed(jobId); // latch (React's "adjust state while rendering" pattern)
  }
  const target = jobId && subscribed === jobId && ended !== jobId ? jobId : null;

  useEffect(() => {
    if (!target) return undefined;
    const source = factory(jobEventsUrl(target));
    let finished = false;
    const finish = () => {
      finished = true;
      source.close();
      setEnded(target);
    };
    setState({ ...IDLE, phase: "connecting" });

    for (const name of JOB_EVENT_NAMES) {
      source.addEventListener(name, (message) => {
        if (finished) return;
        const event = parseJobEvent((message as MessageEvent).data);
        if (!event) {
          setState((prev) => ({ ...prev, error: `Unreadable '${name}' event from the server` }));
          return;
        }
        if (name === "done") finish();
        applyJobEvent(queryClient, event);
        afterEvent(queryClient, name, event);
        setState((prev) => ({
          phase: name === "done" ? "done" : "open",
          last: event,
          trail: appendToTrail(prev.trail, name),
          error: null,
        }));
      });
    }
    source.addEventListener("error", () => {
      if (finished) return;
      if (source.readyState === READY_STATE_CLOSED) {
        // The source gave up (e.g. 404 or 401): fall back to the stored record.
        finish();
        void queryClient.invalidateQueries({ queryKey: keys.job(target) });
        setState((prev) => ({ ...prev, phase: "error", error: "Live updates stopped" }));
      } else {
        setState((prev) => ({ ...prev, phase: "connecting" })); // EventSource reconnects itself
      }
    });

    return () => {
      finished = true;
      source.close();
    };
  }, [target, factory, queryClient]);

  return state;
}
