import { performance } from "node:perf_hooks";
import { createTelegramSender, TELEGRAM_SEND_LIMITS } from "../src/bot/channels/telegram/sender.ts";
import { createWecomRobotSender } from "../src/bot/channels/wecom/robot.ts";
import { createOutboxWorker } from "../src/bot/notify/outbox-worker.ts";
import type { Database } from "../src/db/database.ts";
import { createLogger } from "../src/log.ts";
import { startFakeTelegram } from "../test/support/fake-telegram.ts";
import { FAKE_WECOM_LIMITS, startFakeWecomRobot } from "../test/support/fake-wecom-robot.ts";
import { renderTextRow } from "../test/support/outbox-faults.ts";

const TOKEN = "777:bench-outbox-token-abcdefghijkl";
const TELEGRAM_GROUPS = 50;
const PER_GROUP = 14;
const ROBOTS = 10;
const PER_ROBOT = 30;
/** Simulated time the clock moves between two worker passes. */
const STEP_MS = 250;

/** How one channel's share of the backlog drained, in simulated time. */
export interface ChannelDrain {
  rows: number;
  /** Simulated time from the start until the channel's last row was sent. */
  elapsedMs: number;
  /** The least time the channel's published limits allow for these rows. */
  fastestAllowedMs: number;
  /** Rows sent per second of simulated time. */
  achievedPerSecond: number;
  /** Rows the channel refused for going too fast (429 / errcode 45009), or that took more than one attempt. */
  rejected: number;
}

/**
 * 1,000 pending alerts (700 into 50 Telegram groups, 300 to 10 WeCom robots)
 * drained by the real outbox worker against fakes that enforce Telegram's and
 * WeCom's limits, on a simulated clock (as test/bot/notify/outbox-limits.test.ts
 * does): the worker must finish close to the fastest the limits allow and must
 * never be refused. `db` must be a fresh database no running worker polls.
 */
export async function benchOutboxDrain(db: Database) {
  let now = Date.parse("2026-11-27T02:00:00.000Z");
  const telegram = await startFakeTelegram({ token: TOKEN, rateLimits: true, now: () => now });
  const wecom = await startFakeWecomRobot({ now: () => now });
  try {
    const rows = [
      ...Array.from({ length: TELEGRAM_GROUPS * PER_GROUP }, (_, i) => ({
        channel: "telegram",
        chatId: String(-1_000_000 - (i % TELEGRAM_GROUPS)),
      })),
      ...Array.from({ length: ROBOTS * PER_ROBOT }, (_, i) => ({ channel: "wecom", chatId: wecom.urlFor(`bench-robot-${i % ROBOTS}`) })),
    ];
    for (let group = 0; group < TELEGRAM_GROUPS; group++)
      telegram.addChat({ id: -1_000_000 - group, type: "supergroup", title: `group ${group}` });
    await db.prisma.outboxMessage.createMany({
      data: rows.map((row, i) => ({
        dedupeKey: `bench-alert-${i}`,
        kind: "bench.alert",
        channel: row.channel,
        chatId: row.chatId,
        payload: { text: `告警 ${i + 1}：永德路 12 号门口占道经营` },
        createdAt: new Date(now - 100_000 + i),
        nextAttemptAt: new Date(now),
      })),
    });
    const logger = createLogger({ level: "silent" });
    const worker = createOutboxWorker({
      sql: db.sql,
      render: renderTextRow,
      senders: { telegram: createTelegramSender({ token: TOKEN, apiRoot: telegram.url, logger }), wecom: createWecomRobotSender() },
      logger,
      clock: () => new Date(now),
    });
    const started = now;
    const realStart = performance.now();
    const finishedAt: Record<string, number> = {};
    for (let pass = 0; pass < 2_000; pass++) {
      await worker.drainOnce();
      const pending = await db.prisma.outboxMessage.groupBy({ by: ["channel"], where: { status: "PENDING" }, _count: true });
      for (const channel of ["telegram", "wecom"]) if (!pending.some((p) => p.channel === channel)) finishedAt[channel] ??= now;
      if (pending.length === 0) break;
      now += STEP_MS;
    }
    const realSeconds = (performance.now() - realStart) / 1000;
    const sent = await db.prisma.outboxMessage.findMany({ select: { channel: true, status: true, attempts: true, lastError: true } });
    const rejectedIn = (channel: string) =>
      sent.filter((row) => row.channel === channel && (row.status !== "SENT" || row.attempts !== 1 || row.lastError !== null)).length;
    const drain = (channel: "telegram" | "wecom", count: number, fastestAllowedMs: number, refusedByFake: number): ChannelDrain => {
      const elapsedMs = (finishedAt[channel] ?? now) - started;
      return {
        rows: count,
        elapsedMs,
        fastestAllowedMs,
        achievedPerSecond: count / Math.max(elapsedMs / 1000, STEP_MS / 1000),
        rejected: Math.max(rejectedIn(channel), refusedByFake),
      };
    };
    const telegramRows = TELEGRAM_GROUPS * PER_GROUP;
    return {
      rows: rows.length,
      realSeconds,
      stepMs: STEP_MS,
      // A sliding second admits perSecondOverall sends; the last batch goes out at the start of its second.
      telegram: drain(
        "telegram",
        telegramRows,
        (Math.ceil(telegramRows / TELEGRAM_SEND_LIMITS.perSecondOverall) - 1) * 1000,
        telegram.calls("sendMessage").filter((call) => !call.ok).length,
      ),
      wecom: drain("wecom", ROBOTS * PER_ROBOT, (Math.ceil(PER_ROBOT / FAKE_WECOM_LIMITS.perRobotPerMinute) - 1) * 60_000, 0),
      allowed: {
        telegramPerSecond: TELEGRAM_SEND_LIMITS.perSecondOverall,
        telegramPerGroupPerMinute: TELEGRAM_SEND_LIMITS.perDestinationPerMinute,
        wecomPerRobotPerMinute: FAKE_WECOM_LIMITS.perRobotPerMinute,
      },
    };
  } finally {
    await telegram.close();
    await wecom.close();
  }
}
