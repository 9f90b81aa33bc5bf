import type { ReactNode } from "react";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { act, renderHook } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { JOB_EVENT_NAMES, type JobEvent, type JobEventName, type JobPage, type JobRecord } from "../contract";
import { keys } from "../queries";
import type { EventSourceLike } from "../sse";
import { useJobEvents } from "./useJobEvents";

const JOB_ID = "6d9bc230-c6f3-490b-b589-f7c3fe664949";
const OTHER_ID = "915219c3-7f10-4769-b613-bb8325ffa2d2";

/** Stands in for the browser's EventSource: records listeners, lets the test emit events. */
class FakeEventSource implements EventSourceLike {
  static instances: FakeEventSource[] = [];
  readyState = 0;
  closed = false;
  readonly listeners = new Map<string, ((event: Event) => void)[]>();

  constructor(readonly url: string) {
    FakeEventSource.instances.push(this);
  }

  addEventListener(type: string, listener: (event: Event) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }

  close(): void {
    this.closed = true;
    this.readyState = 2;
  }

  emit(name: JobEventName, event: JobEvent): void {
    this.dispatch(name, new MessageEvent(name, { data: JSON.stringify(event) }));
  }

  dispatch(type: string, event: Event): void {
    act(() => {
      for (const listener of this.listeners.get(type) ?? []) listener(event);
    });
  }
}

const fakeFactory = (url: string) => new FakeEventSource(url);

function record(overrides: Partial<JobRecord> = {}): JobRecord {
  return {
    job_id: JOB_ID,
    job_type: "data_refresh",
    status: "queued",
    progress: 0,
    progress_message: null,
    cancel_requested: false,
    params: { force: true },
    owner: null,
    created_at: "2026-11-23T12:54:18.104082Z",
    started_at: null,
    finished_at: null,
    error: null,
    result: null,
    ...overrides,
  };
}

function jobEvent(event: JobEventName, overrides: Partial<JobEvent> = {}): JobEvent {
  return {
    event,
    job_id: JOB_ID,
    status: "queued",
    progress: 0,
    progress_message: null,
    cancel_requested: false,
    timestamp: "2026-11-23T12:54:19.000000Z",
    error: null,
    ...overrides,
  };
}

function setup(options: { enabled?: boolean } = {}) {
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  const listFilter = { limit: 25 };
  queryClient.setQueryData(keys.job(JOB_ID), record());
  queryClient.setQueryData<JobPage>(keys.jobList(listFilter), {
    items: [record(), record({ job_id: OTHER_ID, status: "succeeded", progress: 1 })],
    next_cursor: null,
  });
  const wrapper = ({ children }: { children: ReactNode }) => (
    <QueryClientProvider client={queryClient}>{children}</QueryClientProvider>
  );
  const hook = renderHook(
    ({ enabled }: { enabled: boolean }) => useJobEvents(JOB_ID, { enabled, factory: fakeFactory }),
    { wrapper, initialProps: { enabled: options.enabled ?? true } },
  );
  const detail = () => queryClient.getQueryData<JobRecord>(keys.job(JOB_ID));
  const listed = (jobId = JOB_ID) =>
    queryClient.getQueryData<JobPage>(keys.jobList(listFilter))?.items.find((job) => job.job_id === jobId);
  return { hook, queryClient, detail, listed };
}

function onlySource(): FakeEventSource {
  expect(FakeEventSource.instances).toHaveLength(1);
  return FakeEventSource.instances[0]!;
}

afterEach(() => {
  FakeEventSource.instances = [];
});

describe("useJobEvents", () => {
  it("opens the contract's event stream URL and listens for every JobEventName", () => {
    setup();
    const source = onlySource();
    expect(source.url).toBe(`/api/v1/jobs/${JOB_ID}/events`);
    for (const name of JOB_EVENT_NAMES) {
      expect(source.listeners.get(name), `listener for '${name}'`).toHaveLength(1);
    }
    expect(source.listeners.has("error")).toBe(true);
  });

  it("applies each event of a successful run to its state and to the cached record and list", () => {
    const { hook, detail, listed } = setup();
    const source = onlySource();
    expect(hook.result.current.phase).toBe("connecting");

    source.emit("status", jobEvent("status"));
    expect(hook.result.current).toMatchObject({ phase: "open", trail: ["status"] });
    expect(detail()?.status).toBe("queued");

    source.emit("started", jobEvent("started", { status: "running" }));
    expect(hook.result.current.last?.status).toBe("running");
    expect(detail()?.status).toBe("running");
    expect(listed()?.status).toBe("running");

    source.emit("progress", jobEvent("progress", { status: "running", progress: 0.5, progress_message: "AAPL_data.csv: imported" }));
    expect(detail()).toMatchObject({ progress: 0.5, progress_message: "AAPL_data.csv: imported" });
    expect(listed()).toMatchObject({ progress: 0.5, progress_message: "AAPL_data.csv: imported" });
    source.emit("progress", jobEvent("progress", { status: "running", progress: 0.75 }));
    expect(listed()?.progress).toBe(0.75);

    source.emit("completed", jobEvent("completed", { status: "succeeded", progress: 1, progress_message: "succeeded" }));
    expect(detail()?.status).toBe("succeeded");
    expect(listed()?.status).toBe("succeeded");
    expect(source.closed).toBe(false);

    source.emit("done", jobEvent("done", { status: "succeeded", progress: 1 }));
    expect(source.closed).toBe(true);
    expect(hook.result.current.phase).toBe("done");
    // Consecutive progress events collapse into one entry of the trail.
    expect(hook.result.current.trail).toEqual(["status", "started", "progress", "completed", "done"]);
    // Other jobs of the list are untouched.
    expect(listed(OTHER_ID)?.status).toBe("succeeded");
  });

  it("records a failure with its error", () => {
    const { hook, detail, listed } = setup();
    const source = onlySource();
    const error = { code: "DATA_SOURCE_UNAVAILABLE" as const, message: "folder is missing" };
    source.emit("failed", jobEvent("failed", { status: "failed", error }));
    expect(detail()).toMatchObject({ status: "failed", error });
    expect(listed()).toMatchObject({ status: "failed", error });
    expect(hook.result.current.last?.error).toEqual(error);
  });

  it("records a cancellation", () => {
    const { detail, listed } = setup();
    const source = onlySource();
    source.emit("cancelled", jobEvent("cancelled", { status: "cancelled" }));
    expect(detail()?.status).toBe("cancelled");
    expect(listed()?.status).toBe("cancelled");
  });

  it("closes the stream on done and ignores anything after it", () => {
    const { hook, detail } = setup();
    const source = onlySource();
    source.emit("done", jobEvent("done", { status: "succeeded", progress: 1 }));
    expect(source.closed).toBe(true);
    source.emit("progress", jobEvent("progress", { status: "running", progress: 0.1 }));
    expect(detail()?.status).toBe("succeeded");
    expect(hook.result.current.trail).toEqual(["done"]);
    expect(FakeEventSource.instances).toHaveLength(1); // no reconnection after done
  });

  it("keeps listening until done when the caller's view turns terminal first", () => {
    const { hook } = setup();
    const source = onlySource();
    source.emit("completed", jobEvent("completed", { status: "succeeded", progress: 1 }));
    hook.rerender({ enabled: false }); // e.g. the row now sees a terminal status
    expect(source.closed).toBe(false);
    source.emit("done", jobEvent("done", { status: "succeeded", progress: 1 }));
    expect(source.closed).toBe(true);
    expect(hook.result.current.phase).toBe("done");
  });

  it("opens no stream while disabled", () => {
    const { hook } = setup({ enabled: false });
    expect(FakeEventSource.instances).toHaveLength(0);
    expect(hook.result.current.phase).toBe("idle");
    hook.rerender({ enabled: true });
    expect(FakeEventSource.instances).toHaveLength(1);
  });

  it("reports a stream the source gave up on, and closes it", () => {
    const { hook } = setup();
    const source = onlySource();
    source.readyState = 2;
    source.dispatch("error", new Event("error"));
    expect(hook.result.current.phase).toBe("error");
    expect(hook.result.current.error).toBe("Live updates stopped");
    expect(source.closed).toBe(true);
  });

  it("shows reconnecting while the browser retries a dropped stream", () => {
    const { hook } = setup();
    const source = onlySource();
    source.emit("status", jobEvent("status"));
    source.readyState = 0;
    source.dispatch("error", new Event("error"));
    expect(hook.result.current.phase).toBe("connecting");
    expect(source.closed).toBe(false);
  });

  it("flags an event whose data is not a JobEvent without touching the cache", () => {
    const { hook, detail } = setup();
    const source = onlySource();
    source.dispatch("progress", new MessageEvent("progress", { data: "{not json" }));
    source.dispatch("progress", new MessageEvent("progress", { data: JSON.stringify({ status: "pending" }) }));
    expect(hook.result.current.error).toBe("Unreadable 'progress' event from the server");
    expect(detail()?.status).toBe("queued");
  });

  it("closes the stream when the component unmounts", () => {
    const { hook } = setup();
    const source = onlySource();
    hook.unmount();
    expect(source.closed).toBe(true);
  });
});
