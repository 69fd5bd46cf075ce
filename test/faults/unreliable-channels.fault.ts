import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { zh } from "../../src/flows/i18n/zh.ts";
import type { RunningLinli } from "../../src/app.ts";
import { createPostgresDatabase } from "../support/databases.ts";
import { startFakeTelegram, type FakeTelegram, type FakeUser } from "../support/fake-telegram.ts";
import { startFakeWecomRobot, type FakeWecomRobot } from "../support/fake-wecom-robot.ts";
import { freePort } from "../support/global-setup.ts";
import { startRedisServer, type RedisServer } from "../support/redis-server.ts";
import { queryDatabase } from "./support/postgres-cluster.ts";
import { eventually, reportUntilSummary, startApp, subscribeWholeTown, webResident } from "./support/app.ts";
import { TELEGRAM_TOKEN, WECOM_ROBOT_KEYS } from "./support/secrets.ts";

const WORKING_GROUP = { id: -1001000000001, type: "supergroup" as const, title: "第二片区工作群" };
const KICKED_GROUP = { id: -1001000000002, type: "supergroup" as const, title: "已移除机器人的群" };
const ROBOT_KEY = WECOM_ROBOT_KEYS[0];
const REFERENCE = /WJ-\d{4}-\d{6}/;
const LOOKUP_ANSWER = "紫竹半岛居民区 属于【第四片区】";

/** The app with Telegram (long polling) and WeCom robots whose servers misbehave in every way they do in production. */
describe("the app while Telegram and WeCom answer badly", () => {
  let telegram: FakeTelegram;
  let robot: FakeWecomRobot;
  let redis: RedisServer;
  let databaseUrl: string;
  let app: RunningLinli;

  beforeAll(async () => {
    telegram = await startFakeTelegram({ token: TELEGRAM_TOKEN });
    telegram.addChat(WORKING_GROUP);
    telegram.addChat(KICKED_GROUP);
    robot = await startFakeWecomRobot();
    redis = await startRedisServer(await freePort());
    databaseUrl = await createPostgresDatabase();
    app = await startApp("unreliable-channels", {
      DATABASE_URL: databaseUrl,
      REDIS_URL: redis.url,
      TELEGRAM_BOT_TOKEN: TELEGRAM_TOKEN,
      TELEGRAM_API_ROOT: telegram.url,
    });
    await subscribeWholeTown(databaseUrl, [
      { channel: "telegram", address: String(WORKING_GROUP.id) },
      { channel: "telegram", address: String(KICKED_GROUP.id) },
      { channel: "wecom", address: robot.urlFor(ROBOT_KEY) },
    ]);
  });
  afterAll(async () => {
    await app?.stop();
    await redis?.kill();
    await robot?.close();
    await telegram?.close();
  });

  it("a Telegram group answering 429, then 500, then resetting the connection, a WeCom robot answering 502, a busy errcode and then not at all, and a group that kicked the bot (403): each alert reaches every working group exactly once and the kicked group's is dead-lettered without a retry", async () => {
    telegram.failNextSends(1, { type: "retryAfter", seconds: 1 }, { chatId: WORKING_GROUP.id });
    telegram.failNextSends(1, { type: "serverError" }, { chatId: WORKING_GROUP.id });
    telegram.failNextSends(1, { type: "dropConnection" }, { chatId: WORKING_GROUP.id });
    telegram.failNextSends(10, { type: "blocked" }, { chatId: KICKED_GROUP.id });
    robot.failNextWith(1, { type: "serverError" });
    robot.failNext(1, -1);
    robot.failNextWith(1, { type: "hang" });

    const references: string[] = [];
    for (const text of ["鹤庆路88号门口的纸箱堆了一个星期", "永德路12号门口又在占道摆摊"]) {
      const resident = webResident(app.httpUrl);
      await reportUntilSummary(resident, text, zh);
      const reference = REFERENCE.exec((await resident.press(zh.report.confirm)).text)?.[0];
      if (reference) references.push(reference);
    }
    expect(references).toHaveLength(2);

    const inGroup = (reference: string) =>
      telegram.deliveredTo(WORKING_GROUP.id).filter((message) => message.text?.includes(reference)).length;
    const atRobot = (reference: string) => robot.received(ROBOT_KEY).filter((markdown) => markdown.includes(reference)).length;
    await eventually(
      "every alert in the working groups",
      () => (references.every((reference) => inGroup(reference) > 0 && atRobot(reference) > 0) ? true : undefined),
      60_000,
    );
    expect(references.map((reference) => [reference, inGroup(reference), atRobot(reference)])).toEqual(
      references.map((reference) => [reference, 1, 1]),
    );
    // Each alert to the group that kicked the bot was tried once and dead-lettered: no retry can reach a group the bot left.
    const kicked = await queryDatabase<{ status: string; attempts: number }>(
      databaseUrl,
      `SELECT status, attempts FROM "OutboxMessage" WHERE "chatId" = $1`,
      [String(KICKED_GROUP.id)],
    );
    expect(kicked).toEqual([
      { status: "DEAD", attempts: 1 },
      { status: "DEAD", attempts: 1 },
    ]);
    expect(telegram.calls("sendMessage").filter((call) => Number(call.params.chat_id) === KICKED_GROUP.id)).toHaveLength(2);
    expect(telegram.deliveredTo(KICKED_GROUP.id)).toEqual([]);
  });

  it("a resident's answer refused with 429 retry_after reaches them exactly once; an answer lost to a 500 or a reset is not sent twice and the next message is answered", async () => {
    const resident: FakeUser = { id: 424_242, first_name: "王", language_code: "zh-hans" };
    // A lookup is answered with one message: the answer, with "anything else?" buttons under it.
    const answers = () => telegram.deliveredTo(resident.id).filter((message) => message.text?.includes(LOOKUP_ANSWER)).length;
    telegram.failNextSends(1, { type: "retryAfter", seconds: 1 }, { chatId: resident.id });
    await telegram.userSends(resident, "紫竹半岛归哪个片区管？");
    await eventually("the answer after the 429", () => (answers() === 1 ? true : undefined));

    // A 500 or a cut connection leaves open whether Telegram delivered the message, so it is not repeated.
    telegram.failNextSends(1, { type: "serverError" }, { chatId: resident.id });
    telegram.failNextSends(1, { type: "dropConnection" }, { chatId: resident.id });
    await telegram.userSends(resident, "紫竹半岛归哪个片区管？");
    await telegram.userSends(resident, "紫竹半岛归哪个片区管？");
    await telegram.userSends(resident, "紫竹半岛归哪个片区管？");
    await eventually("the next message's answer", () => (answers() === 2 ? true : undefined));
    const calls = telegram.calls("sendMessage").filter((call) => Number(call.params.chat_id) === resident.id);
    expect(calls.map((call) => call.ok)).toEqual([false, true, false, false, true]);
    expect(telegram.deliveredTo(resident.id)).toHaveLength(2);
  });
});
