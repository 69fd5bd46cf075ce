import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { sessionKey } from "../../src/bot/dispatch.ts";
import { createMemoryStore } from "../../src/bot/sessions/memory-store.ts";
import { createRedisStore } from "../../src/bot/sessions/redis-store.ts";
import type { SessionStore } from "../../src/bot/sessions/store.ts";
import type { FlowServices } from "../../src/flows/kit/flow.ts";
import { SESSION_VERSION } from "../../src/flows/kit/engine.ts";
import { expectErrorLogs, testLogger } from "../support/logs.ts";
import { converse, shownText } from "../support/conversation.ts";
import { freePort } from "../support/global-setup.ts";
import { startRedisServer } from "../support/redis-server.ts";
import { openSampleServices, type SampleServices } from "../support/town.ts";

let town: SampleServices;
let services: FlowServices;
const silent = testLogger();
const key = sessionKey({ channel: "web", chatId: "resident-1", userId: "resident-1" });

beforeAll(async () => {
  town = await openSampleServices();
  services = town.services;
});
afterAll(async () => {
  await town.close();
});

const stores: [string, () => Promise<SessionStore>][] = [
  ["memory", async () => createMemoryStore()],
  ["redis", async () => createRedisStore({ url: inject("redisUrl"), keyPrefix: `test:${randomUUID()}:`, logger: silent })],
];

describe.each(stores)("the dispatcher on the %s session store", (_name, openStore) => {
  it("the same delivery arriving twice, even at the same moment, is answered once", async () => {
    const chat = converse(services, { store: await openStore() });
    const event = {
      channel: "web",
      userId: "resident-1",
      chatId: "resident-1",
      chatType: "private",
      messageId: "dup-1",
      payload: { type: "text", text: "紫竹半岛" },
    } as const;
    const [first, second] = await Promise.all([chat.dispatcher.handle(event), chat.dispatcher.handle(event)]);
    const answered = [first, second].filter((replies) => replies.length > 0);
    expect(answered).toHaveLength(1);
    expect(shownText(answered[0]!)).toContain("属于【第四片区】");
    expect(await chat.dispatcher.handle(event)).toEqual([]);
    await chat.store.close();
  });

  it("50 updates from one user at once are processed in order and the session stays intact", async () => {
    const chat = converse(services, { store: await openStore() });
    // Every tenth message switches the language; each answer must be in the language
    // chosen by the switches sent before it, which holds only if the order is kept.
    const sends = Array.from({ length: 50 }, (_, i) =>
      i % 10 === 0 ? chat.command("lang", (i / 10) % 2 === 0 ? "en" : "zh") : chat.text("紫竹半岛"),
    );
    const replies = await Promise.all(sends);
    replies.forEach((reply, i) => {
      if (i % 10 === 0) return;
      const english = Math.floor(i / 10) % 2 === 0;
      expect(shownText(reply), `message ${i}`).toContain(english ? "belongs to【District 4】" : "属于【第四片区】");
    });
    const stored = JSON.parse((await chat.store.read(key))!) as { v: number; locale: string };
    expect(stored).toMatchObject({ v: SESSION_VERSION, locale: "en" });
    await chat.store.close();
  });

  it("a corrupt session is discarded with an apology and the message is still answered", async () => {
    const store = await openStore();
    await store.write(key, "{not json", 60_000);
    const shown = shownText(await converse(services, { store }).text("紫竹半岛"));
    expect(shown).toContain("需要重新开始");
    expect(shown).toContain("属于【第四片区】");
    await store.close();
  });

  it("a session saved by an older version of a flow restarts that flow instead of misreading it", async () => {
    const store = await openStore();
    await store.write(
      key,
      JSON.stringify({
        v: SESSION_VERSION,
        locale: null,
        active: { flow: "lookup", version: 0, state: { step: 3 } },
        lastActiveAt: Date.now(),
      }),
      60_000,
    );
    const chat = converse(services, { store });
    const shown = shownText(await chat.text("紫竹半岛"));
    expect(shown).toContain("上次未完成的对话需要重新开始");
    expect(shown).toContain("属于【第四片区】");
    await store.close();
  });
});

describe("sessions and universal commands", () => {
  it("a conversation left idle past the timeout starts again with a notice", async () => {
    let now = new Date("2026-11-26T10:00:00Z");
    const chat = converse(services, { now: () => now, idleMs: 30 * 60_000 });
    await chat.command("lookup");
    now = new Date("2026-11-26T11:00:00Z");
    const shown = shownText(await chat.text("紫竹半岛"));
    expect(shown).toContain("很久没有继续");
    expect(shown).toContain("属于【第四片区】");
  });

  it("/lang switches every later reply to English and /lang zh back to Chinese", async () => {
    const chat = converse(services);
    expect(shownText(await chat.command("lang", "en"))).toContain("Language set to English.");
    expect(shownText(await chat.command("help"))).toContain("Who runs my district");
    expect(shownText(await chat.command("lang", "zh"))).toContain("已切换为中文");
    expect(shownText(await chat.command("lang"))).toContain("请选择语言 / Please choose a language");
  });

  it("/cancel ends the lookup in progress, and says so when nothing is in progress", async () => {
    const chat = converse(services);
    await chat.command("lookup");
    expect(shownText(await chat.command("cancel"))).toContain("已取消");
    expect(shownText(await chat.command("cancel"))).toContain("现在没有进行中的操作");
  });

  it("/start shows the main menu whose buttons start the flows and switch language", async () => {
    const chat = converse(services);
    const menu = (await chat.command("start")).find((reply) => reply.type === "choices");
    expect(menu?.type === "choices" && menu.options.map((option) => option.label)).toEqual([
      "📝 举报街区问题",
      "🏘 谁管我这片",
      "📋 我的举报",
      "🎓 社区课程",
      "❓ 使用帮助",
      "🌐 English",
    ]);
    if (menu?.type !== "choices") return;
    expect(shownText(await chat.choose(menu.options[1]!.value))).toContain("请告诉我您所在的小区或居民区名称");
    // Which classes are open depends on today's date; either answer comes from the classes flow.
    expect(shownText(await chat.choose(menu.options[3]!.value))).toMatch(/吴泾镇的社区课程|目前没有开放报名的课程/);
    expect(shownText(await chat.choose(menu.options[5]!.value))).toContain("Language set to English.");
  });

  it("an unknown command is answered with a pointer to /help", async () => {
    expect(shownText(await converse(services).command("frobnicate"))).toContain("没有“/frobnicate”这个命令");
  });

  it("/lookup with text answers at once", async () => {
    expect(shownText(await converse(services).command("lookup", "紫竹半岛"))).toContain("属于【第四片区】");
  });
});

describe("two processes sharing one Redis", () => {
  it("a delivery the channel hands to both at the same moment is answered by exactly one, and the next message sees its session", async () => {
    const keyPrefix = `test:${randomUUID()}:`;
    const [first, second] = await Promise.all([
      createRedisStore({ url: inject("redisUrl"), keyPrefix, logger: silent }),
      createRedisStore({ url: inject("redisUrl"), keyPrefix, logger: silent }),
    ]);
    try {
      const one = converse(services, { store: first });
      const other = converse(services, { store: second });
      const event = {
        channel: "web",
        userId: "resident-1",
        chatId: "resident-1",
        chatType: "private",
        messageId: "shared-1",
        payload: { type: "command", command: "lang", args: "en" },
      } as const;
      const answers = await Promise.all([one.dispatcher.handle(event), other.dispatcher.handle(event)]);
      expect(answers.filter((replies) => replies.length > 0)).toHaveLength(1);
      expect(shownText(await other.text("紫竹半岛"))).toContain("belongs to【District 4】");
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });
});

describe("when Redis goes away", () => {
  it("the resident is told the service is temporarily unavailable, and the conversation works again once Redis is back", async () => {
    // Each update the outage turns away is logged as failed, with Redis's error as its cause.
    expectErrorLogs(/"message":"update failed".*SessionStoreUnavailableError/);
    const port = await freePort();
    let server = await startRedisServer(port);
    const store = await createRedisStore({ url: server.url, keyPrefix: "outage:", logger: silent });
    try {
      const chat = converse(services, { store });
      expect(shownText(await chat.text("紫竹半岛"))).toContain("属于【第四片区】");
      await server.kill();
      expect(shownText(await chat.text("紫竹半岛"))).toContain("服务暂时不可用");
      server = await startRedisServer(port);
      let shown = "";
      for (let attempt = 0; attempt < 50 && !shown.includes("属于【第四片区】"); attempt++) {
        shown = shownText(await chat.text("紫竹半岛"));
        if (!shown.includes("属于")) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(shown).toContain("属于【第四片区】");
    } finally {
      await store.close();
      await server.kill();
    }
  });
});

describe("how long the dispatcher keeps a session", () => {
  it("a visitor who only asked something is forgotten after a day, one who chose a language is remembered", async () => {
    let clock = Date.parse("2026-12-07T08:00:00Z");
    const store = createMemoryStore({ now: () => clock });
    const now = () => new Date(clock);
    const passer = converse(services, { store, now, userId: "passer-by" });
    const regular = converse(services, { store, now, userId: "regular" });
    expect(shownText(await passer.text("紫竹半岛"))).toContain("属于【第四片区】");
    await regular.command("lang", "en");
    const keyOf = (userId: string) => sessionKey({ channel: "web", chatId: userId, userId });
    clock += 24 * 60 * 60_000 - 1;
    expect(await store.read(keyOf("passer-by"))).toBeDefined();
    clock += 2;
    expect(await store.read(keyOf("passer-by"))).toBeUndefined();
    clock += 30 * 24 * 60 * 60_000;
    expect(JSON.parse((await store.read(keyOf("regular")))!)).toMatchObject({ locale: "en" });
    await store.close();
  });
});
