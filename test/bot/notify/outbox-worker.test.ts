import { expectErrorLogs, testLogger } from "../../support/logs.ts";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { createTelegramSender, TELEGRAM_SEND_LIMITS } from "../../../src/bot/channels/telegram/sender.ts";
import {
  createOutboxWorker,
  type ChannelSender,
  type OutboxRender,
  type OutboxWorkerOptions,
  type SendResult,
} from "../../../src/bot/notify/outbox-worker.ts";
import { renderOutboxRow } from "../../../src/bot/notify/render.ts";
import {
  ALERT_DIGEST_KIND,
  alertDigestPayload,
  renderAlertDigest,
  type AlertDigestPayload,
} from "../../../src/bot/notify/render-digest.ts";
import type { StaffAlertPayload } from "../../../src/domain/reports/alerts.ts";
import type { Prisma } from "../../../src/generated/prisma/client.ts";
import { openDatabase, type Database } from "../../../src/db/database.ts";
import { createPostgresDatabase, DATABASE_KINDS } from "../../support/databases.ts";
import { startFakeTelegram, type FakeTelegram } from "../../support/fake-telegram.ts";
import { TOWN_TIME_ZONE } from "../../support/town.ts";

const SECRET = "SECRET-outbox-token-value";
const TOKEN = `4242:${SECRET}`;
const START = new Date("2026-11-27T02:00:00.000Z");

const GROUP = -100_777;
const ALICE = 1_001;
const BOB = 1_002;

const logger = testLogger();

/**
 * Test rows (`test.note`) carry their text; `silent` rows have nothing to send,
 * `broken` ones cannot be rendered. Alerts and digests are rendered as in production.
 */
const render: OutboxRender = (row) => {
  if (row.kind !== "test.note") return renderOutboxRow(row, TOWN_TIME_ZONE);
  const payload = row.payload as { text: string; silent?: boolean; broken?: boolean };
  if (payload.broken) throw new Error(`cannot render ${row.kind}`);
  if (payload.silent) return undefined;
  return [{ type: "text", text: payload.text }];
};

const reference = (n: number) => `WJ-2026-${String(n).padStart(6, "0")}`;
const REFERENCES = /WJ-2026-\d{6}/g;

/** A new-report alert as the reports domain queues it, without photos. */
const alertPayload = (n: number, locale: "zh" | "en" = "zh"): StaffAlertPayload => ({
  reference: reference(n),
  category: { zh: "占道经营", en: "Trading on the pavement" },
  clause: { ref: "第三条", text: { zh: "不得占用道路经营", en: "No trading on the road" } },
  place: { zh: `永德路${n}号（吴泾一片区）`, en: `No. ${n}, Yongde Road (Wujing District 1)` },
  position: null,
  description: "门口摆摊",
  shop: null,
  photoIds: [],
  supporters: 0,
  route: null,
  locale,
});

describe("the backlog digest text", () => {
  const digest = (count: number, locale: "zh" | "en"): AlertDigestPayload => ({
    locale,
    alerts: Array.from({ length: count }, (_, index) => ({
      reference: reference(index + 1),
      category: { zh: "占道经营", en: "Trading on the pavement" },
      place: { zh: `永德路${index + 1}号（吴泾一片区）`, en: `No. ${index + 1}, Yongde Road (Wujing District 1)` },
      heading: index === 0 ? ("escalated" as const) : index === 1 ? ("overdue" as const) : ("new" as const),
    })),
  });

  it("counts the alerts by kind, lists one line per case and points to /case and /open, in Chinese and English", () => {
    const [zh] = renderAlertDigest(digest(3, "zh"));
    expect(zh).toEqual({ type: "text", text: expect.stringContaining("积压告警汇总：1 条新举报、1 条升级、1 条超期提醒") });
    const zhText = zh?.type === "text" ? zh.text : "";
    expect(zhText).toContain("【升级】WJ-2026-000001 · 占道经营 · 永德路1号（吴泾一片区）");
    expect(zhText).toContain("WJ-2026-000003 · 占道经营 · 永德路3号（吴泾一片区）");
    expect(zhText).toContain("/case");
    expect(zhText).toContain("/open");
    const [en] = renderAlertDigest(digest(3, "en"));
    const enText = en?.type === "text" ? en.text : "";
    expect(enText).toContain("Backlog of alerts: 1 new report, 1 escalated, 1 overdue");
    expect(enText).toContain("[overdue] WJ-2026-000002 · Trading on the pavement · No. 2, Yongde Road (Wujing District 1)");
  });

  it("a long backlog lists 40 cases and says how many more, within WeCom's 4096 bytes and Telegram's 4096 characters", () => {
    for (const locale of ["zh", "en"] as const) {
      const [message] = renderAlertDigest(digest(300, locale));
      const text = message?.type === "text" ? message.text : "";
      expect(text.match(REFERENCES)).toHaveLength(40);
      expect(text).toContain(locale === "zh" ? "…及其他 260 条" : "… and 260 more");
      expect(Buffer.byteLength(text, "utf8")).toBeLessThanOrEqual(4096);
    }
  });
});

describe.each(DATABASE_KINDS)("the outbox worker on %s", (kind) => {
  let url: string | undefined;
  let db: Database;
  let fake: FakeTelegram;
  let now: Date;
  const clock = () => now;
  const advance = (ms: number) => {
    now = new Date(now.getTime() + ms);
  };

  const open = () =>
    kind === "pglite" ? openDatabase({ kind: "pglite", dataDir: "memory://" }) : openDatabase({ kind: "postgres", url: url! });

  const telegram = (): ChannelSender => createTelegramSender({ token: TOKEN, apiRoot: fake.url, logger });

  const worker = (options: Partial<OutboxWorkerOptions> = {}, sender: ChannelSender = telegram(), on: Database = db) =>
    createOutboxWorker({ sql: on.sql, render, senders: { telegram: sender }, logger, clock, options });

  let queued = 0;
  /** Queues one row a millisecond apart, so their order is the order of the calls. */
  const enqueue = async (chatId: number, text: string, extra: Record<string, unknown> = {}, channel = "telegram") => {
    queued += 1;
    return db.prisma.outboxMessage.create({
      data: {
        dedupeKey: `test-${queued}`,
        kind: "test.note",
        channel,
        chatId: String(chatId),
        payload: { text, ...extra },
        createdAt: new Date(START.getTime() - 100_000 + queued),
        nextAttemptAt: now,
      },
    });
  };
  /** Queues a case alert to a chat as the reports domain does, in call order like {@link enqueue}. */
  const enqueueAlert = async (chatId: number, n: number, alertKind: "alert.new" | "alert.escalated" = "alert.new") => {
    queued += 1;
    const alert = alertPayload(n);
    return db.prisma.outboxMessage.create({
      data: {
        dedupeKey: `test-${queued}`,
        kind: alertKind,
        channel: "telegram",
        chatId: String(chatId),
        payload: (alertKind === "alert.new" ? alert : { alert }) as unknown as Prisma.InputJsonObject,
        createdAt: new Date(START.getTime() - 100_000 + queued),
        nextAttemptAt: now,
      },
    });
  };
  const row = (id: string) => db.prisma.outboxMessage.findUniqueOrThrow({ where: { id } });
  /** The folded references of every digest row, in order, read back from the database. */
  const digestedReferences = async () => {
    const digests = await db.prisma.outboxMessage.findMany({
      where: { kind: ALERT_DIGEST_KIND },
      orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    });
    return digests.flatMap((digest) => alertDigestPayload.parse(digest.payload).alerts.map((alert) => alert.reference));
  };
  /** References named by individual alerts (not digests) that reached a chat. */
  const alertedReferences = (chatId: number) =>
    fake
      .deliveredTo(chatId)
      .filter((message) => !message.text?.includes("积压告警汇总"))
      .flatMap((message) => message.text?.match(REFERENCES) ?? []);
  const texts = (chatId: number) => fake.deliveredTo(chatId).map((message) => message.text);
  /** How often each text reached any chat, for "never twice" checks. */
  const sendCounts = () => {
    const counts = new Map<string, number>();
    for (const call of fake.calls("sendMessage").filter((c) => c.ok))
      counts.set(String(call.params.text), (counts.get(String(call.params.text)) ?? 0) + 1);
    return counts;
  };

  /** A sender whose sends wait until the test settles them, like a request that has not come back yet. */
  const controlledSender = () => {
    const pending: ((result: SendResult) => void)[] = [];
    const sender: ChannelSender = {
      perDestinationPerMinute: 20,
      perSecondOverall: 30,
      send: () => new Promise<SendResult>((resolve) => pending.push(resolve)),
    };
    return { sender, pending };
  };

  beforeAll(async () => {
    if (kind === "postgres") url = await createPostgresDatabase();
    db = await open();
  });
  afterAll(async () => {
    await db.close();
  });
  beforeEach(async () => {
    now = START;
    await db.prisma.outboxMessage.deleteMany();
    await db.prisma.chatUser.deleteMany();
    fake = await startFakeTelegram({ token: TOKEN });
    fake.addChat({ id: GROUP, type: "group", title: "吴泾一片区工作群" });
    fake.addChat({ id: ALICE, type: "private", first_name: "Alice" });
    fake.addChat({ id: BOB, type: "private", first_name: "Bob" });
  });
  afterEach(async () => {
    await fake.close();
  });

  it("queued rows are delivered once each and marked sent; a row with nothing to say is marked sent without a message", async () => {
    const first = await enqueue(ALICE, "您的举报有新进展");
    const second = await enqueue(GROUP, "新举报 WJ-2026-000001");
    const quiet = await enqueue(BOB, "never shown", { silent: true });
    const outbox = worker();

    expect(await outbox.drainOnce()).toBe(3);
    expect(await outbox.drainOnce()).toBe(0);

    expect(texts(ALICE)).toEqual(["您的举报有新进展"]);
    expect(texts(GROUP)).toEqual(["新举报 WJ-2026-000001"]);
    expect(texts(BOB)).toEqual([]);
    for (const sent of [first, second, quiet]) {
      expect(await row(sent.id)).toMatchObject({ status: "SENT", sentAt: START, attempts: 1, lastError: null });
    }
  });

  it("a 429 is not retried before Telegram's retry_after and is then delivered exactly once, without counting as an attempt", async () => {
    const queuedRow = await enqueue(ALICE, "稍后送达");
    fake.failNextSends(1, { type: "retryAfter", seconds: 30 });
    const outbox = worker();

    await outbox.drainOnce();
    const waiting = await row(queuedRow.id);
    expect(waiting).toMatchObject({ status: "PENDING", attempts: 0 });
    expect(waiting.nextAttemptAt.getTime()).toBeGreaterThanOrEqual(START.getTime() + 30_000);
    expect(waiting.lastError).toContain("retry after 30");

    advance(29_000);
    expect(await outbox.drainOnce()).toBe(0);
    advance(2_000);
    expect(await outbox.drainOnce()).toBe(1);
    advance(60_000);
    expect(await outbox.drainOnce()).toBe(0);

    expect(texts(ALICE)).toEqual(["稍后送达"]);
    expect(fake.calls("sendMessage")).toHaveLength(2);
    expect(await row(queuedRow.id)).toMatchObject({ status: "SENT", attempts: 1 });
  });

  it.each([
    ["a server error", { type: "serverError" } as const, "500"],
    ["a dropped connection", { type: "dropConnection" } as const, "Network request"],
  ])("%s is retried after a backoff of at most the base delay and then delivered", async (_name, failure, expectedError) => {
    const queuedRow = await enqueue(GROUP, "请及时处理");
    fake.failNextSends(1, failure);
    const outbox = worker();

    await outbox.drainOnce();
    const failed = await row(queuedRow.id);
    expect(failed).toMatchObject({ status: "PENDING", attempts: 1 });
    expect(failed.lastError).toContain(expectedError);
    expect(failed.nextAttemptAt.getTime()).toBeLessThanOrEqual(START.getTime() + 2_000);
    expect(texts(GROUP)).toEqual([]);

    advance(2_000);
    await outbox.drainOnce();
    expect(texts(GROUP)).toEqual(["请及时处理"]);
    expect(await row(queuedRow.id)).toMatchObject({ status: "SENT", attempts: 2, lastError: null });
  });

  it("a row that always fails is dead-lettered after maxAttempts, with a last error that holds no token", async () => {
    expectErrorLogs(/outbox row dead-lettered/);
    const queuedRow = await enqueue(GROUP, "总是失败");
    fake.failNextSends(100, { type: "dropConnection" });
    const outbox = worker({ maxAttempts: 3 });

    for (let pass = 0; pass < 5; pass++) {
      await outbox.drainOnce();
      advance(10 * 60_000);
    }

    const dead = await row(queuedRow.id);
    expect(dead).toMatchObject({ status: "DEAD", attempts: 3, sentAt: null });
    expect(dead.lastError).toMatch(/sendMessage/);
    expect(dead.lastError).not.toContain(SECRET);
    expect(fake.calls("sendMessage")).toHaveLength(3);
  });

  it("a user who blocked the bot is dead-lettered at once and marked unreachable", async () => {
    expectErrorLogs(/outbox row dead-lettered/);
    const user = await db.prisma.chatUser.create({ data: { channel: "telegram", channelUserId: String(ALICE), chatId: String(ALICE) } });
    const queuedRow = await enqueue(ALICE, "您的举报已解决");
    fake.failNextSends(1, { type: "blocked" });
    const outbox = worker();

    await outbox.drainOnce();
    advance(60 * 60_000);
    expect(await outbox.drainOnce()).toBe(0);

    const dead = await row(queuedRow.id);
    expect(dead).toMatchObject({ status: "DEAD", attempts: 1 });
    expect(dead.lastError).toContain("bot was blocked by the user");
    expect((await db.prisma.chatUser.findUniqueOrThrow({ where: { id: user.id } })).unreachableAt).toEqual(START);
    expect(fake.calls("sendMessage")).toHaveLength(1);
  });

  it("a row that cannot be rendered is dead-lettered with the renderer's message and nothing is sent", async () => {
    expectErrorLogs(/outbox row dead-lettered/);
    const queuedRow = await enqueue(ALICE, "x", { broken: true });
    await worker().drainOnce();
    expect(await row(queuedRow.id)).toMatchObject({ status: "DEAD", lastError: "Error: cannot render test.note" });
    expect(fake.calls("sendMessage")).toHaveLength(0);
  });

  it("rows of a channel this worker has no sender for stay pending and untouched", async () => {
    const wecom = await enqueue(GROUP, "企业微信", {}, "wecom");
    expect(await worker().drainOnce()).toBe(0);
    expect(await row(wecom.id)).toMatchObject({ status: "PENDING", attempts: 0, nextAttemptAt: START });
  });

  it("messages to one chat keep their order while an earlier one waits for a retry, even ones queued meanwhile; other chats are not held up", async () => {
    for (const text of ["一", "二", "三"]) await enqueue(GROUP, text);
    await enqueue(BOB, "bob");
    fake.failNextSends(1, { type: "retryAfter", seconds: 30 }, { chatId: GROUP });
    fake.failNextSends(1, { type: "serverError" }, { chatId: GROUP });
    const outbox = worker();

    await outbox.drainOnce();
    expect(texts(GROUP)).toEqual([]);
    expect(texts(BOB)).toEqual(["bob"]);
    await enqueue(GROUP, "四");
    advance(10_000);
    expect(await outbox.drainOnce()).toBe(0);

    for (let pass = 0; pass < 5; pass++) {
      advance(30_000);
      await outbox.drainOnce();
    }
    expect(texts(GROUP)).toEqual(["一", "二", "三", "四"]);
    const rows = await db.prisma.outboxMessage.findMany({ where: { chatId: String(GROUP) }, orderBy: { createdAt: "asc" } });
    // The 429 cost no attempt, the 500 one; the rows held back behind them none.
    expect(rows.map((r) => [r.status, r.attempts])).toEqual([
      ["SENT", 2],
      ["SENT", 1],
      ["SENT", 1],
      ["SENT", 1],
    ]);
  });

  it("a worker that outlived its lease cannot hand back a row another worker now holds", async () => {
    const queuedRow = await enqueue(ALICE, "只发一次");
    const stale = controlledSender();
    const current = controlledSender();
    const stalePass = worker({ leaseMs: 60_000 }, stale.sender).drainOnce();
    await vi.waitFor(() => expect(stale.pending).toHaveLength(1));
    advance(60_001);
    const currentPass = worker({ leaseMs: 60_000 }, current.sender).drainOnce();
    await vi.waitFor(() => expect(current.pending).toHaveLength(1));

    stale.pending[0]!({ type: "failed", error: "socket hang up" });
    await stalePass;
    // Past the stale worker's backoff (at most 2 s), well within the current worker's lease.
    advance(5_000);
    const third = { sends: 0 };
    const thirdSender: ChannelSender = {
      perDestinationPerMinute: 20,
      perSecondOverall: 30,
      send: async () => {
        third.sends += 1;
        return { type: "sent" };
      },
    };
    expect(await worker({ leaseMs: 60_000 }, thirdSender).drainOnce()).toBe(0);

    current.pending[0]!({ type: "sent" });
    await currentPass;
    expect(await row(queuedRow.id)).toMatchObject({ status: "SENT", attempts: 2, lastError: null });
    expect(third.sends).toBe(0);
  });

  it("50 messages to one group go out 20 at once, then 20 more each time the minute window has passed, in order", async () => {
    for (let n = 1; n <= 50; n++) await enqueue(GROUP, `alert ${n}`);
    const outbox = worker({ batchSize: 100 });
    const expected = Array.from({ length: 50 }, (_, index) => `alert ${index + 1}`);

    await outbox.drainOnce();
    expect(texts(GROUP)).toEqual(expected.slice(0, 20));
    const held = await db.prisma.outboxMessage.findMany({ where: { status: "PENDING" } });
    expect(held).toHaveLength(30);
    expect(held.every((r) => r.attempts === 0 && r.nextAttemptAt > START)).toBe(true);

    // No burst allowance: within the minute of the first 20, not one more goes.
    advance(59_000);
    await outbox.drainOnce();
    expect(texts(GROUP)).toEqual(expected.slice(0, 20));

    advance(1_000);
    await outbox.drainOnce();
    expect(texts(GROUP)).toEqual(expected.slice(0, 40));

    advance(60_000);
    await outbox.drainOnce();
    expect(texts(GROUP)).toEqual(expected);
  });

  it("more chats than the overall limit allows a second are served 30 now and the rest a second later", async () => {
    const chats = Array.from({ length: 40 }, (_, index) => 5_000 + index);
    for (const chat of chats) {
      fake.addChat({ id: chat, type: "private", first_name: `u${chat}` });
      await enqueue(chat, `hello ${chat}`);
    }
    const outbox = worker({ batchSize: 100 });

    await outbox.drainOnce();
    expect(fake.calls("sendMessage")).toHaveLength(TELEGRAM_SEND_LIMITS.perSecondOverall);
    advance(1_000);
    await outbox.drainOnce();
    expect(chats.every((chat) => texts(chat).length === 1)).toBe(true);
  });

  it("two workers draining 200 rows at the same time never send a row twice", async () => {
    const chats = Array.from({ length: 20 }, (_, index) => 7_000 + index);
    for (const chat of chats) fake.addChat({ id: chat, type: "group", title: `g${chat}` });
    for (let n = 0; n < 200; n++) await enqueue(chats[n % chats.length]!, `row-${n}`);
    // A second client on the same database, as a second instance would have; PGlite serves one process only.
    const second = kind === "postgres" ? await open() : db;
    const counted = (sends: { n: number }): ChannelSender => {
      const sender = telegram();
      return {
        perDestinationPerMinute: 1_000,
        perSecondOverall: 1_000,
        send: (chatId, messages) => {
          sends.n += 1;
          return sender.send(chatId, messages);
        },
      };
    };
    const sendsA = { n: 0 };
    const sendsB = { n: 0 };
    const workerA = worker({ batchSize: 15 }, counted(sendsA));
    const workerB = worker({ batchSize: 15 }, counted(sendsB), second);
    try {
      for (let pass = 0; pass < 30 && (await db.prisma.outboxMessage.count({ where: { status: "PENDING" } })) > 0; pass++) {
        await Promise.all([workerA.drainOnce(), workerB.drainOnce(), workerA.drainOnce(), workerB.drainOnce()]);
      }
    } finally {
      if (second !== db) await second.close();
    }

    const counts = sendCounts();
    expect(counts.size).toBe(200);
    expect([...counts.values()].every((count) => count === 1)).toBe(true);
    expect(sendsA.n).toBeGreaterThan(0);
    expect(sendsB.n).toBeGreaterThan(0);
    expect(sendsA.n + sendsB.n).toBe(200);
    for (const chat of chats) {
      expect(texts(chat)).toEqual(Array.from({ length: 10 }, (_, index) => `row-${chat - 7_000 + index * 20}`));
    }
    expect(await db.prisma.outboxMessage.count({ where: { status: "SENT" } })).toBe(200);
  });

  it("rows of a worker killed mid-send are delivered by another after the lease, and the dead worker cannot undo that", async () => {
    const rows = [await enqueue(ALICE, "a"), await enqueue(BOB, "b"), await enqueue(GROUP, "g")];
    fake.failNextSends(3, { type: "hang" });
    const killed = worker({ leaseMs: 60_000 });
    const hanging = killed.drainOnce();
    await vi.waitFor(() => expect(fake.calls("sendMessage")).toHaveLength(3));

    const successor = worker({ leaseMs: 60_000 });
    expect(await successor.drainOnce()).toBe(0);
    advance(60_001);
    expect(await successor.drainOnce()).toBe(3);

    // The killed worker's requests finally fail; its stale claims must not reopen the sent rows.
    fake.releaseHungSends();
    await hanging;
    advance(60 * 60_000);
    expect(await successor.drainOnce()).toBe(0);

    expect([texts(ALICE), texts(BOB), texts(GROUP)]).toEqual([["a"], ["b"], ["g"]]);
    for (const sent of rows) expect(await row(sent.id)).toMatchObject({ status: "SENT", attempts: 2, lastError: null });
  });

  it("a started worker delivers rows queued while it runs, and stop waits for the pass in flight", async () => {
    now = new Date();
    const outbox = createOutboxWorker({
      sql: db.sql,
      render,
      senders: { telegram: telegram() },
      logger,
      options: { pollMs: 20 },
    });
    outbox.start();
    const queuedRow = await enqueue(ALICE, "实时送达");
    await vi.waitFor(() => expect(texts(ALICE)).toEqual(["实时送达"]));
    await outbox.stop();
    await enqueue(ALICE, "停止之后");
    expect(await db.prisma.outboxMessage.count({ where: { status: "PENDING" } })).toBe(1);
    expect((await row(queuedRow.id)).status).toBe("SENT");
  });

  it("a sent row keeps the id of the message Telegram delivered, so it can be edited later", async () => {
    const alert = await enqueueAlert(GROUP, 1);
    const quiet = await enqueue(BOB, "never shown", { silent: true });
    await worker().drainOnce();

    const [delivered] = fake.deliveredTo(GROUP);
    expect(delivered?.text).toContain(reference(1));
    expect(await row(alert.id)).toMatchObject({ status: "SENT", deliveredRef: String(delivered?.message_id) });
    expect(await row(quiet.id)).toMatchObject({ status: "SENT", deliveredRef: null });
  });

  it("100 alerts queued to one group: at most 20 messages reach it in the first minute, the rest come as a digest, and every reference exactly once", async () => {
    for (let n = 1; n <= 100; n++) await enqueueAlert(GROUP, n, n === 50 ? "alert.escalated" : "alert.new");
    await enqueue(BOB, "bob is not held up");
    const outbox = worker({ batchSize: 200 });

    for (let second = 0; second < 60; second += 5) {
      await outbox.drainOnce();
      advance(5_000);
    }
    expect(fake.deliveredTo(GROUP).length).toBeLessThanOrEqual(20);
    for (let pass = 0; pass < 20; pass++) {
      await outbox.drainOnce();
      advance(60_000);
    }

    // Alerts that fit the group's tokens went out on their own, one token was left for the digest.
    const alerted = alertedReferences(GROUP);
    expect(alerted).toEqual(Array.from({ length: 19 }, (_, index) => reference(index + 1)));
    const digested = await digestedReferences();
    expect(digested).toEqual(Array.from({ length: 81 }, (_, index) => reference(index + 20)));
    expect(fake.deliveredTo(GROUP)).toHaveLength(20);
    expect(texts(BOB)).toEqual(["bob is not held up"]);

    const digestText = fake.deliveredTo(GROUP)[19]?.text ?? "";
    expect(digestText).toContain("积压告警汇总：80 条新举报、1 条升级");
    expect(digestText).toContain(`${reference(20)} · 占道经营 · 永德路20号（吴泾一片区）`);
    expect(digestText).toContain("…及其他 41 条");
    // No reference shows twice anywhere in the group.
    const shown = fake.deliveredTo(GROUP).flatMap((message) => message.text?.match(REFERENCES) ?? []);
    expect(new Set(shown).size).toBe(shown.length);

    const rows = await db.prisma.outboxMessage.findMany({ where: { chatId: String(GROUP) } });
    const digestRow = rows.find((r) => r.kind === ALERT_DIGEST_KIND);
    expect(digestRow).toMatchObject({ status: "SENT", deliveredRef: String(fake.deliveredTo(GROUP)[19]?.message_id) });
    const merged = rows.filter((r) => r.status === "MERGED");
    expect(merged).toHaveLength(81);
    expect(merged.every((r) => r.mergedIntoId === digestRow?.id && r.attempts === 0)).toBe(true);
    // The digest took the place of the oldest alert it folded in the group's order.
    expect(digestRow?.createdAt).toEqual(rows.find((r) => (r.payload as { reference?: string }).reference === reference(20))?.createdAt);
    expect(rows.filter((r) => r.status === "SENT")).toHaveLength(20);
  });

  it("a backlog that forms while Telegram is down is digested and delivered once Telegram answers again, each reference once", async () => {
    const head = await enqueueAlert(GROUP, 1);
    for (let n = 2; n <= 20; n++) await enqueueAlert(GROUP, n);
    fake.failNextSends(3, { type: "serverError" }, { chatId: GROUP });
    const outbox = worker({ batchSize: 100 });

    // 20 pending fit the group's minute: no digest yet.
    await outbox.drainOnce();
    expect(await db.prisma.outboxMessage.count({ where: { kind: ALERT_DIGEST_KIND } })).toBe(0);
    for (let n = 21; n <= 60; n++) await enqueueAlert(GROUP, n);
    for (let pass = 0; pass < 30; pass++) {
      advance(20_000);
      await outbox.drainOnce();
    }

    expect(await db.prisma.outboxMessage.count({ where: { status: "PENDING" } })).toBe(0);
    const alerted = alertedReferences(GROUP);
    const digested = await digestedReferences();
    expect(digested.length).toBeGreaterThan(0);
    expect([...alerted, ...digested].sort()).toEqual(Array.from({ length: 60 }, (_, index) => reference(index + 1)));
    // The alert that failed was attempted, so it is never folded: it went out on its own, first.
    expect(alerted[0]).toBe(reference(1));
    expect(await row(head.id)).toMatchObject({ status: "SENT", attempts: 4 });
  });

  it("two workers folding and sending a backlog at the same time never send or fold a row twice and lose none", async () => {
    const groups = [GROUP, -100_778, -100_779];
    for (const group of groups.slice(1)) fake.addChat({ id: group, type: "group", title: `g${group}` });
    let n = 0;
    for (let round = 0; round < 60; round++) for (const group of groups) await enqueueAlert(group, ++n);
    for (let note = 0; note < 30; note++) await enqueue(note % 2 === 0 ? ALICE : BOB, `note-${note}`);
    const second = kind === "postgres" ? await open() : db;
    const workerA = worker({ batchSize: 15 });
    const workerB = worker({ batchSize: 15 }, telegram(), second);
    try {
      for (let pass = 0; pass < 40 && (await db.prisma.outboxMessage.count({ where: { status: "PENDING" } })) > 0; pass++) {
        await Promise.all([workerA.drainOnce(), workerB.drainOnce(), workerA.drainOnce(), workerB.drainOnce()]);
        advance(10_000);
      }
    } finally {
      if (second !== db) await second.close();
    }

    expect(await db.prisma.outboxMessage.count({ where: { status: { notIn: ["SENT", "MERGED"] } } })).toBe(0);
    const alerted = groups.flatMap(alertedReferences);
    const digested = await digestedReferences();
    expect(digested.length).toBeGreaterThan(0);
    expect([...alerted, ...digested].sort()).toEqual(Array.from({ length: n }, (_, index) => reference(index + 1)));
    const shown = groups.flatMap((group) => fake.deliveredTo(group).flatMap((message) => message.text?.match(REFERENCES) ?? []));
    expect(new Set(shown).size).toBe(shown.length);
    const counts = sendCounts();
    expect(Array.from({ length: 30 }, (_, note) => counts.get(`note-${note}`))).toEqual(Array.from({ length: 30 }, () => 1));
    // Every digest reached its group exactly once, and every merged row points at one.
    const digests = await db.prisma.outboxMessage.findMany({ where: { kind: ALERT_DIGEST_KIND } });
    expect(digests.every((digest) => digest.status === "SENT")).toBe(true);
    const merged = await db.prisma.outboxMessage.findMany({ where: { status: "MERGED" } });
    expect(merged.every((r) => digests.some((digest) => digest.id === r.mergedIntoId && digest.chatId === r.chatId))).toBe(true);
  });
});
