import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MEDIA_CACHE_CONTROL } from "../../../../src/bot/channels/web/channel.ts";
import type { RunningHttpServer } from "../../../../src/bot/http/server.ts";
import { openMediaFixture, type MediaFixture } from "../../../support/media-fixture.ts";
import { TINY_PNG } from "../../../support/town.ts";
import { startWebChannelServer } from "../../../support/web-server.ts";

let media: MediaFixture;
let server: RunningHttpServer;

beforeAll(async () => {
  media = await openMediaFixture({ maxBytes: 256 * 1024 });
  server = await startWebChannelServer({ handle: async () => [] }, media.store);
});
afterAll(async () => {
  await server.close();
  await media.close();
});

describe("GET /api/media/<media id>", () => {
  it("serves a stored photo with its type, privately cacheable and never sniffed", async () => {
    const bytes = TINY_PNG(42);
    const stored = await media.store.put(bytes);
    if (!stored.ok) throw new Error(stored.reason);

    const response = await fetch(`${server.url}/api/media/${stored.mediaId}`);

    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("image/png");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("cache-control")).toBe(MEDIA_CACHE_CONTROL);
    expect(MEDIA_CACHE_CONTROL.startsWith("private, max-age=")).toBe(true);
    expect(Buffer.from(await response.arrayBuffer()).equals(bytes)).toBe(true);
  });

  it("answers 404 for an unknown id, a malformed one and anything deeper in the path", async () => {
    const statuses = await Promise.all(
      [
        "/api/media/0b8f8a4e-5d43-4d1f-9d0a-3c2f1b7e9a61",
        "/api/media/not-a-uuid",
        "/api/media/..%2F..%2Fetc%2Fpasswd",
        "/api/media/a/b",
        "/api/media/",
      ].map(async (path) => (await fetch(`${server.url}${path}`)).status),
    );

    expect(statuses).toEqual([404, 404, 404, 404, 404]);
  });

  it("answers 405 to anything but GET", async () => {
    const response = await fetch(`${server.url}/api/media/0b8f8a4e-5d43-4d1f-9d0a-3c2f1b7e9a61`, { method: "POST" });

    expect(response.status).toBe(405);
  });
});
