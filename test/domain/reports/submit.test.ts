import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Database } from "../../../src/db/database.ts";
import {
  DEFAULT_REPORTS_OPTIONS,
  InvalidReportDraftError,
  UnknownCategoryError,
  type StaffReportActions,
} from "../../../src/domain/reports/reports.ts";
import type { ReportDraft, ReportsService } from "../../../src/domain/reports/service.ts";
import { DATABASE_KINDS } from "../../support/databases.ts";
import { failOutboxRowsTo, stopFailingOutboxRows } from "../../support/outbox-faults.ts";
import { declining, fullView, openSampleReports, resident } from "../../support/town.ts";

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const STAFF = { staffId: "staff-1", label: "第一路管会工作人员" };

describe.each(DATABASE_KINDS)("submitting reports on %s", (kind) => {
  let db: Database;
  let reports: ReportsService & StaffReportActions;
  let now: Date;
  // Two ordinary categories from the sample data, so no test depends on how they are spelled.
  let categoryA: string;
  let categoryB: string;
  let residents = 0;
  const someone = () => resident(`${kind}-${++residents}`);
  const draft = (over: Partial<ReportDraft> = {}): ReportDraft => ({
    categoryCode: categoryA,
    place: { roadCode: "yongde", houseNumber: 12 },
    description: "门口摆摊，占了人行道",
    photoIds: [],
    contactAllowed: false,
    ...over,
  });
  const created = (result: Awaited<ReturnType<ReportsService["submit"]>>) => {
    if (result.type !== "created") throw new Error(`expected a new report, got ${JSON.stringify(result)}`);
    return result;
  };

  beforeAll(async () => {
    ({ db, reports } = await openSampleReports(kind, { clock: () => now }));
    const codes = (
      await db.prisma.reportCategory.findMany({
        where: { routeToRoadCommitteeId: null, routeToDistrictId: null, code: { not: "other" } },
        orderBy: { sortOrder: "asc" },
      })
    ).map((c) => c.code);
    [categoryA, categoryB] = codes as [string, string];
  });
  beforeEach(async () => {
    // Every test starts with no reports, in a new year so references start again.
    await db.prisma.report.deleteMany();
    await db.prisma.outboxMessage.deleteMany();
    await db.prisma.chatUser.deleteMany();
    await db.prisma.referenceCounter.deleteMany();
    now = new Date("2026-03-02T01:00:00Z");
  });
  afterAll(async () => {
    await db.close();
  });

  it("lists the town's categories with their compact clauses, in the file's order", async () => {
    const categories = await reports.categories();
    expect(categories.map((c) => c.code)).toContain(categoryA);
    expect(categories.at(-1)?.code).toBe("other");
    for (const category of categories) {
      expect(category.name.zh).not.toBe("");
      expect(category.name.en).not.toBe("");
      expect(category.clause.ref).not.toBe("");
      expect(category.clause.text.zh).not.toBe("");
    }
  });

  it("lists the merchants on a road by house number, and none on a road without shops", async () => {
    const merchants = await reports.merchantsOnRoad("yongde");
    expect(merchants.length).toBeGreaterThan(0);
    expect(merchants.map((m) => m.houseNumber)).toEqual([...merchants.map((m) => m.houseNumber)].sort((a, b) => (a ?? 0) - (b ?? 0)));
    expect(merchants[0]).toMatchObject({ code: "yd-noodles", name: { zh: "永德路示例面馆", en: "Sample Noodle Shop" }, houseNumber: 12 });
    expect(await reports.merchantsOnRoad("lanping")).toEqual([]);
  });

  it("gives references from the town's prefix, unique and in sequence, and starts again at 000001 in a new year of the town's time", async () => {
    const first = created(await reports.submit(draft(), someone(), declining()));
    const second = created(await reports.submit(draft({ categoryCode: categoryB }), someone(), declining()));
    const third = created(await reports.submit(draft({ place: { roadCode: "heqing", houseNumber: 5 } }), someone(), declining()));
    expect([first.reference, second.reference, third.reference]).toEqual(["WJ-2026-000001", "WJ-2026-000002", "WJ-2026-000003"]);

    // 16:30 UTC on 31 December is already 1 January in Wujing.
    now = new Date("2026-12-31T16:30:00Z");
    await db.prisma.town.update({ where: { code: "wujing" }, data: { referencePrefix: "MH" } });
    try {
      expect(
        created(await reports.submit(draft({ place: { roadCode: "jinghong", houseNumber: 7 } }), someone(), declining())).reference,
      ).toBe("MH-2027-000001");
      expect(
        created(await reports.submit(draft({ place: { roadCode: "lanping", houseNumber: 7 } }), someone(), declining())).reference,
      ).toBe("MH-2027-000002");
    } finally {
      await db.prisma.town.update({ where: { code: "wujing" }, data: { referencePrefix: "WJ" } });
    }
  });

  it("stores the report, its photos in order, its first timeline entry and the reporter's confirmation together", async () => {
    const media = await Promise.all(
      [1, 2, 3].map((n) =>
        db.prisma.media.create({ data: { sha256: `hash-${n}`, mimeType: "image/jpeg", sizeBytes: 100 * n, path: `p/${n}.jpg` } }),
      ),
    );
    const me = someone();
    const result = created(
      await reports.submit(
        draft({
          photoIds: media.map((m) => m.id),
          merchantCode: "yd-noodles",
          contactAllowed: true,
          place: { roadCode: "yongde", houseNumber: 12, latitude: 31.04, longitude: 121.46 },
        }),
        me,
        declining(),
      ),
    );
    const report = await db.prisma.report.findUniqueOrThrow({
      where: { reference: result.reference },
      include: { photos: { orderBy: { position: "asc" } }, events: true, reporter: true, merchant: true },
    });
    expect(report.photos.map((p) => p.mediaId)).toEqual(media.map((m) => m.id));
    expect(report.events).toEqual([
      expect.objectContaining({ type: "SUBMITTED", toStatus: "SUBMITTED", actorKind: "RESIDENT", actorId: report.reporterId }),
    ]);
    expect(report).toMatchObject({
      status: "SUBMITTED",
      contactAllowed: true,
      latitude: 31.04,
      longitude: 121.46,
      routed: true,
      merchant: { code: "yd-noodles" },
    });
    expect(report.reporter).toMatchObject({ channel: me.channel, channelUserId: me.userId, chatId: me.chatId, locale: "zh" });
    const outbox = await db.prisma.outboxMessage.findMany();
    expect(outbox).toEqual([
      expect.objectContaining({
        kind: "report.submitted",
        channel: me.channel,
        chatId: me.chatId,
        dedupeKey: `${report.events[0]!.id}:${report.reporterId}`,
        status: "PENDING",
      }),
    ]);
    expect(outbox[0]!.payload).toMatchObject({
      reference: result.reference,
      status: "SUBMITTED",
      relation: "reporter",
      route: { kind: "roadCommittee", code: "rc1" },
    });
  });

  it("stores a description without zero-width, bidirectional-override and isolate characters, and so alerts it", async () => {
    const invisible = [
      "\u200b",
      "\u200c",
      "\u200d",
      "\u200e",
      "\u200f",
      "\u202a",
      "\u202b",
      "\u202c",
      "\u202d",
      "\u202e",
      "\u2060",
      "\u2066",
      "\u2067",
      "\u2068",
      "\u2069",
      "\ufeff",
    ];
    const written = `\u202e门口\u200b摆摊${invisible.join("")}占道，\u2066电话\u2069138\u200b1234\u200b5678\ufeff`;
    const result = created(await reports.submit(draft({ description: written }), someone(), declining()));
    const stored = await db.prisma.report.findUniqueOrThrow({ where: { reference: result.reference } });
    expect(stored.description).toBe("门口摆摊占道，电话13812345678");
    expect(fullView(await reports.viewForResident(result.reference, resident(`${kind}-${residents}`))).description).toBe(
      "门口摆摊占道，电话138****5678",
    );
  });

  it("keeps the exact position only when the flow passes it (the resident consented)", async () => {
    const result = created(await reports.submit(draft(), someone(), declining()));
    expect(await db.prisma.report.findUniqueOrThrow({ where: { reference: result.reference } })).toMatchObject({
      latitude: null,
      longitude: null,
    });
  });

  it("refuses a draft with more than three photos, half a location or an unknown category, storing nothing", async () => {
    await expect(reports.submit(draft({ photoIds: ["a", "b", "c", "d"] }), someone(), declining())).rejects.toThrow(
      InvalidReportDraftError,
    );
    await expect(reports.submit(draft({ place: { latitude: 31.04 } }), someone(), declining())).rejects.toThrow(InvalidReportDraftError);
    await expect(reports.submit(draft({ categoryCode: "no-such-category" }), someone(), declining())).rejects.toThrow(UnknownCategoryError);
    expect(await db.prisma.report.count()).toBe(0);
    expect(await db.prisma.referenceCounter.findMany({ where: { year: 2026 } })).toEqual([]);
  });

  it("finds an open report of the same category on the same road within the house-number span, masked, newest first", async () => {
    const old = created(await reports.submit(draft({ description: "摊主电话13812345678" }), someone(), declining()));
    now = new Date(now.getTime() + MINUTE);
    const newer = created(
      await reports.submit(draft({ place: { roadCode: "yongde", houseNumber: 30 } }), someone(), declining([old.reference])),
    );

    const nearby = await reports.findNearbyOpen(categoryA, { roadCode: "yongde", houseNumber: 20 });
    expect(nearby.map((r) => r.reference)).toEqual([newer.reference, old.reference]);
    expect(nearby[1]).toMatchObject({
      description: "摊主电话138****5678",
      status: "SUBMITTED",
      supporters: 0,
      place: { zh: "永德路12号", en: "No. 12, Yongde Road" },
    });
    expect(await reports.findNearbyOpen(categoryA, { roadCode: "yongde" })).toHaveLength(2);
  });

  it("does not count a far house number, another road, another category, an old report or a closed one as a duplicate", async () => {
    const report = created(await reports.submit(draft(), someone(), declining()));
    const span = DEFAULT_REPORTS_OPTIONS.duplicateHouseNumberSpan;
    expect(await reports.findNearbyOpen(categoryA, { roadCode: "yongde", houseNumber: 12 + span + 1 })).toEqual([]);
    expect(await reports.findNearbyOpen(categoryA, { roadCode: "heqing", houseNumber: 12 })).toEqual([]);
    expect(await reports.findNearbyOpen(categoryB, { roadCode: "yongde", houseNumber: 12 })).toEqual([]);

    now = new Date(now.getTime() + (DEFAULT_REPORTS_OPTIONS.duplicateWindowDays - 1) * DAY);
    expect(await reports.findNearbyOpen(categoryA, { roadCode: "yongde", houseNumber: 12 })).toHaveLength(1);
    now = new Date(now.getTime() + 2 * DAY);
    expect(await reports.findNearbyOpen(categoryA, { roadCode: "yongde", houseNumber: 12 })).toEqual([]);

    now = new Date("2026-03-02T02:00:00Z");
    await reports.acknowledge(report.reference, STAFF);
    expect(await reports.findNearbyOpen(categoryA, { roadCode: "yongde", houseNumber: 12 })).toHaveLength(1);
    expect(await reports.resolve(report.reference, STAFF, "已劝离摊主")).toMatchObject({ type: "ok" });
    expect(await reports.findNearbyOpen(categoryA, { roadCode: "yongde", houseNumber: 12 })).toEqual([]);
  });

  it("matches shared locations by distance and neighbourhood-only places by neighbourhood", async () => {
    const pinned = created(await reports.submit(draft({ place: { latitude: 31.04, longitude: 121.46 } }), someone(), declining()));
    // About 100 m north, then about 500 m north.
    expect((await reports.findNearbyOpen(categoryA, { latitude: 31.0409, longitude: 121.46 })).map((r) => r.reference)).toEqual([
      pinned.reference,
    ]);
    expect(await reports.findNearbyOpen(categoryA, { latitude: 31.0445, longitude: 121.46 })).toEqual([]);

    const estate = created(await reports.submit(draft({ place: { neighbourhoodCode: "zizhu-peninsula" } }), someone(), declining()));
    expect((await reports.findNearbyOpen(categoryA, { neighbourhoodCode: "zizhu-peninsula" })).map((r) => r.reference)).toEqual([
      estate.reference,
    ]);
    expect(await reports.findNearbyOpen(categoryA, { neighbourhoodCode: "huaning" })).toEqual([]);
  });

  it("makes a resident follow an open duplicate that appeared after they were shown the nearby ones, but not one they declined", async () => {
    const first = created(await reports.submit(draft(), someone(), declining()));
    const late = someone();
    expect(await reports.submit(draft({ place: { roadCode: "yongde", houseNumber: 14 } }), late, declining())).toEqual({
      type: "followedExisting",
      reference: first.reference,
    });
    expect(await db.prisma.reportFollower.count({ where: { report: { reference: first.reference } } })).toBe(1);

    const decided = created(
      await reports.submit(
        draft({ place: { roadCode: "yongde", houseNumber: 14 } }),
        someone(),
        declining([first.reference.toLowerCase()]),
      ),
    );
    expect(decided.reference).not.toBe(first.reference);
    expect(await db.prisma.report.count()).toBe(2);
  });

  it("never makes a resident follow a nearby report filed before they were shown the nearby ones, shown or not, but does one filed after", async () => {
    const before: { reference: string }[] = [];
    for (const houseNumber of [10, 12, 14, 16]) {
      before.push(
        created(
          await reports.submit(draft({ place: { roadCode: "yongde", houseNumber } }), someone(), declining(before.map((r) => r.reference))),
        ),
      );
      now = new Date(now.getTime() + MINUTE);
    }
    // The resident is shown the three newest and files anyway; the oldest was never shown.
    const shown = (await reports.findNearbyOpen(categoryA, { roadCode: "yongde", houseNumber: 13 })).slice(0, 3).map((r) => r.reference);
    expect(shown).not.toContain(before[0]!.reference);
    const check = { checkedAt: now, declined: shown };
    now = new Date(now.getTime() + MINUTE);
    const resident = someone();
    const filed = created(await reports.submit(draft({ place: { roadCode: "yongde", houseNumber: 13 } }), resident, check));
    expect(before.map((r) => r.reference)).not.toContain(filed.reference);
    expect(await db.prisma.reportFollower.count()).toBe(0);

    // Another resident shown the same list at the same moment, while someone files the same problem after it.
    const after = created(
      await reports.submit(draft({ place: { roadCode: "yongde", houseNumber: 11 } }), someone(), {
        checkedAt: now,
        declined: [...shown, filed.reference],
      }),
    );
    expect(await reports.submit(draft({ place: { roadCode: "yongde", houseNumber: 13 } }), someone(), check)).toEqual({
      type: "followedExisting",
      reference: after.reference,
    });
  });

  it("answers a confirm made again after its answer was lost with the resident's own report as their submission, not as someone else's", async () => {
    const resident = someone();
    const check = { checkedAt: now, declined: [] };
    const first = created(await reports.submit(draft(), resident, check));
    now = new Date(now.getTime() + MINUTE);
    expect(await reports.submit(draft(), resident, check)).toEqual(first);
    expect(await db.prisma.report.count()).toBe(1);
    expect(await db.prisma.reportFollower.count()).toBe(0);
    expect(await db.prisma.reportEvent.count()).toBe(1);
  });

  it("files one case with one follower when two residents submit the same problem at the same moment", async () => {
    const [a, b] = [someone(), someone()];
    const results = await Promise.all([
      reports.submit(draft(), a, declining()),
      reports.submit(draft({ place: { roadCode: "yongde", houseNumber: 16 } }), b, declining()),
    ]);
    expect(results.map((r) => r.type).sort()).toEqual(["created", "followedExisting"]);
    expect(results[0]!.type === "rateLimited" || results[1]!.type === "rateLimited").toBe(false);
    expect(new Set(results.map((r) => ("reference" in r ? r.reference : "")))).toHaveProperty("size", 1);
    expect(await db.prisma.report.count()).toBe(1);
    expect(await db.prisma.reportFollower.count()).toBe(1);
  });

  it("files one case with nine followers when ten residents submit the same spot at once", async () => {
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        reports.submit(draft({ place: { roadCode: "yongde", houseNumber: 10 + i } }), someone(), declining()),
      ),
    );
    expect(results.filter((r) => r.type === "created")).toHaveLength(1);
    expect(results.filter((r) => r.type === "followedExisting")).toHaveLength(9);
    const report = await db.prisma.report.findFirstOrThrow({ include: { _count: { select: { followers: true, events: true } } } });
    expect(await db.prisma.report.count()).toBe(1);
    expect(report._count).toEqual({ followers: 9, events: 10 });
    expect((await reports.findNearbyOpen(categoryA, { roadCode: "yongde", houseNumber: 12 }))[0]?.supporters).toBe(9);
  });

  it("lets a resident follow a report once, never their own, and not a closed one", async () => {
    const owner = someone();
    const report = created(await reports.submit(draft(), owner, declining()));
    const fan = someone();
    expect(await reports.follow(report.reference, fan)).toEqual({ type: "followed", reference: report.reference });
    expect(await reports.follow(` ${report.reference.toLowerCase()} `, fan)).toEqual({
      type: "alreadyFollowing",
      reference: report.reference,
    });
    expect(await reports.follow(report.reference, owner)).toEqual({ type: "ownReport", reference: report.reference });
    expect(await reports.follow("WJ-2026-999999", fan)).toEqual({ type: "notFound" });
    const events = await db.prisma.reportEvent.findMany({
      where: { report: { reference: report.reference } },
      orderBy: { createdAt: "asc" },
    });
    expect(events.map((e) => e.type)).toEqual(["SUBMITTED", "FOLLOWED"]);

    await reports.reject(report.reference, STAFF, "INVALID", "照片与描述不符");
    expect(await reports.follow(report.reference, someone())).toEqual({ type: "closed", reference: report.reference });
  });

  it("refuses a sixth submission within ten minutes and allows it again once the first leaves the window", async () => {
    const me = someone();
    const places = ["yongde", "heqing", "longwu", "jinghong", "jianchuan", "cangyuan"];
    for (const roadCode of places.slice(0, 5)) {
      created(await reports.submit(draft({ place: { roadCode } }), me, declining()));
      now = new Date(now.getTime() + MINUTE);
    }
    expect(await reports.checkRateLimit(me)).toEqual({ allowed: false, retryAfterMinutes: 5 });
    expect(await reports.submit(draft({ place: { roadCode: places[5] } }), me, declining())).toEqual({
      type: "rateLimited",
      retryAfterMinutes: 5,
    });
    expect(await reports.checkRateLimit(someone())).toEqual({ allowed: true });

    now = new Date(now.getTime() + 5 * MINUTE);
    expect(await reports.checkRateLimit(me)).toEqual({ allowed: true });
    expect((await reports.submit(draft({ place: { roadCode: places[5] } }), me, declining())).type).toBe("created");
  });

  it("keeps a blocked resident's later report without routing it, and answers them exactly as anyone else", async () => {
    const troll = someone();
    const before = created(await reports.submit(draft(), troll, declining()));
    expect(await reports.blockUser({ reference: before.reference }, STAFF, "恶意重复举报")).toEqual({ type: "ok" });
    expect(await reports.blockUser({ channel: "telegram", userId: "nobody" }, STAFF, "x")).toEqual({ type: "notFound" });

    const after = created(await reports.submit(draft({ place: { roadCode: "heqing", houseNumber: 5 } }), troll, declining()));
    expect(after.route).toEqual(before.route);
    const stored = await db.prisma.report.findUniqueOrThrow({ where: { reference: after.reference }, include: { reporter: true } });
    expect(stored).toMatchObject({ routed: false, routedRoadCommitteeId: null, routedDistrictId: null });
    expect(stored.reporter.blockedReason).toContain("恶意重复举报");
    expect(fullView(await reports.viewForResident(after.reference, troll)).route).toEqual(before.route);
    expect(await db.prisma.report.findUniqueOrThrow({ where: { reference: before.reference } })).toMatchObject({ routed: true });
  });

  it("leaves no report, timeline entry or counter step when queueing the reporter's confirmation fails", async () => {
    const me = someone();
    await failOutboxRowsTo(db, me.chatId);
    try {
      await expect(reports.submit(draft(), me, declining())).rejects.toThrow(/outbox write fails/);
    } finally {
      await stopFailingOutboxRows(db);
    }
    expect(await db.prisma.report.count()).toBe(0);
    expect(await db.prisma.reportEvent.count()).toBe(0);
    expect(await db.prisma.outboxMessage.count()).toBe(0);
    expect(created(await reports.submit(draft(), someone(), declining())).reference).toBe("WJ-2026-000001");
  });
});
