// Event sources for `streamJobEvents`. The browser's EventSource cannot send an
// Authorization header, so with a bearer token configured the stream is read with fetch
// instead; both look the same to the hook (named events whose `data` is a string).
import type { paths } from "@contract/schema";
import { readToken } from "./auth";

/** What the job-events hook needs of an event source (a subset of `EventSource`). */
export interface EventSourceLike {
  readonly readyState: number;
  addEventListener(type: string, listener: (event: Event) => void): void;
  close(): void;
}

export type EventSourceFactory = (url: string) => EventSourceLike;

/** `EventSource.CLOSED`, spelled out so tests and non-DOM code need no global. */
export const READY_STATE_CLOSED = 2;

const JOB_EVENTS_PATH = "/api/v1/jobs/{job_id}/events" satisfies keyof paths;

export function jobEventsUrl(jobId: string): string {
  return JOB_EVENTS_PATH.replace("{job_id}", encodeURIComponent(jobId));
}

export type SseMessage = { event: string; data: string };

/**
 * Incremental parser of a `text/event-stream` body (WHATWG HTML §9.2.6): feed it chunks of
 * text, get back complete messages. Comments (`: keep-alive`) and `id`/`retry` are ignored.
 */
export class SseParser {
  private buffer = "";
  private eventName = "";
  private dataLines: string[] = [];

  /** The last chunk ended in CR: an LF starting the next chunk belongs to that CRLF. */
  private afterCarriageReturn = false;

  push(chunk: string): SseMessage[] {
    let text = chunk;
    if (this.afterCarriageReturn && text.startsWith("\n")) text = text.slice(1);
    this.afterCarriageReturn = text.endsWith("\r");
    this.buffer += text;
    const messages: SseMessage[] = [];
    let newline: number;
    while ((newline = this.buffer.search(/\r\n|\r|\n/)) !== -1) {
      const line = this.buffer.slice(0, newline);
      const width = this.buffer.startsWith("\r\n", newline) ? 2 : 1;
      this.buffer = this.buffer.slice(newline + width);
      const message = this.line(line);
      if (message) messages.push(message);
    }
    return messages;
  }

  private line(line: string): SseMessage | null {
    if (line === "") {
      const message =
        this.dataLines.length > 0 ? { event: this.eventName || "message", data: this.dataLines.join("\n") } : null;
      this.eventName = "";
      this.dataLines = [];
      return message;
    }
    if (line.startsWith(":")) return null;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") this.eventName = value;
    else if (field === "data") this.dataLines.push(value);
    return null;
  }
}

/**
 * A one-shot EventSource over fetch, so the request can carry `Authorization`. It does not
 * reconnect: when the stream ends or fails it dispatches `error` and is closed.
 */
export class FetchEventSource extends EventTarget implements EventSourceLike {
  private state = 0; // CONNECTING
  private readonly abort = new AbortController();

  constructor(url: string, headers: Record<string, string>, fetchImpl: typeof fetch = fetch) {
    super();
    void this.run(url, headers, fetchImpl);
  }

  get readyState(): number {
    return this.state;
  }

  close(): void {
    this.state = READY_STATE_CLOSED;
    this.abort.abort();
  }

  private async run(url: string, headers: Record<string, string>, fetchImpl: typeof fetch): Promise<void> {
    try {
      const response = await fetchImpl(url, {
        headers: { Accept: "text/event-stream", ...headers },
        signal: this.abort.signal,
      });
      if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
      this.state = 1; // OPEN
      this.dispatchEvent(new Event("open"));
      const parser = new SseParser();
      const decoder = new TextDecoder();
      const reader = response.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        for (const message of parser.push(decoder.decode(value, { stream: true }))) {
          if (this.state === READY_STATE_CLOSED) return;
          this.dispatchEvent(new MessageEvent(message.event, { data: message.data }));
        }
      }
    } catch {
      // Reported below as the `error` event, the way EventSource reports failures.
    }
    if (this.state !== READY_STATE_CLOSED) {
      this.state = READY_STATE_CLOSED;
      this.dispatchEvent(new Event("error"));
    }
  }
}

/** The browser's EventSource, or the fetch-based one when a bearer token is configured. */
export const defaultEventSourceFactory: EventSourceFactory = (url) => {
  const token = readToken();
  return token ? new FetchEventSource(url, { Authorization: `Bearer ${token}` }) : new EventSource(url);
};
