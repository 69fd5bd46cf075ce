import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWebInbox, type WebInbox } from "../../../../src/bot/channels/web/inbox.ts";
import { type RunningHttpServer } from "../../../../src/bot/http/server.ts";
import { createMemoryStore } from "../../../../src/bot/sessions/memory-store.ts";
import { startWebChannelServer } from "../../../support/web-server.ts";
import { openMediaFixture, type MediaFixture } from "../../../support/media-fixture.ts";

let media: MediaFixture;
let inbox: WebInbox;
let server: RunningHttpServer;

const poll = (clientId: string) => fetch(`${server.url}/api/updates`, { headers: { "x-client-id": clientId } });

beforeAll(async () => {
  media = await openMediaFixture({ maxBytes: 1024 * 1024 });
  inbox = createWebInbox(createMemoryStore());
  server = await startWebChannelServer({ handle: async () => [] }, media.store, inbox);
});
afterAll(async () => {
  await server.close();
  await media.close();
});

describe("report updates for web-chat users", () => {
  it("wait in the inbox until the page asks, are handed out once, oldest first", async () => {
    await inbox.deliver("browser-updates-1", [{ type: "text", text: "第一条" }]);
    await inbox.deliver("browser-updates-1", [{ type: "text", text: "第二条" }]);
    const first = await poll("browser-updates-1");
    expect(await first.json()).toEqual({
      replies: [
        { type: "text", text: "第一条" },
        { type: "text", text: "第二条" },
      ],
    });
    const again = await poll("browser-updates-1");
    expect(await again.json()).toEqual({ replies: [] });
  });

  it("another browser's updates are not handed out, and a bad client id is refused in both languages", async () => {
    await inbox.deliver("browser-updates-2", [{ type: "text", text: "私人更新" }]);
    expect(await (await poll("browser-updates-3")).json()).toEqual({ replies: [] });
    for (const bad of [await poll("<script>"), await fetch(`${server.url}/api/updates`)]) {
      expect(bad.status).toBe(400);
      const body = (await bad.json()) as { error: { message: { zh: string; en: string } } };
      expect(body.error.message.zh).toContain("x-client-id");
      expect(body.error.message.en).toContain("x-client-id");
    }
  });

  it("a client id in the address is refused, even a valid one with the header also set, and its updates stay in the inbox", async () => {
    await inbox.deliver("browser-updates-4", [{ type: "text", text: "留着" }]);
    const inAddress = await fetch(`${server.url}/api/updates?clientId=browser-updates-4`, {
      headers: { "x-client-id": "browser-updates-4" },
    });
    expect(inAddress.status).toBe(400);
    const body = (await inAddress.json()) as { error: { message: { zh: string; en: string } } };
    expect(body.error.message.zh).toContain("请求头");
    expect(body.error.message.en).toContain("header");
    expect(await (await poll("browser-updates-4")).json()).toEqual({ replies: [{ type: "text", text: "留着" }] });
  });
});
