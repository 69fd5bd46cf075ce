import { createHash } from "node:crypto";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type RunningHttpServer } from "../../../../src/bot/http/server.ts";
import type { UpdateHandler } from "../../../../src/bot/update-handler.ts";
import { commandsFor, declaredCommands } from "../../../../src/flows/kit/commands.ts";
import type { InboundEvent, OutboundMessage } from "../../../../src/flows/kit/messages.ts";
import { FLOWS } from "../../../../src/flows/registry.ts";
import { startWebChannelServer } from "../../../support/web-server.ts";
import { openMediaFixture, type MediaFixture } from "../../../support/media-fixture.ts";

/** Records what reaches it and answers every event with a text naming the payload type. */
class RecordingHandler implements UpdateHandler {
  readonly events: InboundEvent[] = [];
  async handle(event: InboundEvent): Promise<OutboundMessage[]> {
    this.events.push(event);
    return [
      { type: "text", text: `got ${event.payload.type}` },
      { type: "choices", text: "选一个", options: [{ label: "紫竹半岛居民区", value: "nb:zizhu" }] },
    ];
  }
}

type ErrorBody = { error: { code: string; message: { zh: string; en: string }; field?: string } };

let handler: RecordingHandler;
let server: RunningHttpServer;
let media: MediaFixture;

beforeAll(async () => {
  media = await openMediaFixture({ maxBytes: 5 * 1024 * 1024 });
});
afterAll(async () => {
  await media.close();
});
beforeEach(async () => {
  handler = new RecordingHandler();
  server = await startWebChannelServer(handler, media.store);
});
afterEach(async () => {
  await server.close();
});

function postChat(body: unknown, contentType = "application/json"): Promise<Response> {
  return fetch(`${server.url}/api/chat`, {
    method: "POST",
    headers: { "Content-Type": contentType },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

const CLIENT = "browser_0001-abc";

describe("the web chat API", () => {
  it("hands a text message to the handler as a private web event and returns its replies", async () => {
    const response = await postChat({
      clientId: CLIENT,
      messageId: "m0000001",
      locale: "zh",
      message: { type: "text", text: "紫竹半岛归哪个片区管？" },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const body = (await response.json()) as { replies: OutboundMessage[] };
    expect(body.replies[0]).toEqual({ type: "text", text: "got text" });
    expect(body.replies[1]?.type).toBe("choices");
    expect(handler.events).toEqual([
      {
        channel: "web",
        userId: CLIENT,
        chatId: CLIENT,
        chatType: "private",
        messageId: `web:${CLIENT}:m0000001`,
        localeHint: "zh",
        origin: "web:127.0.0.1",
        payload: { type: "text", text: "紫竹半岛归哪个片区管？" },
      },
    ]);
  });

  it("turns /lang en into the lang command with its argument", async () => {
    const response = await postChat({ clientId: CLIENT, messageId: "m0000002", message: { type: "text", text: "/LANG en" } });
    expect(response.status).toBe(200);
    expect(handler.events[0]?.payload).toEqual({ type: "command", command: "lang", args: "en" });
    expect(handler.events[0]).not.toHaveProperty("localeHint");
  });

  it("keeps text that merely starts with a slash as text", async () => {
    await postChat({ clientId: CLIENT, messageId: "m0000003", message: { type: "text", text: "/永德路 12号" } });
    expect(handler.events[0]?.payload).toEqual({ type: "text", text: "/永德路 12号" });
  });

  it("passes a pressed choice and a shared location through unchanged", async () => {
    await postChat({ clientId: CLIENT, messageId: "m0000004", locale: "en", message: { type: "choice", value: "nb:zizhu" } });
    await postChat({ clientId: CLIENT, messageId: "m0000005", message: { type: "location", latitude: 31.03, longitude: 121.45 } });
    expect(handler.events.map((event) => event.payload)).toEqual([
      { type: "choice", value: "nb:zizhu" },
      { type: "location", latitude: 31.03, longitude: 121.45 },
    ]);
    expect(handler.events[0]?.localeHint).toBe("en");
  });

  const badBodies: [string, unknown, string, string][] = [
    ["bad JSON", '{"clientId": "browser_0001-abc", ', "bad_json", ""],
    ["a missing message", { clientId: CLIENT, messageId: "m0000006" }, "invalid_request", "message"],
    ["a missing messageId", { clientId: CLIENT, message: { type: "text", text: "hi" } }, "invalid_request", "messageId"],
    [
      "a 5,000-character text",
      { clientId: CLIENT, messageId: "m0000007", message: { type: "text", text: "长".repeat(5000) } },
      "invalid_request",
      "message.text",
    ],
    [
      "a clientId with a space",
      { clientId: "bad id!", messageId: "m0000008", message: { type: "text", text: "hi" } },
      "invalid_request",
      "clientId",
    ],
    [
      "a latitude out of range",
      { clientId: CLIENT, messageId: "m0000009", message: { type: "location", latitude: 91, longitude: 0 } },
      "invalid_request",
      "message.latitude",
    ],
    [
      "an unknown message type",
      { clientId: CLIENT, messageId: "m0000010", message: { type: "sticker" } },
      "invalid_request",
      "message.type",
    ],
    [
      "a choice value over 64 bytes",
      { clientId: CLIENT, messageId: "m0000011", message: { type: "choice", value: "片".repeat(22) } },
      "invalid_request",
      "message.value",
    ],
    [
      "a photo whose fileId is a path",
      { clientId: CLIENT, messageId: "m0000016", message: { type: "photo", fileId: "../../etc/passwd" } },
      "invalid_request",
      "message.fileId",
    ],
    ["a JSON array", [], "invalid_request", ""],
  ];

  it.each(badBodies)("answers %s with 400 in Chinese and English, and the handler never sees it", async (_name, body, code, field) => {
    const response = await postChat(body);
    expect(response.status).toBe(400);
    const error = ((await response.json()) as ErrorBody).error;
    expect(error.code).toBe(code);
    if (code === "invalid_request") {
      expect(error.field).toBe(field);
      if (field) {
        expect(error.message.zh).toContain(field);
        expect(error.message.en).toContain(field);
      }
    }
    expect(error.message.zh).toMatch(/[\u4e00-\u9fff]/);
    expect(error.message.en).toMatch(/^[\x20-\x7e–]+$/);
    expect(handler.events).toEqual([]);
  });

  it("answers a body that is not declared as JSON with 415", async () => {
    const response = await postChat({ clientId: CLIENT, messageId: "m0000012", message: { type: "text", text: "hi" } }, "text/plain");
    expect(response.status).toBe(415);
    const error = ((await response.json()) as ErrorBody).error;
    expect(error.message.zh).toContain("JSON");
    expect(error.message.en).toContain("application/json");
    expect(handler.events).toEqual([]);
  });

  it("accepts JSON declared with a charset parameter", async () => {
    const response = await postChat(
      { clientId: CLIENT, messageId: "m0000013", message: { type: "text", text: "hi" } },
      "application/json; charset=utf-8",
    );
    expect(response.status).toBe(200);
  });

  it("gives a client that sends more than 20 messages in 10 seconds 429 with Retry-After", async () => {
    for (let i = 0; i < 20; i += 1) {
      const response = await postChat({
        clientId: CLIENT,
        messageId: `burst${String(i).padStart(4, "0")}`,
        message: { type: "text", text: `${i}` },
      });
      expect(response.status).toBe(200);
    }
    const limited = await postChat({ clientId: CLIENT, messageId: "burst0020", message: { type: "text", text: "one more" } });
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(10);
    const error = ((await limited.json()) as ErrorBody).error;
    expect(error.code).toBe("rate_limited");
    expect(error.message.zh).toContain(`${retryAfter} 秒`);
    expect(error.message.en).toContain(`${retryAfter} seconds`);
    expect(handler.events).toHaveLength(20);

    const otherClient = await postChat({ clientId: "browser_0002-def", messageId: "m0000014", message: { type: "text", text: "hi" } });
    expect(otherClient.status).toBe(200);
  });

  it("gives one address 429 after 120 messages even when each comes from a new client id", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 121; i += 1) {
      const response = await postChat({
        clientId: `client${String(i).padStart(4, "0")}`,
        messageId: "m0000015",
        message: { type: "text", text: "hi" },
      });
      statuses.push(response.status);
    }
    expect(statuses.slice(0, 120).every((status) => status === 200)).toBe(true);
    expect(statuses[120]).toBe(429);
    expect(handler.events).toHaveLength(120);
  });

  it("serves the command menu it was given for the page's help, each command with its zh and en descriptions", async () => {
    const response = await fetch(`${server.url}/api/commands`);
    expect(response.status).toBe(200);
    const menu = commandsFor(declaredCommands(FLOWS));
    expect(await response.json()).toEqual({
      commands: menu.map((entry) => ({ command: entry.name, description: { zh: entry.description.zh, en: entry.description.en } })),
    });
  });

  it("serves the page under a policy that admits exactly its own inline script and style", async () => {
    const response = await fetch(`${server.url}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const html = await response.text();
    const policy = response.headers.get("content-security-policy") ?? "";
    const sha = (text: string | undefined) =>
      `'sha256-${createHash("sha256")
        .update(text ?? "")
        .digest("base64")}'`;
    expect(policy).toContain("default-src 'none'");
    expect(policy).toContain(`script-src ${sha(/<script>([\s\S]*?)<\/script>/.exec(html)?.[1])}`);
    expect(policy).toContain(`style-src ${sha(/<style>([\s\S]*?)<\/style>/.exec(html)?.[1])}`);
    expect(policy).not.toContain("unsafe-inline");
    expect(policy).toContain("frame-ancestors 'none'");
    // Thumbnails of the user's own photos are data: URLs; uploads go to our own origin.
    expect(policy).toContain("img-src 'self' data:");
    expect(policy).toContain("connect-src 'self'");
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)="https?:/);
  });

  it("offers a photo button for images only and tells the page the upload limit, outside the hashed script", async () => {
    const html = await (await fetch(`${server.url}/`)).text();
    expect(html).toContain('<button type="button" id="photo" aria-label="添加照片" title="添加照片">📷</button>');
    expect(html).toContain('<input type="file" id="photo-input" accept="image/*" hidden>');
    expect(html).toContain(`<meta name="linli-max-photo-bytes" content="${5 * 1024 * 1024}">`);
  });

  it("writes the town's words into the page as escaped text, never as markup, and keeps the same script hash", async () => {
    const before = await fetch(`${server.url}/`);
    const odd = await startWebChannelServer(handler, media.store, undefined, {
      name: { zh: '青"禾<script>镇', en: "Q&A $& Town" },
      neighbourhood: undefined,
    });
    try {
      const response = await fetch(`${odd.url}/`);
      const html = await response.text();
      expect(html).toContain('<meta name="linli-town-zh" content="青&quot;禾&lt;script&gt;镇">');
      expect(html).toContain('<meta name="linli-town-en" content="Q&amp;A $&amp; Town">');
      expect(html).toContain('<meta name="linli-neighbourhood-zh" content="">');
      expect(html.match(/<script>/g)).toHaveLength(1);
      expect(response.headers.get("content-security-policy")).toBe(before.headers.get("content-security-policy"));
    } finally {
      await odd.close();
    }
  });
});
