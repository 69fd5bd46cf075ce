import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type RunningHttpServer } from "../../../../src/bot/http/server.ts";
import type { UpdateHandler } from "../../../../src/bot/update-handler.ts";
import type { InboundEvent, OutboundMessage } from "../../../../src/flows/kit/messages.ts";
import { TINY_PNG, TINY_TEXT_FILE } from "../../../support/town.ts";
import { startWebChannelServer } from "../../../support/web-server.ts";
import { openMediaFixture, type MediaFixture } from "../../../support/media-fixture.ts";

/** Records what reaches it; uploads must never reach it, only the photo message that follows. */
class RecordingHandler implements UpdateHandler {
  readonly events: InboundEvent[] = [];
  async handle(event: InboundEvent): Promise<OutboundMessage[]> {
    this.events.push(event);
    return [{ type: "text", text: `got ${event.payload.type}` }];
  }
}

type ErrorBody = { error: { code: string; message: { zh: string; en: string }; field?: string; maxBytes?: number } };

const MAX_BYTES = 256 * 1024;
const CLIENT = "browser_0001-abc";

let media: MediaFixture;
let handler: RecordingHandler;
let server: RunningHttpServer;

beforeAll(async () => {
  media = await openMediaFixture({ maxBytes: MAX_BYTES });
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

function upload(body: Buffer, headers: Record<string, string> = { "Content-Type": "image/png", "x-client-id": CLIENT }): Promise<Response> {
  return fetch(`${server.url}/api/upload`, { method: "POST", headers, body: new Uint8Array(body) });
}

function expectBilingual(error: ErrorBody["error"]): void {
  expect(error.message.zh).toMatch(/[\u4e00-\u9fff]/);
  expect(error.message.en).toMatch(/^[\x20-\x7e–]+$/);
}

describe("uploading a photo to the web chat", () => {
  it("stores a photo bigger than other routes accept and returns its id, which a photo message then carries", async () => {
    // 200 KB: over the server's 64 KiB default, under this route's own limit.
    const photo = Buffer.concat([TINY_PNG(21), Buffer.alloc(200 * 1024)]);
    const response = await upload(photo);
    expect(response.status).toBe(200);
    const { fileId } = (await response.json()) as { fileId: string };
    expect(await media.store.read(fileId)).toEqual({ bytes: photo, mimeType: "image/png" });
    expect(handler.events).toEqual([]);

    const chat = await fetch(`${server.url}/api/chat`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        clientId: CLIENT,
        messageId: "photo0001",
        message: { type: "photo", fileId, mimeType: "image/png", sizeBytes: 1 },
      }),
    });
    expect(chat.status).toBe(200);
    // Only the id travels on; a size or type the client claims is dropped.
    expect(handler.events.map((event) => event.payload)).toEqual([{ type: "photo", fileId }]);
  });

  it("gives the same id for the same photo uploaded twice", async () => {
    const first = (await (await upload(TINY_PNG(22))).json()) as { fileId: string };
    const second = (await (await upload(TINY_PNG(22))).json()) as { fileId: string };
    expect(second.fileId).toBe(first.fileId);
  });

  it("refuses a text file that claims to be a JPEG with 415, in Chinese and English, storing nothing", async () => {
    const before = await media.db.prisma.media.count();
    const response = await upload(TINY_TEXT_FILE, { "Content-Type": "image/jpeg", "x-client-id": CLIENT });
    expect(response.status).toBe(415);
    const { error } = (await response.json()) as ErrorBody;
    expect(error.code).toBe("not_an_image");
    expect(error.message.zh).toContain("JPEG");
    expect(error.message.en).toContain("JPEG");
    expectBilingual(error);
    expect(await media.db.prisma.media.count()).toBe(before);
  });

  it("refuses a body not declared as an image with 415, even when its bytes are a PNG", async () => {
    const response = await upload(TINY_PNG(23), { "Content-Type": "application/octet-stream", "x-client-id": CLIENT });
    expect(response.status).toBe(415);
    expect(((await response.json()) as ErrorBody).error.code).toBe("not_an_image");
  });

  it("refuses an upload without a valid x-client-id header with 400 naming the header", async () => {
    const withoutId: Record<string, string> = { "Content-Type": "image/png" };
    for (const headers of [withoutId, { ...withoutId, "x-client-id": "bad id!" }]) {
      const response = await upload(TINY_PNG(24), headers);
      expect(response.status).toBe(400);
      const { error } = (await response.json()) as ErrorBody;
      expect(error.field).toBe("x-client-id");
      expect(error.message.zh).toContain("x-client-id");
      expect(error.message.en).toContain("x-client-id");
      expectBilingual(error);
    }
  });

  it("refuses a photo over the limit with 413, naming the limit in both languages, storing nothing", async () => {
    const before = await media.db.prisma.media.count();
    const response = await upload(Buffer.concat([TINY_PNG(25), Buffer.alloc(MAX_BYTES)]));
    expect(response.status).toBe(413);
    const { error } = (await response.json()) as ErrorBody;
    expect(error.code).toBe("payload_too_large");
    expect(error.maxBytes).toBe(MAX_BYTES);
    expect(error.message.zh).toContain(String(MAX_BYTES));
    expect(error.message.en).toContain(String(MAX_BYTES));
    expectBilingual(error);
    expect(await media.db.prisma.media.count()).toBe(before);
  });

  it("keeps the 64 KiB limit on the chat route", async () => {
    const response = await fetch(`${server.url}/api/chat`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: "x".repeat(100 * 1024),
    });
    expect(response.status).toBe(413);
    expect(((await response.json()) as ErrorBody).error.maxBytes).toBe(64 * 1024);
  });

  it("gives a client that uploads more than 6 photos in a minute 429 with Retry-After, in both languages", async () => {
    // A visitor of its own: the photos earlier tests left unattached would meet the quota for them first.
    const headers = { "Content-Type": "image/png", "x-client-id": "browser_0003-ghi" };
    for (let i = 0; i < 6; i += 1) expect((await upload(TINY_PNG(100 + i), headers)).status).toBe(200);
    const limited = await upload(TINY_PNG(106), headers);
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    const { error } = (await limited.json()) as ErrorBody;
    expect(error.code).toBe("rate_limited");
    expect(error.message.zh).toContain(`${retryAfter} 秒`);
    expect(error.message.en).toContain(`${retryAfter} seconds`);

    expect((await upload(TINY_PNG(107), { "Content-Type": "image/png", "x-client-id": "browser_0002-def" })).status).toBe(200);
  });
});
