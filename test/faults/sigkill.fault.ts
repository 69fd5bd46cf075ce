import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { zh } from "../../src/flows/i18n/zh.ts";
import { createPostgresDatabase } from "../support/databases.ts";
import { startFakeTelegram, type FakeTelegram, type FakeUpdate, type FakeUser } from "../support/fake-telegram.ts";
import { startFakeWecomRobot, type FakeWecomRobot } from "../support/fake-wecom-robot.ts";
import { freePort } from "../support/global-setup.ts";
import { startRedisServer, type RedisServer } from "../support/redis-server.ts";
import { SAMPLE_TOWN_FILE } from "../support/town.ts";
import { eventually, reportUntilSummary, subscribeWholeTown, webResident } from "./support/app.ts";
import { startAppProcess, type AppProcess } from "./support/app-process.ts";
import { TELEGRAM_TOKEN, WECOM_AES_KEY, WECOM_BOT_TOKEN, WECOM_ROBOT_KEYS } from "./support/secrets.ts";

const GROUP = { id: -1001987654321, type: "supergroup" as const, title: "第二片区工作群" };
const ROBOT_KEY = WECOM_ROBOT_KEYS[1];
const REPORTS = 6;
const USERS = 40;
/** Lookups answered before the kill: well into the batch, well before its end. */
const KILL_AFTER_ANSWERS = 12;
const REFERENCE = /WJ-\d{4}-\d{6}/;
const LOOKUP_ANSWER = "紫竹半岛居民区 属于【第四片区】";

describe("the app process killed with SIGKILL", () => {
  let telegram: FakeTelegram;
  let robot: FakeWecomRobot;
  let redis: RedisServer;
  let redisClient: Redis;
  let env: Record<string, string>;
  let app: AppProcess | undefined;

  beforeAll(async () => {
    telegram = await startFakeTelegram({ token: TELEGRAM_TOKEN });
    telegram.addChat(GROUP);
    robot = await startFakeWecomRobot();
    redis = await startRedisServer(await freePort());
    redisClient = new Redis(redis.url);
    env = {
      DATA_DIR: await mkdtemp(path.join(tmpdir(), "linli-fault-kill-")),
      DATABASE_URL: await createPostgresDatabase(),
      REDIS_URL: redis.url,
      TELEGRAM_BOT_TOKEN: TELEGRAM_TOKEN,
      TELEGRAM_API_ROOT: telegram.url,
      TOWN_DATA_FILE: SAMPLE_TOWN_FILE,
      PORT: "0",
      LOG_LEVEL: "debug",
      // Set so the log scan also proves the WeCom bot's credentials stay out of the logs.
      WECOM_BOT_TOKEN,
      WECOM_BOT_ENCODING_AES_KEY: WECOM_AES_KEY,
    };
  });
  afterAll(async () => {
    await app?.kill();
    redisClient?.disconnect();
    await redis?.kill();
    await robot?.close();
    await telegram?.close();
  });

  it(
    "killed while alerts to a Telegram group and a WeCom robot are being delivered and while it works through a long-poll batch: after a restart every alert reaches each group exactly once and every update is handled once",
    { timeout: 150_000 },
    async () => {
      app = await startAppProcess("sigkill", env);
      await subscribeWholeTown(env.DATABASE_URL!, [
        { channel: "telegram", address: String(GROUP.id) },
        { channel: "wecom", address: robot.urlFor(ROBOT_KEY) },
      ]);
      // Both groups take the first alert and never answer: the kill finds a delivery in flight at each.
      telegram.failNextSends(1, { type: "hang" }, { chatId: GROUP.id });
      robot.failNextWith(1, { type: "hang" });

      const references: string[] = [];
      for (let n = 0; n < REPORTS; n++) {
        const resident = webResident(app.httpUrl);
        await reportUntilSummary(resident, `永德路${10 + n * 40}号门口占道摆摊，第${n + 1}次`, zh);
        const submitted = await resident.press(zh.report.confirm);
        const reference = REFERENCE.exec(submitted.text)?.[0];
        if (reference) references.push(reference);
      }
      expect(references).toHaveLength(REPORTS);
      await eventually("a delivery hanging at the Telegram group", () =>
        telegram.calls("sendMessage").some((call) => Number(call.params.chat_id) === GROUP.id) ? true : undefined,
      );

      // A long-poll batch: 40 residents ask at once; the process dies a dozen answers in.
      const users: FakeUser[] = Array.from({ length: USERS }, (_, n) => ({
        id: 880_000 + n,
        first_name: `居民${n}`,
        language_code: "zh-hans",
      }));
      const updates: FakeUpdate[] = [];
      for (const user of users) updates.push(await telegram.userSends(user, "紫竹半岛归哪个片区管？"));
      const answersTo = (user: FakeUser) => telegram.deliveredTo(user.id).filter((message) => message.text?.includes(LOOKUP_ANSWER)).length;
      await eventually("a dozen answers", () =>
        users.filter((user) => answersTo(user) > 0).length >= KILL_AFTER_ANSWERS ? true : undefined,
      );
      await app.kill();
      const answeredBeforeKill = users.filter((user) => answersTo(user) > 0).length;
      expect(answeredBeforeKill).toBeLessThan(USERS);
      telegram.releaseHungSends();
      robot.releaseHung();

      app = await startAppProcess("sigkill", env);
      const handled = async () => {
        const marks = await Promise.all(updates.map((update) => redisClient.exists(`linli:wujing:seen:tg:${update.update_id}`)));
        return marks.every((mark) => mark === 1) ? true : undefined;
      };
      await eventually("every update of the batch to be marked handled", handled);
      // Every resident is answered once; only the one update in flight at the kill may have been handled without its answer going out.
      await eventually("the answers after the restart", () =>
        users.filter((user) => answersTo(user) === 1).length >= USERS - 1 ? true : undefined,
      );
      expect(users.map(answersTo).filter((answers) => answers > 1)).toEqual([]);
      expect(users.filter((user) => answersTo(user) === 0).length).toBeLessThanOrEqual(1);

      // The alerts claimed by the dead process come back once its lease (one minute) runs out.
      const inGroup = (reference: string) => telegram.deliveredTo(GROUP.id).filter((message) => message.text?.includes(reference)).length;
      const atRobot = (reference: string) => robot.received(ROBOT_KEY).filter((markdown) => markdown.includes(reference)).length;
      await eventually(
        "every alert in both groups",
        () => (references.every((reference) => inGroup(reference) > 0 && atRobot(reference) > 0) ? true : undefined),
        100_000,
      );
      expect(references.map((reference) => [reference, inGroup(reference), atRobot(reference)])).toEqual(
        references.map((reference) => [reference, 1, 1]),
      );
    },
  );
});
