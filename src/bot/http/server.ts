import { chmod } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { Locale } from "../../flows/kit/messages.ts";
import type { Logger } from "../../log.ts";
import type { EventStream, HttpRequest, HttpResponse, Route } from "./route.ts";

/**
 * A route as the server mounts it. Most endpoints take small JSON and live with
 * the server-wide body limit; one that takes files (the web chat's photo
 * upload) declares its own.
 */
export interface MountedRoute extends Route {
  /** Largest request body this route accepts, instead of the server's `maxBodyBytes`. */
  maxBodyBytes?: number;
}

/**
 * Where {@link startHttpServer} listens: a TCP address, or a Unix socket
 * (the admin endpoint), which is made readable and writable by its owner only.
 */
export type ListenOn =
  | {
      host: string;
      /** `0` lets the kernel pick a free port; the returned `url` names the real one. */
      port: number;
    }
  | { socketPath: string };

/** Options of {@link startHttpServer}. */
export type HttpServerOptions = ListenOn & {
  routes: readonly MountedRoute[];
  logger: Logger;
  /** Largest request body accepted by routes without their own limit; a bigger one gets 413 without being read. Default 64 KiB. */
  maxBodyBytes?: number;
};

/** A listening server; `close()` is the only way to stop it cleanly. */
export interface RunningHttpServer {
  /** `http://host:port` with the port actually bound, or `unix:<path>` for a socket. */
  url: string;
  /**
   * Stops accepting connections, closes idle keep-alive sockets at once, lets
   * requests in flight finish for up to {@link SHUTDOWN_GRACE_MS} and then cuts
   * whatever is left, so a shutdown never hangs on a slow client.
   */
  close(): Promise<void>;
}

/** Raised when two routes claim the same method and path, which would make one of them unreachable. */
export class DuplicateRouteError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
  ) {
    super(`Two routes are registered for ${method} ${path}`);
    this.name = "DuplicateRouteError";
  }
}

const DEFAULT_MAX_BODY_BYTES = 64 * 1024;
// A slow-loris client must not hold a socket for long; our bodies are small.
const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 30_000;
const KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** How long `close()` waits for requests in flight before closing their sockets. */
export const SHUTDOWN_GRACE_MS = 10_000;
/** How often an open event stream sends a comment line, below the idle timeouts of common proxies. */
const EVENT_STREAM_HEARTBEAT_MS = 25_000;

/** Sent with every response, including errors, so no page of ours can be framed or sniffed. */
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "X-Frame-Options": "DENY",
};

/**
 * The JSON error body every endpoint of ours answers with: a stable `code` for
 * programs and a sentence in each locale for people, plus optional `details`
 * (such as the offending field). Shared so the server's own errors and the
 * routes' errors look the same to a client.
 */
export function jsonError(
  status: number,
  code: string,
  message: Record<Locale, string>,
  options: { headers?: Record<string, string>; details?: Record<string, unknown> } = {},
): HttpResponse {
  return {
    status,
    headers: { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store", ...options.headers },
    body: JSON.stringify({ error: { code, message, ...options.details } }),
  };
}

const NOT_FOUND = jsonError(404, "not_found", { zh: "找不到这个地址。", en: "There is nothing at this address." });
const BAD_TARGET = jsonError(400, "bad_request", { zh: "请求地址无法解析。", en: "The request address cannot be parsed." });
const INTERNAL = jsonError(500, "internal", {
  zh: "服务器出了点问题，请稍后再试。",
  en: "Something went wrong on our side. Please try again later.",
});

/**
 * Starts the one HTTP server of the process on `node:http`. Routing is exact on
 * path and method: an unknown path is 404 and a known path asked with another
 * method is 405 with `Allow`. Bodies are read up to the route's own
 * `maxBodyBytes`, or the server's, before the route runs; a larger body is
 * answered 413 (with the limit as `maxBytes`) as soon as it is detected (from
 * `Content-Length` before any byte is read, or while streaming) and the
 * connection is closed instead of draining it. A throwing route yields a
 * generic 500 and the error goes to the log only.
 */
export async function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  const { logger } = options;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const byPath = new Map<string, Map<string, MountedRoute>>();
  for (const route of options.routes) {
    const methods = byPath.get(route.path) ?? new Map<string, MountedRoute>();
    if (methods.has(route.method)) throw new DuplicateRouteError(route.method, route.path);
    methods.set(route.method, route);
    byPath.set(route.path, methods);
  }

  let closing = false;
  const answering = new WeakSet<Socket>();
  const server = createServer(
    { requestTimeout: REQUEST_TIMEOUT_MS, headersTimeout: HEADERS_TIMEOUT_MS, keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS },
    (req, res) => {
      const socket = req.socket;
      answering.add(socket);
      res.once("close", () => answering.delete(socket));
      void serve(req, res).catch((error: unknown) => {
        logger.error("http response failed", { error });
        res.destroy();
      });
    },
  );

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const method = req.method ?? "GET";
    let target: URL;
    try {
      target = new URL(req.url ?? "/", "http://localhost");
    } catch {
      return send(req, res, BAD_TARGET, started);
    }
    // A route path ending in "/*" (e.g. "/api/media/*") also takes any one last segment in its place.
    const methods = byPath.get(target.pathname) ?? byPath.get(target.pathname.replace(/\/[^/]+$/, "/*"));
    if (!methods) return send(req, res, NOT_FOUND, started);
    const route = methods.get(method);
    if (!route) {
      const allow = [...methods.keys()].sort().join(", ");
      return send(
        req,
        res,
        jsonError(
          405,
          "method_not_allowed",
          { zh: `此地址只接受 ${allow} 请求。`, en: `This address accepts ${allow} only.` },
          { headers: { Allow: allow } },
        ),
        started,
      );
    }

    const limit = route.maxBodyBytes ?? maxBodyBytes;
    const body = await readBody(req, limit);
    if (body === "too-large") {
      return send(
        req,
        res,
        jsonError(
          413,
          "payload_too_large",
          { zh: `请求内容太大，上限为 ${limit} 字节。`, en: `The request body is too large; the limit is ${limit} bytes.` },
          { headers: { Connection: "close" }, details: { maxBytes: limit } },
        ),
        started,
      );
    }
    if (body === "aborted") return;

    const request: HttpRequest = {
      method,
      path: target.pathname,
      query: target.searchParams,
      headers: flattenHeaders(req.headers),
      body,
      remoteAddress: req.socket.remoteAddress,
    };
    let response: HttpResponse;
    try {
      response = await route.handle(request);
    } catch (error) {
      logger.error("http route failed", { method, path: target.pathname, error });
      response = INTERNAL;
    }
    send(req, res, response, started);
  }

  function send(req: IncomingMessage, res: ServerResponse, response: HttpResponse, started: number): void {
    if (res.headersSent || res.destroyed) return;
    if (response.events) return openEventStream(res, response, response.events);
    const body = response.body ?? "";
    const headers: Record<string, string> = { ...SECURITY_HEADERS, ...response.headers };
    // During shutdown a keep-alive client must not reuse this socket; and a body we
    // did not read is not drained either (Node would read all of it to reuse the socket).
    if (closing || (!req.complete && hasBody(req))) headers.Connection = "close";
    headers["Content-Length"] = String(Buffer.byteLength(body));
    res.writeHead(response.status, headers);
    res.end(body);
    logger.debug("http request", {
      method: req.method,
      path: req.url?.split("?")[0],
      status: response.status,
      ms: Math.round(performance.now() - started),
    });
  }

  /** Streams stay open until their client leaves; `close()` ends them first so shutdown is not held by the grace period. */
  const openStreams = new Set<AbortController>();
  function openEventStream(res: ServerResponse, response: HttpResponse, events: EventStream): void {
    res.writeHead(response.status, {
      ...SECURITY_HEADERS,
      ...response.headers,
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-store",
      // Reverse proxies that buffer responses would hold events back until the buffer fills.
      "X-Accel-Buffering": "no",
    });
    // Node holds the head back until the first write; the client should know at once that the stream is open.
    res.flushHeaders();
    const closed = new AbortController();
    openStreams.add(closed);
    const heartbeat = setInterval(() => res.write(": keep-alive\n\n"), EVENT_STREAM_HEARTBEAT_MS);
    heartbeat.unref();
    closed.signal.addEventListener("abort", () => {
      clearInterval(heartbeat);
      openStreams.delete(closed);
      res.end();
    });
    res.once("close", () => closed.abort());
    // Data is one line by contract; a newline inside would split the event, so it cannot get through.
    events.start(({ event, data }) => {
      if (!closed.signal.aborted) res.write(`event: ${event}\ndata: ${data.replace(/[\r\n]+/g, " ")}\n\n`);
    }, closed.signal);
    if (closing) closed.abort();
  }

  // A protocol error (bad request line, oversized headers, timeout) is answered by
  // us rather than by Node so it carries the security headers too; Node's codes are
  // kept. On a socket whose request is being answered a second response would
  // corrupt the stream, so that socket is just closed.
  server.on("clientError", (error: NodeJS.ErrnoException, socket: Socket) => {
    logger.debug("http client error", { code: error.code });
    if (!socket.writable || answering.has(socket)) {
      socket.destroy();
      return;
    }
    const status =
      error.code === "HPE_HEADER_OVERFLOW"
        ? "431 Request Header Fields Too Large"
        : error.code === "ERR_HTTP_REQUEST_TIMEOUT"
          ? "408 Request Timeout"
          : "400 Bad Request";
    const headers = Object.entries(SECURITY_HEADERS)
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join("");
    socket.end(`HTTP/1.1 ${status}\r\n${headers}Connection: close\r\nContent-Length: 0\r\n\r\n`);
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    const listening = () => {
      server.off("error", reject);
      resolve();
    };
    if ("socketPath" in options) server.listen(options.socketPath, listening);
    else server.listen(options.port, options.host, listening);
  });
  let url: string;
  if ("socketPath" in options) {
    await chmod(options.socketPath, 0o600);
    url = `unix:${options.socketPath}`;
  } else {
    const address = server.address() as AddressInfo;
    const hostForUrl = address.family === "IPv6" ? `[${address.address}]` : address.address;
    url = `http://${hostForUrl}:${address.port}`;
  }
  logger.info("http server listening", { url });

  let closed: Promise<void> | undefined;
  return {
    url,
    close() {
      closed ??= new Promise<void>((resolve, reject) => {
        closing = true;
        for (const stream of openStreams) stream.abort();
        const force = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
        force.unref();
        server.close((error) => {
          clearTimeout(force);
          if (error) reject(error);
          else resolve();
        });
        server.closeIdleConnections();
      });
      return closed;
    },
  };
}

/**
 * Reads the body up to `limit` bytes. A declared `Content-Length` over the limit
 * is refused before reading; a streamed body is refused at the first chunk that
 * crosses it, and nothing more is buffered.
 */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | "too-large" | "aborted"> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) return Promise.resolve("too-large");
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        req.pause();
        resolve("too-large");
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onAbort = () => {
      cleanup();
      resolve("aborted");
    };
    const cleanup = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onAbort);
      req.off("close", onAbort);
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onAbort);
    req.on("close", onAbort);
  });
}

function hasBody(req: IncomingMessage): boolean {
  return req.headers["transfer-encoding"] !== undefined || Number(req.headers["content-length"] ?? 0) > 0;
}

function flattenHeaders(headers: IncomingMessage["headers"]): Record<string, string | undefined> {
  // No prototype: a route reading a header nobody sent gets undefined, whatever its name.
  const flat: Record<string, string | undefined> = Object.create(null) as Record<string, string | undefined>;
  for (const [name, value] of Object.entries(headers)) {
    flat[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return flat;
}
