import type { Readable } from "node:stream";
import { Agent, request } from "undici";

/**
 * Every request Linli makes to another server (Bot API calls, file downloads,
 * WeCom robots and response_urls) goes through {@link httpRequest}.
 *
 * Why one client, and why this one: a conversation step costs one to three
 * Bot API calls, so their CPU is a large part of an update's. Of node-fetch
 * (grammY's default in Node), Node's global `fetch` and undici's `request`,
 * the last cost least CPU per call (docs/performance.md): it skips the WHATWG
 * streams and header objects `fetch` is defined with. One process-wide dispatcher keeps the
 * connections to each origin alive between calls.
 */
const dispatcher = new Agent({ keepAliveTimeout: 30_000, connections: 128 });

/** A request to send; `timeoutMs` bounds the whole exchange up to the answer's headers and body. */
export interface HttpCall {
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  body?: string | Buffer | Readable;
  /** Bound of the whole call; the error is then a DOMException named "TimeoutError". */
  timeoutMs?: number;
  /** Aborts the call from outside (grammY passes its own timeout this way). */
  signal?: AbortSignal;
}

/**
 * An answer whose body has not been read yet. Its contract: the caller reads
 * the body (`json()`, `text()`, `arrayBuffer()` or by iterating it) or
 * discards it with `dump()`, since an unread body keeps its connection from
 * serving the next request.
 */
export interface HttpAnswer {
  status: number;
  /** A 2xx status. */
  ok: boolean;
  /** Header values by lower-case name. */
  headers: Record<string, string | string[] | undefined>;
  body: AsyncIterable<Uint8Array> & {
    json(): Promise<unknown>;
    text(): Promise<string>;
    dump(): Promise<void>;
    destroy(error?: Error): void;
  };
}

/** Sends `init` to `url` on the shared keep-alive connections; rejects when the server cannot be reached, resets or times out. */
export async function httpRequest(url: string, init: HttpCall = {}): Promise<HttpAnswer> {
  const signals = [init.signal, init.timeoutMs === undefined ? undefined : AbortSignal.timeout(init.timeoutMs)].filter(
    (signal) => signal !== undefined,
  );
  const answer = await request(url, {
    dispatcher,
    method: init.method ?? "GET",
    headers: init.headers,
    body: init.body,
    signal: signals.length > 1 ? AbortSignal.any(signals) : signals[0],
  });
  return { status: answer.statusCode, ok: answer.statusCode >= 200 && answer.statusCode < 300, headers: answer.headers, body: answer.body };
}

/**
 * The `fetch` grammY's API client is given (its `client.fetch` option), on
 * {@link httpRequest}. grammY calls it with a URL and `{ method, headers,
 * body, signal }` (the body a JSON string or, for uploads, a multipart stream)
 * and reads nothing of the answer but `json()`; that subset is all this
 * implements, so it is typed as `fetch` only where grammY takes it.
 */
export const botApiFetch = (async (url: string | URL, init: RequestInit & { body?: string | Readable }) => {
  const answer = await httpRequest(String(url), {
    method: init.method === "GET" ? "GET" : "POST",
    headers: init.headers as Record<string, string> | undefined,
    body: init.body,
    signal: init.signal ?? undefined,
  });
  return { json: () => answer.body.json() };
}) as unknown as typeof fetch;
