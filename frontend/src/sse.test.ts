import { describe, expect, it } from "vitest";
import { FetchEventSource, SseParser, jobEventsUrl } from "./sse";

describe("SseParser", () => {
  it("yields named events split across arbitrary chunk boundaries", () => {
    const parser = new SseParser();
    const stream = 'event: status\ndata: {"a":1}\n\n: keep-alive\n\nevent: done\r\ndata: {"b":2}\r\n\r\n';
    const messages = [...stream].flatMap((char) => parser.push(char));
    expect(messages).toEqual([
      { event: "status", data: '{"a":1}' },
      { event: "done", data: '{"b":2}' },
    ]);
  });

  it("joins multi-line data and defaults the name to message", () => {
    const parser = new SseParser();
    expect(parser.push("data: one\ndata:two\nid: 7\n\n")).toEqual([{ event: "message", data: "one\ntwo" }]);
  });

  it("emits nothing for an event without data", () => {
    expect(new SseParser().push("event: status\n\n")).toEqual([]);
  });
});

describe("FetchEventSource", () => {
  it("sends the headers and dispatches each named event, then error when the stream ends", async () => {
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode("event: status\ndata: {}\n\nevent: do"));
        controller.enqueue(encoder.encode("ne\ndata: {}\n\n"));
        controller.close();
      },
    });
    let sentHeaders: Headers | null = null;
    const fakeFetch = async (_url: RequestInfo | URL, init?: RequestInit) => {
      sentHeaders = new Headers(init?.headers);
      return new Response(body, { status: 200, headers: { "Content-Type": "text/event-stream" } });
    };
    const source = new FetchEventSource("/api/v1/jobs/x/events", { Authorization: "Bearer t" }, fakeFetch as typeof fetch);
    const seen: string[] = [];
    const ended = new Promise<void>((resolve) => source.addEventListener("error", () => resolve()));
    source.addEventListener("status", () => seen.push("status"));
    source.addEventListener("done", () => seen.push("done"));
    await ended;
    expect(seen).toEqual(["status", "done"]);
    expect(sentHeaders!.get("Authorization")).toBe("Bearer t");
    expect(source.readyState).toBe(2);
  });

  it("reports an HTTP error as error and closes", async () => {
    const fakeFetch = async () => new Response("{}", { status: 401 });
    const source = new FetchEventSource("/x", {}, fakeFetch as typeof fetch);
    await new Promise<void>((resolve) => source.addEventListener("error", () => resolve()));
    expect(source.readyState).toBe(2);
  });
});

describe("jobEventsUrl", () => {
  it("fills the contract's path template", () => {
    expect(jobEventsUrl("6d9bc230-c6f3-490b-b589-f7c3fe664949")).toBe(
      "/api/v1/jobs/6d9bc230-c6f3-490b-b589-f7c3fe664949/events",
    );
  });
});
