import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderOutboxRow } from "../../../src/bot/notify/render.ts";
import {
  createMerchantReports,
  MERCHANT_ANSWER_ALERT_KIND,
  MERCHANT_REPORT_KIND,
  MERCHANT_STATUS_KIND,
  type MerchantReports,
} from "../../../src/domain/reports/merchant-answers.ts";
import { shownText } from "../../support/conversation.ts";
import { DATABASE_KINDS } from "../../support/databases.ts";
import { acknowledgeCompact, bindShop, publishCompact, reportFiler, STAFF_GROUPS, withStaffGroups } from "../../support/shop-reports.ts";
import { fullView, openSampleServices, TINY_PNG, type SampleServices, TOWN_TIME_ZONE } from "../../support/town.ts";

const STAFF = { staffId: "staff-1", label: "第一路管会网格员" };

describe.each(DATABASE_KINDS)("reports about a shop on %s", (kind) => {
  let town: SampleServices;
  let merchants: MerchantReports;
  let file: ReturnType<typeof reportFiler>;
  const owner = { channel: "telegram" as const, userId: "noodle-owner", chatId: "noodle-owner-chat" };
  const manager = { channel: "web" as const, userId: "noodle-manager", chatId: "noodle-manager-chat", locale: "en" as const };
  const reporter = {
    channel: "telegram",
    userId: "reporter-7731",
    chatId: "reporter-7731-chat",
    displayName: "欧阳娜娜",
    locale: "zh" as const,
  };

  beforeAll(async () => {
    town = await openSampleServices({ kind });
    merchants = createMerchantReports({ sql: town.db.sql, townCode: "wujing" });
    await withStaffGroups(town);
    await bindShop(town.db.prisma, "yd-noodles", owner);
    await bindShop(town.db.prisma, "yd-noodles", manager);
    const revoked = await bindShop(town.db.prisma, "yd-noodles", {
      channel: "telegram",
      userId: "former-owner",
      chatId: "former-owner-chat",
    });
    await town.db.prisma.merchantAccount.update({ where: { id: revoked.accountId }, data: { revokedAt: new Date() } });
    file = reportFiler(town);
  });
  afterAll(async () => {
    await town.close();
  });

  const rowsOf = (reference: string, kind: string) =>
    town.db.prisma.outboxMessage.findMany({
      where: { kind, payload: { path: ["reference"], equals: reference } },
      orderBy: { chatId: "asc" },
    });

  it("a report naming a bound shop queues a notice to each of its accounts, with the masked description and without the reporter", async () => {
    const reference = await file("yd-noodles", reporter, { description: "面馆门口摆桌子，老板电话13812345678" });
    const rows = await rowsOf(reference, MERCHANT_REPORT_KIND);
    expect(rows.map((row) => row.chatId)).toEqual([manager.chatId, owner.chatId]);
    for (const row of rows) expect(JSON.stringify(row.payload)).not.toMatch(/欧阳娜娜|reporter-7731|13812345678|contactAllowed/);
    const chinese = renderOutboxRow(rows.find((row) => row.chatId === owner.chatId)!, TOWN_TIME_ZONE)!;
    expect(shownText(chinese)).toContain(`与「永德路示例面馆」有关的问题（${reference}）`);
    expect(shownText(chinese)).toContain("地点：永德路12号");
    expect(shownText(chinese)).toContain("138****5678");
    expect(chinese[0]).toMatchObject({ type: "choices", options: [{ label: "✅ 已整改" }, { label: "❓ 有异议" }, { label: "🔎 查看" }] });
    expect(shownText(renderOutboxRow(rows.find((row) => row.chatId === manager.chatId)!, TOWN_TIME_ZONE)!)).toContain(
      "concerning Sample Noodle Shop",
    );
  });

  it("the notice is written in the submitting transaction: when it cannot be written, the report is not filed either", async () => {
    const prisma = town.db.prisma;
    await prisma.$executeRawUnsafe(
      `CREATE FUNCTION refuse_merchant_notice() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'no merchant notices today'; END $$`,
    );
    await prisma.$executeRawUnsafe(
      `CREATE TRIGGER refuse_merchant_notice BEFORE INSERT ON "OutboxMessage" FOR EACH ROW WHEN (NEW."kind" = 'merchant.report') EXECUTE FUNCTION refuse_merchant_notice()`,
    );
    const before = await prisma.report.count();
    try {
      await expect(
        file(
          "yd-noodles",
          { ...reporter, userId: "rollback-reporter", chatId: "rollback-reporter" },
          { place: { roadCode: "yongde", houseNumber: 60 } },
        ),
      ).rejects.toThrow(/no merchant notices today/);
    } finally {
      await prisma.$executeRawUnsafe(`DROP TRIGGER refuse_merchant_notice ON "OutboxMessage"`);
      await prisma.$executeRawUnsafe(`DROP FUNCTION refuse_merchant_notice()`);
    }
    expect(await prisma.report.count()).toBe(before);
    expect(await prisma.chatUser.count({ where: { channelUserId: "rollback-reporter" } })).toBe(0);
  });

  it("no notice for a shop without accounts, nor for a blocked reporter's unrouted report", async () => {
    const fruit = await file(
      "yd-fruit",
      { ...reporter, userId: "fruit-reporter", chatId: "fruit-reporter" },
      { place: { roadCode: "yongde", houseNumber: 15 } },
    );
    expect(await rowsOf(fruit, MERCHANT_REPORT_KIND)).toEqual([]);
    const troll = { ...reporter, userId: "blocked-reporter", chatId: "blocked-reporter" };
    await file(undefined, troll, { place: { roadCode: "yongde", houseNumber: 90 } });
    await town.reports.blockUser({ channel: troll.channel, userId: troll.userId }, STAFF, "恶意举报");
    const unrouted = await file("yd-noodles", troll, { place: { roadCode: "yongde", houseNumber: 12 } });
    expect(await rowsOf(unrouted, MERCHANT_REPORT_KIND)).toEqual([]);
    expect(await merchants.view(owner, unrouted)).toEqual({ type: "notFound" });
    expect(await merchants.answer(owner, unrouted, { kind: "disputed", note: "不是我们" })).toEqual({ type: "notFound" });
  });

  it("an answer's note is stored without zero-width and bidirectional control characters", async () => {
    const reference = await file("yd-noodles", reporter, { place: { roadCode: "yongde", houseNumber: 38 } });
    expect(
      await merchants.answer(owner, reference, { kind: "disputed", note: "\u202e桌子在\u200b店内\u2066范围\u2069\ufeff" }),
    ).toMatchObject({ type: "ok" });
    const event = await town.db.prisma.reportEvent.findFirstOrThrow({ where: { report: { reference }, actorKind: "MERCHANT" } });
    expect(event.note).toBe("桌子在店内范围");
  });

  it("an answer goes into the case timeline residents read, and to every staff group alerted about the case", async () => {
    const reference = await file("yd-noodles", reporter, { place: { roadCode: "yongde", houseNumber: 36 } });
    const photo = await town.media.put(TINY_PNG(61));
    if (!photo.ok) throw new Error(photo.reason);
    const first = await merchants.answer(owner, reference, {
      kind: "rectified",
      note: "桌子已收回，有问题请打13912345678",
      photoId: photo.mediaId,
    });
    expect(first).toEqual({ type: "ok", reference, answer: "rectified", staffGroups: 2 });
    const second = await merchants.answer(manager, reference, { kind: "disputed", note: "桌子在店内范围" });
    expect(second).toMatchObject({ type: "ok", answer: "disputed" });

    const view = fullView(await town.reports.viewForResident(reference, reporter));
    const merchantEntries = view.timeline.filter((entry) => entry.by === "merchant");
    expect(merchantEntries.map((entry) => [entry.type, entry.note])).toEqual([
      ["MERCHANT_RECTIFIED", "桌子已收回，有问题请打139****5678"],
      ["MERCHANT_DISPUTED", "桌子在店内范围"],
    ]);
    const events = await town.db.prisma.reportEvent.findMany({
      where: { report: { reference }, actorKind: "MERCHANT" },
      orderBy: { createdAt: "asc" },
    });
    expect(events.map((event) => [event.actorLabel, event.photoId])).toEqual([
      ["永德路示例面馆", photo.mediaId],
      ["永德路示例面馆", null],
    ]);

    const staffRows = await rowsOf(reference, MERCHANT_ANSWER_ALERT_KIND);
    expect(staffRows.map((row) => row.chatId).sort()).toEqual(
      [STAFF_GROUPS.rc1, STAFF_GROUPS.rc1, STAFF_GROUPS.d2, STAFF_GROUPS.d2].sort(),
    );
    const rectified = renderOutboxRow(
      staffRows.find((row) => row.chatId === STAFF_GROUPS.rc1 && (row.payload as { answer: string }).answer === "rectified")!,
      TOWN_TIME_ZONE,
    )!;
    expect(shownText(rectified)).toContain(`永德路示例面馆 表示 ${reference} 已整改`);
    expect(shownText(rectified)).toContain("139****5678");
    expect(rectified[1]).toEqual({ type: "photo", mediaId: photo.mediaId, caption: `${reference} 商户整改照片` });
    const english = renderOutboxRow(
      staffRows.find((row) => row.chatId === STAFF_GROUPS.d2 && (row.payload as { answer: string }).answer === "disputed")!,
      TOWN_TIME_ZONE,
    )!;
    expect(shownText(english)).toContain(`Sample Noodle Shop disputes ${reference}`);

    const staffView = await town.reports.caseForStaff(reference);
    expect(staffView!.timeline.filter((entry) => entry.by === "merchant").map((entry) => entry.actorLabel)).toEqual([
      "永德路示例面馆",
      "永德路示例面馆",
    ]);
  });

  it("refuses a stranger, a revoked account, another shop's account, a closed case and a note of the wrong length", async () => {
    const reference = await file("yd-noodles", reporter, { place: { roadCode: "yongde", houseNumber: 70 } });
    const note = { kind: "disputed" as const, note: "不是我们的桌子" };
    expect(await merchants.answer({ channel: "telegram", userId: "stranger" }, reference, note)).toEqual({ type: "notMerchant" });
    expect(await merchants.answer({ channel: "telegram", userId: "former-owner" }, reference, note)).toEqual({ type: "notMerchant" });
    expect(await merchants.view({ channel: "telegram", userId: "former-owner" }, reference)).toEqual({ type: "notMerchant" });
    const baker = { channel: "telegram" as const, userId: "baker", chatId: "baker" };
    await bindShop(town.db.prisma, "yd-bakery", baker);
    expect(await merchants.answer(baker, reference, note)).toEqual({ type: "notFound" });
    expect(await merchants.view(baker, reference)).toEqual({ type: "notFound" });
    expect(await merchants.answer(owner, reference, { kind: "disputed", note: " 不 " })).toEqual({ type: "invalidNote" });
    expect(await merchants.answer(owner, reference, { kind: "disputed", note: "长".repeat(501) })).toEqual({ type: "invalidNote" });
    expect(await merchants.answer(owner, reference, { kind: "rectified", note: "好好" })).toMatchObject({ type: "ok" });

    await town.reports.reject(reference, STAFF, "INVALID", "现场核实无占道");
    expect(await merchants.answer(owner, reference, note)).toEqual({ type: "closed", reference, status: "REJECTED" });
    expect(await town.db.prisma.reportEvent.count({ where: { report: { reference }, actorKind: "MERCHANT" } })).toBe(1);
  });

  it("tells the shop when its case is closed, with the outcome and not the staff note", async () => {
    const reference = await file("yd-noodles", reporter, { place: { roadCode: "yongde", houseNumber: 100 } });
    await town.reports.acknowledge(reference, STAFF);
    await town.reports.startProgress(reference, STAFF, "已联系居民欧阳娜娜了解情况");
    expect(await rowsOf(reference, MERCHANT_STATUS_KIND)).toEqual([]);
    await town.reports.resolve(reference, STAFF, "已与居民欧阳娜娜核实，桌子已收回");
    const rows = await rowsOf(reference, MERCHANT_STATUS_KIND);
    expect(rows.map((row) => row.chatId)).toEqual([manager.chatId, owner.chatId]);
    const text = shownText(renderOutboxRow(rows.find((row) => row.chatId === owner.chatId)!, TOWN_TIME_ZONE)!);
    expect(text).toContain(`与「永德路示例面馆」有关的举报 ${reference} 已办结：已解决`);
    expect(text).not.toContain("欧阳娜娜");
  });

  it("lists a shop's open reports oldest first and its closed ones, only for the shop's accounts", async () => {
    const result = await merchants.casesOf(owner);
    if (result.type !== "ok") throw new Error(result.type);
    expect(result.shops.map((shop) => shop.code)).toEqual(["yd-noodles"]);
    const opened = result.open.map((line) => line.reportedAt.getTime());
    expect(opened).toEqual([...opened].sort((a, b) => a - b));
    expect(result.open.every((line) => line.status !== "RESOLVED" && line.status !== "REJECTED")).toBe(true);
    expect(result.history.map((line) => line.status).sort()).toEqual(["REJECTED", "RESOLVED"]);
    expect(await merchants.casesOf({ channel: "web", userId: "nobody" })).toEqual({ type: "notMerchant" });
  });
});

describe("staff alerts about a shop say whether it signed the compact in force", () => {
  let town: SampleServices;
  let file: ReturnType<typeof reportFiler>;
  const reporter = { channel: "telegram", userId: "standing-reporter", chatId: "standing-reporter", locale: "zh" as const };
  const DAY = 86_400_000;

  beforeAll(async () => {
    town = await openSampleServices();
    await withStaffGroups(town);
    file = reportFiler(town);
    const now = Date.now();
    const v1 = await publishCompact(town.db.prisma, new Date(now - 30 * DAY));
    const v2 = await publishCompact(town.db.prisma, new Date(now - DAY));
    const fruit = await bindShop(town.db.prisma, "yd-fruit", { channel: "telegram", userId: "fruit", chatId: "fruit" });
    await acknowledgeCompact(town.db.prisma, fruit, v1, new Date(now - 20 * DAY));
    const bbq = await bindShop(town.db.prisma, "yd-bbq", { channel: "telegram", userId: "bbq", chatId: "bbq" });
    await acknowledgeCompact(town.db.prisma, bbq, v2, new Date(now - DAY / 2));
  });
  afterAll(async () => {
    await town.close();
  });

  const alertText = async (reference: string) => {
    const row = await town.db.prisma.outboxMessage.findFirstOrThrow({
      where: { kind: "alert.new", chatId: STAFF_GROUPS.rc1, payload: { path: ["reference"], equals: reference } },
    });
    return shownText(renderOutboxRow(row, TOWN_TIME_ZONE)!);
  };

  it("a shop that never signed, one that signed only an earlier version, and one that signed the current version", async () => {
    const none = await file("yd-noodles", reporter, { place: { roadCode: "yongde", houseNumber: 12 } });
    const outdated = await file("yd-fruit", reporter, { place: { roadCode: "yongde", houseNumber: 15 } });
    const current = await file("yd-bbq", reporter, { place: { roadCode: "yongde", houseNumber: 23 } });
    expect(await alertText(none)).toContain("涉及商户：永德路示例面馆（未签署现行公约）");
    expect(await alertText(outdated)).toContain("涉及商户：永德路示例水果店（公约已更新，尚未重新确认）");
    const plain = await alertText(current);
    expect(plain).toContain("涉及商户：永德路示例烧烤店\n");
    expect(plain).not.toMatch(/公约已更新|未签署/);
    expect((await town.reports.caseForStaff(none))!.shopStanding).toBe("none");
    expect((await town.reports.caseForStaff(outdated))!.shopStanding).toBe("outdated");
    expect((await town.reports.caseForStaff(current))!.shopStanding).toBe("current");
  });
});
