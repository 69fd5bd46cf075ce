import { randomUUID } from "node:crypto";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPostgresDatabase } from "../support/databases.ts";
import { startFakeTelegram, type FakeCall, type FakeTelegram } from "../support/fake-telegram.ts";
import { freePort } from "../support/global-setup.ts";
import { startRedisServer, type RedisServer } from "../support/redis-server.ts";
import { startAppProcess, type AppProcess } from "./support/app-process.ts";
import { eventually } from "./support/app.ts";
import { queryDatabase } from "./support/postgres-cluster.ts";
import { TELEGRAM_TOKEN, WEBHOOK_SECRET } from "./support/secrets.ts";

const GROUP = { id: -1001000000077, type: "supergroup" as const, title: "第一片区工作群" };
const RESIDENTS = 200;
/** Residents' updates fall due one every this many milliseconds: faster than Telegram's overall limit, so both workers always find rows due. */
const DUE_EVERY_MS = 10;
const ALERTS = 30;
/** Telegram's published limits, which the app must keep whatever the number of workers. */
const PER_GROUP_PER_MINUTE = 20;
const PER_SECOND_OVERALL = 30;
/**
 * A send is counted when the limiter allows it and arrives a moment later;
 * arrivals are therefore checked in a window shorter by this much, so the
 * test measures the limit, not the jitter of loopback HTTP.
 */
const TRANSIT_ALLOWANCE_MS = 150;

const staffAlert = (reference: string) => ({
  reference,
  category: { zh: "占道经营", en: "Street vending" },
  clause: { ref: "3.1", text: { zh: "不占道经营", en: "No vending on the road" } },
  place: { zh: "第一片区", en: "District 1" },
  position: null,
  description: `门口摆摊 ${reference}`,
  shop: null,
  shopStanding: null,
  photoIds: [],
  supporters: 0,
  route: null,
  locale: "zh",
});

const residentUpdate = (reference: string) => ({
  reference,
  status: "ACKNOWLEDGED",
  note: null,
  rejectReason: null,
  duplicateOf: null,
  route: null,
  askFeedback: false,
  reopened: false,
  relation: "reporter",
  locale: "zh",
});

/** The most calls received within any span of `windowMs` (a window ending at each call). */
function busiestWindow(calls: FakeCall[], windowMs: number): number {
  const times = calls.map((call) => call.at).sort((a, b) => a - b);
  let most = 0;
  for (let end = 0, start = 0; end < times.length; end++) {
    while ((times[start] ?? 0) <= (times[end] ?? 0) - windowMs) start++;
    most = Math.max(most, end - start + 1);
  }
  return most;
}

/**
 * `npm start` with WORKERS=2 on PostgreSQL and Redis, sending through a fake
 * Bot API that records when each message arrives: the outbox limits are
 * counted in Redis, so the two workers together keep Telegram's limits
 * instead of each keeping them on its own.
 */
describe("two workers delivering a backlog to Telegram", () => {
  let telegram: FakeTelegram;
  let redis: RedisServer;
  let databaseUrl: string;
  let app: AppProcess;

  beforeAll(async () => {
    telegram = await startFakeTelegram({ token: TELEGRAM_TOKEN });
    telegram.addChat(GROUP);
    for (let i = 1; i <= RESIDENTS; i++) telegram.addChat({ id: 70_000 + i, type: "private", first_name: `居民${i}` });
    redis = await startRedisServer(await freePort());
    databaseUrl = await createPostgresDatabase();
    app = await startAppProcess("shared-limits", {
      DATA_DIR: await mkdtemp(path.join(tmpdir(), "linli-shared-limits-")),
      DATABASE_URL: databaseUrl,
      REDIS_URL: redis.url,
      WORKERS: "2",
      PORT: "0",
      LOG_LEVEL: "debug",
      TELEGRAM_BOT_TOKEN: TELEGRAM_TOKEN,
      TELEGRAM_API_ROOT: telegram.url,
      TELEGRAM_WEBHOOK_URL: "https://linli.example.org/telegram/webhook",
      TELEGRAM_WEBHOOK_SECRET: WEBHOOK_SECRET,
    });
  });
  afterAll(async () => {
    await app?.kill();
    await redis?.kill();
    await telegram?.close();
  });

  it(`${ALERTS} alerts for one group and ${RESIDENTS} residents' updates queued together reach Telegram with at most ${PER_GROUP_PER_MINUTE} into the group a minute and ${PER_SECOND_OVERALL} a second overall, each once`, async () => {
    const now = new Date();
    // The alerts are due at once; the residents' updates fall due in a steady stream, as they would from busy staff.
    const rows = [
      ...Array.from({ length: ALERTS }, (_, i) => ({
        kind: "alert.new",
        chatId: String(GROUP.id),
        payload: staffAlert(`WJ-2026-${String(900 + i).padStart(6, "0")}`),
        dueInMs: 0,
      })),
      ...Array.from({ length: RESIDENTS }, (_, i) => ({
        kind: "report.status",
        chatId: String(70_001 + i),
        payload: residentUpdate(`WJ-2026-${String(100 + i).padStart(6, "0")}`),
        dueInMs: i * DUE_EVERY_MS,
      })),
    ];
    await queryDatabase(
      databaseUrl,
      `INSERT INTO "OutboxMessage" ("id", "dedupeKey", "kind", "channel", "chatId", "payload", "createdAt", "nextAttemptAt")
       SELECT gen_random_uuid()::text, r."dedupeKey", r."kind", 'telegram', r."chatId", r."payload",
         $2::timestamp(3) + (r."n" || ' milliseconds')::interval, $2::timestamp(3) + (r."dueInMs" || ' milliseconds')::interval
       FROM jsonb_to_recordset($1::jsonb) AS r("dedupeKey" text, "kind" text, "chatId" text, "payload" jsonb, "n" int, "dueInMs" int)`,
      [JSON.stringify(rows.map((row, n) => ({ ...row, dedupeKey: `limits-${randomUUID()}`, n }))), now.toISOString()],
    );

    await eventually(
      "every row to be delivered",
      async () => {
        const [left] = await queryDatabase<{ pending: number }>(
          databaseUrl,
          `SELECT COUNT(*)::int AS pending FROM "OutboxMessage" WHERE "status" = 'PENDING'`,
        );
        return left?.pending === 0 ? true : undefined;
      },
      60_000,
    );

    const sends = telegram.calls("sendMessage").filter((call) => call.ok);
    const toGroup = sends.filter((call) => Number(call.params.chat_id) === GROUP.id);
    // Everything happened within a minute, so the group's minute is all of its messages.
    expect(Math.max(...sends.map((call) => call.at)) - Math.min(...sends.map((call) => call.at))).toBeLessThan(60_000);
    expect(toGroup.length).toBeLessThanOrEqual(PER_GROUP_PER_MINUTE);
    expect(busiestWindow(sends, 1_000 - TRANSIT_ALLOWANCE_MS)).toBeLessThanOrEqual(PER_SECOND_OVERALL);
    // The alerts that did not fit the group's minute went out folded into one digest: none is lost.
    const groupText = toGroup.map((call) => String(call.params.text)).join("\n");
    for (let i = 0; i < ALERTS; i++) expect(groupText).toContain(`WJ-2026-${String(900 + i).padStart(6, "0")}`);
    for (let i = 1; i <= RESIDENTS; i++) expect(sends.filter((call) => Number(call.params.chat_id) === 70_000 + i)).toHaveLength(1);
    const dead = await queryDatabase(databaseUrl, `SELECT 1 FROM "OutboxMessage" WHERE "status" = 'DEAD'`);
    expect(dead).toHaveLength(0);
  });
});
