import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningLinli } from "../../src/app.ts";
import { zh } from "../../src/flows/i18n/zh.ts";
import { createPostgresDatabase } from "../support/databases.ts";
import { replyCard, startFakeWecomBot, streamText, type FakeWecomBot, type FakeWecomUser } from "../support/fake-wecom-bot.ts";
import { freePort } from "../support/global-setup.ts";
import { startRedisServer, type RedisServer } from "../support/redis-server.ts";
import { TINY_PNG } from "../support/town.ts";
import { startApp } from "./support/app.ts";

const resident: FakeWecomUser = { userid: "repeat-resident" };
/** The markdown with the renderer's escapes removed, for comparing with catalog sentences. */
const said = (markdown: string) => markdown.replace(/\\(.)/g, "$1");

/** Two instances behind a load balancer, on one PostgreSQL and one Redis, with WeCom delivering again what it got no answer for in time. */
describe("WeCom redelivering a message the app was slow to answer", () => {
  let fake: FakeWecomBot;
  let redis: RedisServer;
  const apps: RunningLinli[] = [];
  let callbacks: string[];

  beforeAll(async () => {
    fake = await startFakeWecomBot();
    redis = await startRedisServer(await freePort());
    const databaseUrl = await createPostgresDatabase();
    for (const name of ["wecom-repeat-a", "wecom-repeat-b"]) {
      apps.push(
        await startApp(name, {
          DATABASE_URL: databaseUrl,
          REDIS_URL: redis.url,
          WECOM_BOT_TOKEN: fake.token,
          WECOM_BOT_ENCODING_AES_KEY: fake.encodingAesKey,
        }),
      );
    }
    callbacks = apps.map((app) => `${app.httpUrl}/wecom/callback`);
    fake.target(callbacks[0]!);
  });
  afterAll(async () => {
    for (const app of apps) await app.stop();
    await redis?.kill();
    await fake?.close();
  });

  it("the repeat, sent to the other instance while the first delivery is still being handled, waits for it and gets its answer; the photo counts once", async () => {
    const suggestion = await fake.userSends(resident, "鹤庆路88号门口的纸箱堆了一个星期");
    await fake.userClicks(resident, replyCard(suggestion)!, zh.report.yes);
    const downloadsBefore = fake.downloads();
    fake.delayImages(3_000);
    const { abandoned, result } = await fake.deliverWithRetries(fake.imageMessage(resident, TINY_PNG(61)), {
      answerWithinMs: 2_000,
      attempts: 3,
      via: callbacks,
    });
    fake.delayImages(0);
    expect(abandoned).toBe(1);
    expect(result?.status).toBe(200);
    expect(said(streamText(result!))).toContain(zh.report.photoSaved(1));
    expect(fake.downloads()).toBe(downloadsBefore + 1);
    fake.target(callbacks[1]!);
    expect(said(streamText(await fake.userSendsImage(resident, TINY_PNG(62))))).toContain(zh.report.photoSaved(2));
  });
});
