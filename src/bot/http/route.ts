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

/** What a route answers; the server adds nothing but Content-Length. */
export interface HttpResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
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
