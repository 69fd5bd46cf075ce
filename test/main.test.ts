import { randomUUID } from "node:crypto";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, inject, it } from "vitest";
import { loadConfig } from "../src/config.ts";
import { startLinli } from "../src/app.ts";
import { openDatabase } from "../src/db/database.ts";
import { GridDirectory } from "../src/domain/grid/directory.ts";
import { createReportsService } from "../src/domain/reports/reports.ts";
import { createPostgresDatabase } from "./support/databases.ts";
import { startFakeTelegram } from "./support/fake-telegram.ts";
import { freePort } from "./support/global-setup.ts";
import { LABELLED_MESSAGES, TOWN_TIME_ZONE } from "./support/town.ts";

async function ask(httpUrl: string, clientId: string, text: string): Promise<string> {
  const response = await fetch(`${httpUrl}/api/chat`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ clientId, messageId: randomUUID(), message: { type: "text", text } }),
  });
  expect(response.status).toBe(200);
  const body = (await response.json()) as { replies: { text?: string }[] };
  return body.replies.map((reply) => reply.text ?? "").join("\n");
}

describe("the server deployment (PostgreSQL and Redis)", () => {
  it("starts on PostgreSQL and Redis, loads the town once, answers the lookup and reports both healthy", async () => {
    const env = {
      DATA_DIR: await mkdtemp(path.join(tmpdir(), "linli-server-")),
      DATABASE_URL: await createPostgresDatabase(),
      REDIS_URL: inject("redisUrl"),
      PORT: "0",
      LOG_LEVEL: "silent",
    };
    const first = await startLinli(loadConfig(env));
    try {
      expect(await ask(first.httpUrl, `client-${randomUUID().slice(0, 8)}`, "紫竹半岛归哪个片区管？")).toContain(
        "紫竹半岛居民区 属于【第四片区】",
      );
      const health = await fetch(`${first.httpUrl}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({
        status: "ok",
        database: { kind: "postgres", ok: true },
        sessions: { kind: "redis", ok: true },
        channels: { web: { ready: true } },
        media: { bytesUsed: 0, maxTotalBytes: 2 * 1024 ** 3, unattached: 0, unattachedBytes: 0 },
      });
    } finally {
      await first.stop();
    }

    // A second instance on the same database applies no migration twice and keeps the data.
    const second = await startLinli(loadConfig(env));
    try {
      expect(await ask(second.httpUrl, `client-${randomUUID().slice(0, 8)}`, "永德路12号")).toContain("永德路12号 属于【第二片区】");
    } finally {
      await second.stop();
    }
  });

  it("two instances sharing PostgreSQL and Redis keep one conversation going across both", async () => {
    const env = {
      DATA_DIR: await mkdtemp(path.join(tmpdir(), "linli-pair-")),
      DATABASE_URL: await createPostgresDatabase(),
      REDIS_URL: inject("redisUrl"),
      PORT: "0",
      LOG_LEVEL: "silent",
    };
    const [a, b] = await Promise.all([startLinli(loadConfig(env)), startLinli(loadConfig(env))]);
    try {
      const clientId = `client-${randomUUID().slice(0, 8)}`;
      expect(await ask(a.httpUrl, clientId, "/lang en")).toContain("Language set to English.");
      expect(await ask(b.httpUrl, clientId, "紫竹半岛")).toContain("Zizhu Peninsula Neighbourhood belongs to【District 4】");
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});

describe("closing the loop", () => {
  it("a web-chat resident's report is acknowledged by staff and the update reaches their browser", async () => {
    const databaseUrl = await createPostgresDatabase();
    const running = await startLinli(
      loadConfig({
        DATA_DIR: await mkdtemp(path.join(tmpdir(), "linli-loop-")),
        DATABASE_URL: databaseUrl,
        PORT: "0",
        LOG_LEVEL: "silent",
      }),
    );
    const staffSide = await openDatabase({ kind: "postgres", url: databaseUrl });
    try {
      const clientId = `client-${randomUUID().slice(0, 8)}`;
      const say = async (message: unknown) => {
        const response = await fetch(`${running.httpUrl}/api/chat`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ clientId, messageId: randomUUID(), message }),
        });
        return ((await response.json()) as { replies: { text?: string; options?: { label: string; value: string }[] }[] }).replies;
      };
      const press = async (replies: Awaited<ReturnType<typeof say>>, label: string) =>
        say({
          type: "choice",
          value: replies.flatMap((reply) => reply.options ?? []).find((option) => option.label.includes(label))!.value,
        });
      let replies = await say({ type: "text", text: "鹤庆路88号门口的纸箱堆了一个星期" });
      replies = await press(replies, "是的");
      replies = await press(replies, "跳过");
      if (replies.some((reply) => reply.text?.includes("哪家商户"))) replies = await press(replies, "不涉及");
      replies = await press(replies, "不用联系我");
      replies = await press(replies, "确认提交");
      const reference = /WJ-\d{4}-\d{6}/.exec(replies.map((reply) => reply.text).join("\n"))![0];

      const grid = await GridDirectory.open(staffSide.prisma, "wujing", LABELLED_MESSAGES);
      const staff = createReportsService({
        prisma: staffSide.prisma,
        sql: staffSide.sql,
        grid,
        townCode: "wujing",
        timeZone: TOWN_TIME_ZONE,
      });
      expect((await staff.acknowledge(reference, { staffId: "s-1", label: "第二路管会" })).type).toBe("ok");

      let update = "";
      for (let attempt = 0; attempt < 100 && !update; attempt++) {
        const polled = (await (await fetch(`${running.httpUrl}/api/updates`, { headers: { "x-client-id": clientId } })).json()) as {
          replies: { text: string }[];
        };
        update = polled.replies.map((reply) => reply.text).join("\n");
        if (!update) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(update).toContain(`您的举报 ${reference} 有新进展：已受理`);
    } finally {
      await staffSide.close();
      await running.stop();
    }
  });
});

describe("the embedded deployment", () => {
  it("GET /healthz reports the embedded database, memory sessions and the media folder's use", async () => {
    const running = await startLinli(
      loadConfig({ DATA_DIR: await mkdtemp(path.join(tmpdir(), "linli-embedded-")), PORT: "0", LOG_LEVEL: "silent" }),
    );
    try {
      const health = await fetch(`${running.httpUrl}/healthz`);
      expect(await health.json()).toEqual({
        status: "ok",
        database: { kind: "pglite", ok: true },
        sessions: { kind: "memory", ok: true },
        channels: { web: { ready: true } },
        media: { bytesUsed: 0, maxTotalBytes: 2 * 1024 ** 3, unattached: 0, unattachedBytes: 0 },
      });
    } finally {
      await running.stop();
    }
  });
});

describe("readiness", () => {
  it("GET /healthz is 503 naming Telegram until its webhook is registered, while the webhook itself answers 503, and 200 once start-up finished", async () => {
    const telegram = await startFakeTelegram({ token: "123456:READINESS-test-token_abcdefghij" });
    const port = await freePort();
    const release = telegram.holdCalls("setWebhook");
    const starting = startLinli(
      loadConfig({
        DATA_DIR: await mkdtemp(path.join(tmpdir(), "linli-readiness-")),
        PORT: String(port),
        LOG_LEVEL: "silent",
        TELEGRAM_BOT_TOKEN: telegram.token,
        TELEGRAM_API_ROOT: telegram.url,
        TELEGRAM_WEBHOOK_URL: "https://linli.example.org/telegram/webhook",
        TELEGRAM_WEBHOOK_SECRET: "readiness-webhook-secret",
      }),
    );
    const url = `http://127.0.0.1:${port}`;
    try {
      // The HTTP server listens before Telegram's start-up is done; setWebhook is held, so it cannot be done.
      await expect
        .poll(
          () =>
            fetch(`${url}/healthz`).then(
              (response) => response.status,
              () => undefined,
            ),
          { timeout: 20_000 },
        )
        .toBe(503);
      const notReady = await fetch(`${url}/healthz`);
      expect(notReady.status).toBe(503);
      expect(await notReady.json()).toMatchObject({
        status: "not ready",
        channels: { web: { ready: true }, telegram: { ready: false } },
        notReady: ["telegram"],
      });
      const webhook = await fetch(`${url}/telegram/webhook`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": "readiness-webhook-secret" },
        body: JSON.stringify(telegram.textUpdate({ id: 7001, first_name: "早到" }, "紫竹半岛")),
      });
      expect(webhook.status).toBe(503);

      release();
      const running = await starting;
      try {
        const ready = await fetch(`${running.httpUrl}/healthz`);
        expect(ready.status).toBe(200);
        expect(await ready.json()).toMatchObject({ status: "ok", channels: { web: { ready: true }, telegram: { ready: true } } });
      } finally {
        await running.stop();
      }
    } finally {
      release();
      await starting.catch(() => undefined);
      await telegram.close();
    }
  });
});
