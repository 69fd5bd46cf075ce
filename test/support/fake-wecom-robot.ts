import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";

/** WeCom's limits for a group robot, as the fake enforces them. */
export const FAKE_WECOM_LIMITS = { perRobotPerMinute: 20, markdownBytes: 4096, imageBytes: 2 * 1024 * 1024 } as const;

/**
 * How the fake answers a call it was told to fail: a WeCom errcode (45009 rate
 * limited, 93000 invalid webhook, …) with HTTP 200 as WeCom does, an HTTP 5xx,
 * or no answer at all until the fake closes (a hung request).
 */
export type FakeWecomFailure = { type: "errcode"; errcode: number } | { type: "serverError" } | { type: "hang" };

/** One message a robot accepted. */
export type FakeWecomMessage = { msgtype: "markdown"; content: string } | { msgtype: "image"; bytes: Buffer };

/**
 * A WeCom group robot webhook (`POST /cgi-bin/webhook/send?key=…`) on loopback,
 * answering as WeCom does: HTTP 200 with `{ errcode, errmsg }`. It enforces
 * the robot's limits: more than 20 accepted messages in any 60 seconds to one
 * key is errcode 45009; markdown over 4096 bytes is 40058; an image message
 * must carry base64 whose decoded bytes match its md5 (else 40058) and are at
 * most 2 MB (else 40009). Only accepted messages use up the allowance.
 */
export interface FakeWecomRobot {
  /** The webhook URL of a robot with this key. */
  urlFor(key: string): string;
  /** Markdown contents received per key, oldest first. */
  received(key: string): string[];
  /** Every message a key accepted (markdown and images), oldest first. */
  messages(key: string): FakeWecomMessage[];
  /** The next `count` sends answer with this errcode instead of 0. */
  failNext(count: number, errcode: number): void;
  /** The next `count` sends fail as `failure` says; queued after earlier failures. */
  failNextWith(count: number, failure: FakeWecomFailure): void;
  /** Ends every hung call by closing its connection. */
  releaseHung(): void;
  close(): Promise<void>;
}

/** Options of {@link startFakeWecomRobot}. */
export interface FakeWecomRobotOptions {
  /** The clock the per-robot limit uses, in milliseconds; `Date.now` by default. */
  now?: () => number;
}

type Answer = { errcode: number; errmsg: string };

/** Validates one message body; the accepted message, or the errcode WeCom would answer. */
function parseMessage(raw: Buffer): FakeWecomMessage | Answer {
  let body: { msgtype?: unknown; markdown?: { content?: unknown }; image?: { base64?: unknown; md5?: unknown } };
  try {
    body = JSON.parse(raw.toString("utf8")) as typeof body;
  } catch {
    return { errcode: 40000, errmsg: "invalid json" };
  }
  if (body.msgtype === "markdown") {
    const content = body.markdown?.content;
    if (typeof content !== "string" || content === "") return { errcode: 40058, errmsg: "markdown.content is empty" };
    if (Buffer.byteLength(content, "utf8") > FAKE_WECOM_LIMITS.markdownBytes)
      return { errcode: 40058, errmsg: "markdown content exceeds 4096 bytes" };
    return { msgtype: "markdown", content };
  }
  if (body.msgtype === "image") {
    const { base64, md5 } = body.image ?? {};
    if (typeof base64 !== "string" || typeof md5 !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(base64))
      return { errcode: 40058, errmsg: "invalid image" };
    const bytes = Buffer.from(base64, "base64");
    if (bytes.length > FAKE_WECOM_LIMITS.imageBytes) return { errcode: 40009, errmsg: "invalid image size" };
    if (createHash("md5").update(bytes).digest("hex") !== md5.toLowerCase()) return { errcode: 40058, errmsg: "image md5 does not match" };
    return { msgtype: "image", bytes };
  }
  return { errcode: 40008, errmsg: "invalid message type" };
}

/** Starts a fake robot webhook on a free local port; close it after the test. */
export async function startFakeWecomRobot(options: FakeWecomRobotOptions = {}): Promise<FakeWecomRobot> {
  const now = options.now ?? Date.now;
  const accepted = new Map<string, FakeWecomMessage[]>();
  const acceptedAt = new Map<string, number[]>();
  const failures: FakeWecomFailure[] = [];
  const hung = new Set<() => void>();

  const answer = (response: ServerResponse, body: Answer) => {
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify(body));
  };

  const handle = async (request: IncomingMessage, response: ServerResponse, raw: Buffer) => {
    const url = new URL(request.url ?? "/", "http://fake.wecom");
    const key = url.searchParams.get("key");
    if (request.method !== "POST" || url.pathname !== "/cgi-bin/webhook/send" || !key)
      return answer(response, { errcode: 93000, errmsg: "invalid webhook url" });
    const failure = failures.shift();
    if (failure?.type === "errcode") return answer(response, { errcode: failure.errcode, errmsg: "injected failure" });
    if (failure?.type === "serverError") {
      response.writeHead(502, { "content-type": "text/html" });
      return response.end("<html><body>502 Bad Gateway</body></html>");
    }
    if (failure?.type === "hang") {
      await new Promise<void>((resolve) => {
        const release = () => {
          hung.delete(release);
          resolve();
        };
        hung.add(release);
        response.on("close", release);
      });
      if (!response.destroyed) request.socket.destroy();
      return;
    }
    const times = (acceptedAt.get(key) ?? []).filter((at) => at > now() - 60_000);
    acceptedAt.set(key, times);
    if (times.length >= FAKE_WECOM_LIMITS.perRobotPerMinute) return answer(response, { errcode: 45009, errmsg: "api freq out of limit" });
    const message = parseMessage(raw);
    if ("errcode" in message) return answer(response, message);
    times.push(now());
    accepted.set(key, [...(accepted.get(key) ?? []), message]);
    answer(response, { errcode: 0, errmsg: "ok" });
  };

  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => void handle(request, response, Buffer.concat(chunks)));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  const releaseHung = () => {
    for (const release of hung) release();
  };
  return {
    urlFor: (key) => `http://127.0.0.1:${port}/cgi-bin/webhook/send?key=${key}`,
    received: (key) => (accepted.get(key) ?? []).flatMap((message) => (message.msgtype === "markdown" ? [message.content] : [])),
    messages: (key) => [...(accepted.get(key) ?? [])],
    failNext: (count, errcode) => failures.push(...Array.from({ length: count }, () => ({ type: "errcode" as const, errcode }))),
    failNextWith: (count, failure) => failures.push(...Array.from({ length: count }, () => failure)),
    releaseHung,
    close: () =>
      new Promise<void>((resolve) => {
        releaseHung();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
