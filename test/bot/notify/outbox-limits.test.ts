import { testLogger } from "../../support/logs.ts";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTelegramSender } from "../../../src/bot/channels/telegram/sender.ts";
import { createWecomRobotSender } from "../../../src/bot/channels/wecom/robot.ts";
import { createOutboxWorker, type OutboxRender } from "../../../src/bot/notify/outbox-worker.ts";
import type { Database } from "../../../src/db/database.ts";
import { freshDatabase } from "../../support/databases.ts";
import { startFakeTelegram, type FakeTelegram } from "../../support/fake-telegram.ts";
import { startFakeWecomRobot, type FakeWecomRobot } from "../../support/fake-wecom-robot.ts";

const TOKEN = "4242:limits-test-token-value-abcdefgh";
const GROUP = -100_900;
const logger = testLogger();
const render: OutboxRender = (row) => [{ type: "text", text: (row.payload as { text: string }).text }];

/**
 * The worker against fakes that enforce Telegram's and WeCom's published limits
 * the way the real servers do (a sliding minute per group or robot, a second
 * overall): it paces itself so that it is never told to slow down, and it still
 * delivers every row exactly once, in order.
 */
describe("the outbox worker within the channels' own rate limits", () => {
  let db: Database;
  let telegram: FakeTelegram;
  let wecom: FakeWecomRobot;
  let now: number;
  const clock = () => new Date(now);

  beforeEach(async () => {
    now = Date.parse("2026-11-27T02:00:00.000Z");
    db = await freshDatabase("postgres");
    telegram = await startFakeTelegram({ token: TOKEN, rateLimits: true, now: () => now });
    telegram.addChat({ id: GROUP, type: "group", title: "limits" });
    wecom = await startFakeWecomRobot({ now: () => now });
  });
  afterEach(async () => {
    await telegram.close();
    await wecom.close();
    await db.close();
  });

  const enqueue = (channel: string, chatId: string, count: number, prefix: string) =>
    db.prisma.outboxMessage.createMany({
      data: Array.from({ length: count }, (_, i) => ({
        dedupeKey: `${prefix}-${i}`,
        kind: "test.note",
        channel,
        chatId,
        payload: { text: `${prefix} ${i + 1}` },
        createdAt: new Date(now - 100_000 + i),
        nextAttemptAt: new Date(now),
      })),
    });

  const worker = () =>
    createOutboxWorker({
      sql: db.sql,
      render,
      senders: { telegram: createTelegramSender({ token: TOKEN, apiRoot: telegram.url, logger }), wecom: createWecomRobotSender() },
      logger,
      clock,
    });

  /** Drains in steps of `stepMs` of simulated time until nothing is pending; returns the simulated time it took. */
  const drainAll = async (stepMs: number) => {
    const outbox = worker();
    const started = now;
    for (let pass = 0; pass < 200 && (await db.prisma.outboxMessage.count({ where: { status: "PENDING" } })) > 0; pass++) {
      await outbox.drainOnce();
      now += stepMs;
    }
    return now - started;
  };

  it("45 messages into one Telegram group and 60 private chats go out with no 429, each once and in order, 20 a minute into the group", async () => {
    await enqueue("telegram", String(GROUP), 45, "group");
    for (let user = 1; user <= 60; user++) {
      telegram.addChat({ id: 50_000 + user, type: "private", first_name: `u${user}` });
      await enqueue("telegram", String(50_000 + user), 1, `user-${user}`);
    }
    const elapsed = await drainAll(1_000);

    expect(telegram.calls("sendMessage").filter((call) => !call.ok)).toEqual([]);
    expect(telegram.deliveredTo(GROUP).map((message) => message.text)).toEqual(Array.from({ length: 45 }, (_, i) => `group ${i + 1}`));
    for (let user = 1; user <= 60; user++) expect(telegram.deliveredTo(50_000 + user)).toHaveLength(1);
    // 45 into one group at 20 a minute needs two full windows, and not much more.
    expect(elapsed).toBeGreaterThanOrEqual(120_000);
    expect(elapsed).toBeLessThan(130_000);
    expect(await db.prisma.outboxMessage.count({ where: { status: "SENT" } })).toBe(105);
  });

  it("30 messages to one WeCom robot go out 20 in the first minute and the rest after it, never answered 45009", async () => {
    const robot = wecom.urlFor("limits-robot-key");
    await enqueue("wecom", robot, 30, "robot");
    const outbox = worker();
    await outbox.drainOnce();
    expect(wecom.received("limits-robot-key")).toHaveLength(20);
    now += 59_000;
    await outbox.drainOnce();
    expect(wecom.received("limits-robot-key")).toHaveLength(20);
    now += 1_500;
    await outbox.drainOnce();
    expect(wecom.received("limits-robot-key").map((text) => text)).toEqual(Array.from({ length: 30 }, (_, i) => `robot ${i + 1}`));
    const rows = await db.prisma.outboxMessage.findMany({ where: { channel: "wecom" } });
    expect(rows.every((row) => row.status === "SENT" && row.attempts === 1 && row.lastError === null)).toBe(true);
  });

  it("when the group's minute is already used up by other traffic, Telegram's retry_after is honoured and the row is delivered once after it", async () => {
    // Someone else's messages filled the group's window 30 seconds ago, as far as Telegram counts.
    const filler = createTelegramSender({ token: TOKEN, apiRoot: telegram.url, logger });
    now -= 30_000;
    for (let i = 0; i < 20; i++) await filler.send(String(GROUP), [{ type: "text", text: `earlier ${i}` }]);
    now += 30_000;
    await enqueue("telegram", String(GROUP), 1, "late");
    const outbox = worker();
    await outbox.drainOnce();
    const waiting = await db.prisma.outboxMessage.findFirstOrThrow({ where: { dedupeKey: "late-0" } });
    expect(waiting).toMatchObject({ status: "PENDING", attempts: 0 });
    expect(waiting.lastError).toContain("retry after");
    expect(waiting.nextAttemptAt.getTime()).toBeGreaterThanOrEqual(now + 29_000);
    now = waiting.nextAttemptAt.getTime();
    await outbox.drainOnce();
    expect(telegram.deliveredTo(GROUP).filter((message) => message.text === "late 1")).toHaveLength(1);
    expect(await db.prisma.outboxMessage.findFirstOrThrow({ where: { dedupeKey: "late-0" } })).toMatchObject({ status: "SENT" });
  });
});
