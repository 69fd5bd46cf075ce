import { Agent, request as httpRequest, type IncomingMessage } from "node:http";
import { connect, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { HttpRequest, Route } from "../../../src/bot/http/route.ts";
import { DuplicateRouteError, startHttpServer, type RunningHttpServer } from "../../../src/bot/http/server.ts";
import { createLogger } from "../../../src/log.ts";

const SECURITY_HEADERS = { "x-content-type-options": "nosniff", "referrer-policy": "no-referrer", "x-frame-options": "DENY" };

const ok: Route = {
  method: "GET",
  path: "/ok",
  handle: async () => ({ status: 200, headers: { "Content-Type": "text/plain" }, body: "fine" }),
};

let server: RunningHttpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(routes: Route[], logLines: string[] = []): Promise<RunningHttpServer> {
  server = await startHttpServer({
    host: "127.0.0.1",
    port: 0,
    routes,
    logger: createLogger({ level: "debug", sink: (line) => logLines.push(line) }),
  });
  return server;
}

/** Resolves when `socket` has received a complete status line and header block. */
function responseHead(socket: Socket): Promise<{ status: number; head: string }> {
  return new Promise((resolve, reject) => {
    let received = "";
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString("latin1");
      const end = received.indexOf("\r\n\r\n");
      if (end >= 0) resolve({ status: Number(received.split(" ")[1]), head: received.slice(0, end).toLowerCase() });
    });
    socket.on("close", () => reject(new Error(`connection closed before a response; got ${JSON.stringify(received)}`)));
  });
}

function openSocket(url: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => resolve(socket));
    socket.once("error", reject);
  });
}

describe("the HTTP server", () => {
  it("reports the port the kernel picked and hands routes the parsed request", async () => {
    const seen: HttpRequest[] = [];
    const echo: Route = {
      method: "POST",
      path: "/echo",
      handle: async (request) => {
        seen.push(request);
        return { status: 201, body: request.body };
      },
    };
    const { url } = await start([echo]);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(new URL(url).port).not.toBe("0");

    const response = await fetch(`${url}/echo?town=wujing`, { method: "POST", headers: { "X-Probe": "yes" }, body: "紫竹半岛" });
    expect(response.status).toBe(201);
    expect(await response.text()).toBe("紫竹半岛");
    expect(seen).toHaveLength(1);
    expect(seen[0]?.path).toBe("/echo");
    expect(seen[0]?.query.get("town")).toBe("wujing");
    expect(seen[0]?.headers["x-probe"]).toBe("yes");
    expect(seen[0]?.remoteAddress).toBe("127.0.0.1");
  });

  it("answers an unknown path with 404 and the security headers", async () => {
    const { url } = await start([ok]);
    const response = await fetch(`${url}/nowhere`);
    expect(response.status).toBe(404);
    const body = (await response.json()) as { error: { code: string; message: { zh: string; en: string } } };
    expect(body.error.code).toBe("not_found");
    expect(body.error.message.zh).not.toBe("");
    expect(body.error.message.en).not.toBe("");
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) expect(response.headers.get(name)).toBe(value);
  });

  it("answers a known path asked with another method with 405 and Allow", async () => {
    const post: Route = { method: "POST", path: "/ok", handle: async () => ({ status: 204 }) };
    const { url } = await start([ok, post]);
    const response = await fetch(`${url}/ok`, { method: "DELETE" });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("GET, POST");
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) expect(response.headers.get(name)).toBe(value);
  });

  it("refuses two routes for the same method and path", async () => {
    await expect(start([ok, ok])).rejects.toBeInstanceOf(DuplicateRouteError);
  });

  it("refuses a declared 2 MB body with 413 before the client has sent it", async () => {
    let called = false;
    const upload: Route = { method: "POST", path: "/upload", handle: async () => ((called = true), { status: 204 }) };
    const { url } = await start([upload]);
    const socket = await openSocket(url);
    const head = responseHead(socket);
    const closed = new Promise((resolve) => socket.once("close", resolve));
    socket.on("error", () => undefined);
    // Only the header block and the first kilobyte of the promised 2 MB ever leave the client.
    socket.write(
      `POST /upload HTTP/1.1\r\nHost: test\r\nContent-Type: application/octet-stream\r\nContent-Length: ${2 * 1024 * 1024}\r\n\r\n`,
    );
    socket.write(Buffer.alloc(1024, 0x61));

    const response = await head;
    expect(response.status).toBe(413);
    expect(response.head).toContain("connection: close");
    expect(response.head).toContain("x-content-type-options: nosniff");
    await closed;
    expect(called).toBe(false);
  });

  it("stops reading a streamed 2 MB body with 413 as soon as it crosses the limit", async () => {
    let called = false;
    const upload: Route = { method: "POST", path: "/upload", handle: async () => ((called = true), { status: 204 }) };
    const { url } = await start([upload]);
    const socket = await openSocket(url);
    socket.on("error", () => undefined);
    let answered = false;
    const head = responseHead(socket).finally(() => (answered = true));
    socket.write("POST /upload HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n");

    const chunk = Buffer.alloc(16 * 1024, 0x62);
    let sent = 0;
    while (!answered && !socket.destroyed && sent < 2 * 1024 * 1024) {
      await new Promise<void>((resolve) =>
        socket.write(`${chunk.length.toString(16)}\r\n${chunk.toString("latin1")}\r\n`, "latin1", () => resolve()),
      );
      sent += chunk.length;
      // Let the event loop poll for the server's answer before sending more.
      await new Promise((resolve) => setImmediate(resolve));
    }

    const response = await head;
    expect(response.status).toBe(413);
    // The answer came while the client was still streaming, and the terminating
    // chunk was never sent: the server did not wait for (or read) the whole body.
    expect(sent).toBeGreaterThan(64 * 1024);
    expect(sent).toBeLessThan(2 * 1024 * 1024);
    expect(called).toBe(false);
  });

  it("answers a malformed request with 400 and oversized headers with 431, both with the security headers", async () => {
    const { url } = await start([ok]);
    const garbled = await openSocket(url);
    const garbledHead = responseHead(garbled);
    garbled.write("THIS IS NOT HTTP\r\n\r\n");
    const bad = await garbledHead;
    expect(bad.status).toBe(400);
    expect(bad.head).toContain("x-frame-options: deny");

    const bloated = await openSocket(url);
    bloated.on("error", () => undefined);
    const bloatedHead = responseHead(bloated);
    bloated.write(`GET /ok HTTP/1.1\r\nHost: test\r\nX-Padding: ${"a".repeat(64 * 1024)}\r\n\r\n`);
    const big = await bloatedHead;
    expect(big.status).toBe(431);
    expect(big.head).toContain("x-content-type-options: nosniff");
  });

  it("answers a throwing route with a generic 500 and keeps the error in the log only", async () => {
    const lines: string[] = [];
    const broken: Route = {
      method: "GET",
      path: "/broken",
      handle: async () => {
        throw new Error("database password hunter2 rejected");
      },
    };
    const { url } = await start([broken], lines);
    const response = await fetch(`${url}/broken`);
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(text).not.toContain("hunter2");
    expect(text).not.toContain("rejected");
    expect((JSON.parse(text) as { error: { code: string } }).error.code).toBe("internal");
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) expect(response.headers.get(name)).toBe(value);
    expect(lines.some((line) => line.includes("http route failed") && line.includes("hunter2"))).toBe(true);
  });

  it("adds the security headers to a route's own successful response", async () => {
    const { url } = await start([ok]);
    const response = await fetch(`${url}/ok`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("fine");
    expect(response.headers.get("content-length")).toBe("4");
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) expect(response.headers.get(name)).toBe(value);
  });

  it("close() lets a request in flight finish, closes idle keep-alive sockets and refuses new connections", async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const slowEntered = new Promise<void>((resolve) => (entered = resolve));
    const slow: Route = {
      method: "GET",
      path: "/slow",
      handle: async () => {
        entered();
        await released;
        return { status: 200, body: "done" };
      },
    };
    const running = await start([ok, slow]);
    const { hostname, port } = new URL(running.url);
    const get = (path: string, agent: Agent) =>
      new Promise<{ response: IncomingMessage; socket: Socket; body: string }>((resolve, reject) => {
        const req = httpRequest({ host: hostname, port: Number(port), path, agent }, (response) => {
          // The agent detaches the socket from the response once it is back in its pool.
          const socket = response.socket;
          let body = "";
          response.setEncoding("utf8");
          response.on("data", (chunk: string) => (body += chunk));
          response.on("end", () => resolve({ response, socket, body }));
        });
        req.on("error", reject);
        req.end();
      });

    const idleAgent = new Agent({ keepAlive: true });
    const busyAgent = new Agent({ keepAlive: true });
    try {
      const first = await get("/ok", idleAgent);
      expect(first.response.headers.connection).toBe("keep-alive");
      const idleSocket = first.socket;
      const idleClosed = new Promise((resolve) => idleSocket.once("close", resolve));

      const inFlight = get("/slow", busyAgent);
      await slowEntered;
      const closing = running.close();

      await idleClosed;
      await expect(openSocket(running.url)).rejects.toMatchObject({ code: "ECONNREFUSED" });

      release();
      const last = await inFlight;
      expect(last.response.statusCode).toBe(200);
      expect(last.body).toBe("done");
      expect(last.response.headers.connection).toBe("close");
      await closing;
    } finally {
      idleAgent.destroy();
      busyAgent.destroy();
    }
  });
});

describe("server-sent event responses", () => {
  it("a stream sends its events as they come, with the security headers, and learns when the client leaves", async () => {
    let left: Promise<void> | undefined;
    const ticker: Route = {
      method: "GET",
      path: "/events",
      handle: async () => ({
        status: 200,
        events: {
          start(send, closed) {
            send({ event: "case", data: '{"n":1}' });
            const timer = setTimeout(() => send({ event: "case", data: "two\nlines" }), 20);
            left = new Promise((resolve) => closed.addEventListener("abort", () => (clearTimeout(timer), resolve())));
          },
        },
      }),
    };
    const running = await start([ticker]);
    const controller = new AbortController();
    const response = await fetch(`${running.url}/events`, { signal: controller.signal });
    expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("content-length")).toBeNull();
    const reader = response.body!.getReader();
    let received = "";
    while (!received.includes("two lines")) {
      const { value, done } = await reader.read();
      if (done) break;
      received += new TextDecoder().decode(value);
    }
    // A newline inside the data would end the event early; it arrives flattened to one line.
    expect(received).toBe('event: case\ndata: {"n":1}\n\nevent: case\ndata: two lines\n\n');
    controller.abort();
    await expect(left).resolves.toBeUndefined();
  });

  it("closing the server ends open streams at once instead of waiting out the grace period", async () => {
    const stream: Route = { method: "GET", path: "/events", handle: async () => ({ status: 200, events: { start() {} } }) };
    const running = await start([stream]);
    const response = await fetch(`${running.url}/events`);
    const ended = response.text();
    const began = performance.now();
    await running.close();
    server = undefined;
    await expect(ended).resolves.toBe("");
    expect(performance.now() - began).toBeLessThan(2_000);
  });
});
