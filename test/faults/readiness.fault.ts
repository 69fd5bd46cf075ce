import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createPostgresDatabase } from "../support/databases.ts";
import { startFakeTelegram, type FakeTelegram } from "../support/fake-telegram.ts";
import { freePort } from "../support/global-setup.ts";
import { SAMPLE_TOWN_FILE } from "../support/town.ts";
import { startAppProcess, type AppProcess } from "./support/app-process.ts";
import { TELEGRAM_TOKEN, WEBHOOK_SECRET } from "./support/secrets.ts";

/** A load balancer's view of an instance starting while the Bot API is slow to register its webhook. */
describe("readiness while Telegram is slow to take the webhook", () => {
  let telegram: FakeTelegram | undefined;
  let app: AppProcess | undefined;
  afterAll(async () => {
    await app?.kill();
    await telegram?.close();
  });

  it(
    "/healthz is 503 naming the Telegram channel for as long as setWebhook is unanswered, and 200 once it is",
    { timeout: 60_000 },
    async () => {
      telegram = await startFakeTelegram({ token: TELEGRAM_TOKEN });
      const release = telegram.holdCalls("setWebhook");
      const port = await freePort();
      const starting = startAppProcess("readiness", {
        DATA_DIR: await mkdtemp(path.join(tmpdir(), "linli-fault-readiness-")),
        DATABASE_URL: await createPostgresDatabase(),
        TOWN_DATA_FILE: SAMPLE_TOWN_FILE,
        PORT: String(port),
        LOG_LEVEL: "debug",
        TELEGRAM_BOT_TOKEN: TELEGRAM_TOKEN,
        TELEGRAM_API_ROOT: telegram.url,
        TELEGRAM_WEBHOOK_URL: "https://linli.example.org/telegram/webhook",
        TELEGRAM_WEBHOOK_SECRET: WEBHOOK_SECRET,
      });
      const healthz = () =>
        fetch(`http://127.0.0.1:${port}/healthz`).then(
          async (response) => ({ status: response.status, body: (await response.json()) as Record<string, unknown> }),
          () => undefined,
        );
      const answers = [];
      await expect.poll(async () => (await healthz())?.status, { timeout: 30_000 }).toBe(503);
      // Held for a while: every probe in that time says not ready, and which channel.
      for (let probe = 0; probe < 5; probe++) {
        answers.push(await healthz());
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(answers.map((answer) => [answer?.status, answer?.body.notReady])).toEqual(answers.map(() => [503, ["telegram"]]));
      expect(telegram.webhookInfo()).toBeUndefined();

      release();
      app = await starting;
      expect(telegram.webhookInfo()?.url).toBe("https://linli.example.org/telegram/webhook");
      const ready = await healthz();
      expect(ready).toMatchObject({ status: 200, body: { status: "ok", channels: { telegram: { ready: true } } } });
      expect(ready?.body.notReady).toBeUndefined();
    },
  );
});
