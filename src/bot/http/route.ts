/** A request as the HTTP server hands it to a route: body already read and size-limited. */
export interface HttpRequest {
  method: string;
  /** Path without the query string, e.g. `/api/chat`. */
  path: string;
  query: URLSearchParams;
  /** Lower-case header names. */
  headers: Record<string, string | undefined>;
  body: Buffer;
  /** The peer address, for rate limiting; never logged together with message content. */
  remoteAddress: string | undefined;
}

/** What a route answers; the server adds nothing but Content-Length (or, for `events`, the stream's own headers). */
export interface HttpResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Instead of a body: keep the response open and send server-sent events until the client leaves or the server closes. */
  events?: EventStream;
}

/** One server-sent event: a name the client listens for and its data (one line of text, usually JSON). */
export interface ServerSentEvent {
  event: string;
  data: string;
}

/**
 * A response that stays open (`text/event-stream`). The server calls `start`
 * once the headers are out with a `send` for events and a signal that aborts
 * when the client disconnects or the server shuts down; the stream must stop
 * sending and release what it holds when the signal aborts. The server itself
 * sends a comment line now and then so proxies keep the connection.
 */
export interface EventStream {
  start(send: (event: ServerSentEvent) => void, closed: AbortSignal): void;
}

/**
 * One endpoint. Channels contribute routes (web chat page and API, Telegram
 * webhook) and the composition root mounts them on one server, so a channel
 * never owns a listening socket of its own.
 */
export interface Route {
  method: "GET" | "POST";
  path: string;
  handle(request: HttpRequest): Promise<HttpResponse>;
}
