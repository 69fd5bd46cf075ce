import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Database } from "../../../src/db/database.ts";
import { DEFAULT_REPORTS_OPTIONS, type ResidentUpdatePayload, type StaffReportActions } from "../../../src/domain/reports/reports.ts";
import type { ChatIdentity, ReportDraft, ReportsService } from "../../../src/domain/reports/service.ts";
import { createStaffRegistry } from "../../../src/domain/staff/registry.ts";
import { databaseWebSessions } from "../../../src/domain/staff/web-session-table.ts";
import { DATABASE_KINDS } from "../../support/databases.ts";
import { declining, fullView, openSampleReports, resident } from "../../support/town.ts";
import { failOutboxRowsTo, stopFailingOutboxRows } from "../../support/outbox-faults.ts";

const DAY = 24 * 60 * 60_000;
const CLERK = { staffId: "staff-7", label: "值班员（示例）" };
const OTHER_CLERK = { staffId: "staff-8", label: "第一路管会" };

describe.each(DATABASE_KINDS)("a report's lifecycle on %s", (kind) => {
  let db: Database;
  let reports: ReportsService & StaffReportActions;
  let now: Date;
  let category: string;
  let residents = 0;
  const someone = () => resident(`${kind}-${++residents}`);
  const draft = (over: Partial<ReportDraft> = {}): ReportDraft => ({
    categoryCode: category,
    place: { roadCode: "yongde", houseNumber: 12 },
    description: "门口堆满纸箱，店主电话13812345678",
    photoIds: [],
    contactAllowed: true,
    ...over,
  });
  /** A new report by a new reporter, with `followers` new followers. */
  const fileReport = async (followers = 0, over: Partial<ReportDraft> = {}) => {
    const reporter = someone();
    const result = await reports.submit(draft(over), reporter, declining(await openReferences()));
    if (result.type !== "created") throw new Error(`expected a new report, got ${result.type}`);
    const fans: ChatIdentity[] = [];
    for (let i = 0; i < followers; i++) {
      const fan = someone();
      await reports.follow(result.reference, fan);
      fans.push(fan);
    }
    return { reference: result.reference, reporter, fans };
  };
  const openReferences = async () => (await db.prisma.report.findMany({ select: { reference: true } })).map((r) => r.reference);
  const statusUpdates = async (reference: string) =>
    (
      await db.prisma.outboxMessage.findMany({
        where: { kind: { in: ["report.status", "report.rerouted"] } },
        orderBy: { createdAt: "asc" },
      })
    )
      .map((row) => ({ ...row, payload: row.payload as unknown as ResidentUpdatePayload }))
      .filter((row) => row.payload.reference === reference);

  beforeAll(async () => {
    // Each reading of the clock is a second later, so every entry has its own moment, as in real use.
    const clock = () => (now = new Date(now.getTime() + 1000));
    ({ db, reports } = await openSampleReports(kind, { clock, reports: { rateLimit: { count: 1000, windowMinutes: 10 } } }));
    category = (
      await db.prisma.reportCategory.findFirstOrThrow({
        where: { routeToRoadCommitteeId: null, routeToDistrictId: null, code: { not: "other" } },
        orderBy: { sortOrder: "asc" },
      })
    ).code;
  });
  beforeEach(() => {
    now = new Date("2026-05-04T02:00:00Z");
  });
  afterAll(async () => {
    await db.close();
  });

  it("moves submitted → acknowledged → in progress → resolved, each step a timeline entry with who and when", async () => {
    const { reference } = await fileReport();
    expect(await reports.acknowledge(reference, CLERK)).toEqual({ type: "ok", reference, status: "ACKNOWLEDGED" });
    now = new Date(now.getTime() + 60_000);
    expect(await reports.startProgress(reference, CLERK, "已联系商户")).toMatchObject({ type: "ok", status: "IN_PROGRESS" });
    now = new Date(now.getTime() + 60_000);
    expect(await reports.resolve(reference, CLERK, "纸箱已清走")).toMatchObject({ type: "ok", status: "RESOLVED" });

    const report = await db.prisma.report.findUniqueOrThrow({
      where: { reference },
      include: { events: { orderBy: { createdAt: "asc" } } },
    });
    expect(report.resolvedAt).toEqual(report.events.at(-1)!.createdAt);
    expect(report.events.map((e) => [e.type, e.fromStatus, e.toStatus, e.actorKind, e.actorId, e.actorLabel, e.note])).toEqual([
      ["SUBMITTED", null, "SUBMITTED", "RESIDENT", report.reporterId, null, null],
      ["STATUS_CHANGED", "SUBMITTED", "ACKNOWLEDGED", "STAFF", CLERK.staffId, CLERK.label, null],
      ["STATUS_CHANGED", "ACKNOWLEDGED", "IN_PROGRESS", "STAFF", CLERK.staffId, CLERK.label, "已联系商户"],
      ["STATUS_CHANGED", "IN_PROGRESS", "RESOLVED", "STAFF", CLERK.staffId, CLERK.label, "纸箱已清走"],
    ]);
  });

  it("refuses moves the lifecycle does not allow, as an answer rather than an error", async () => {
    const { reference } = await fileReport();
    expect(await reports.startProgress(reference, CLERK)).toEqual({ type: "badTransition", from: "SUBMITTED", to: "IN_PROGRESS" });
    expect(await reports.resolve(reference, CLERK, "done")).toEqual({ type: "badTransition", from: "SUBMITTED", to: "RESOLVED" });
    await reports.acknowledge(reference, CLERK);
    expect(await reports.acknowledge(reference, CLERK)).toEqual({ type: "badTransition", from: "ACKNOWLEDGED", to: "ACKNOWLEDGED" });
    expect(await reports.resolve(reference, CLERK, "劝导后已整改")).toMatchObject({ type: "ok", status: "RESOLVED" });
    expect(await reports.reject(reference, CLERK, "INVALID", "x")).toEqual({ type: "badTransition", from: "RESOLVED", to: "REJECTED" });
    expect(await reports.reroute(reference, CLERK, { districtCode: "d1" }, "x")).toEqual({
      type: "badTransition",
      from: "RESOLVED",
      to: "RESOLVED",
    });
    expect(await reports.acknowledge("WJ-2026-999999", CLERK)).toEqual({ type: "notFound" });
    expect(await db.prisma.report.findUniqueOrThrow({ where: { reference } })).toMatchObject({ status: "RESOLVED" });
  });

  it("requires a note to resolve or reject, and keeps a resolution photo as evidence", async () => {
    const { reference } = await fileReport();
    await reports.acknowledge(reference, CLERK);
    expect(await reports.resolve(reference, CLERK, "   ")).toEqual({ type: "noteRequired" });
    expect(await reports.reject(reference, CLERK, "INVALID", "")).toEqual({ type: "noteRequired" });
    const photo = await db.prisma.media.create({ data: { sha256: "after", mimeType: "image/jpeg", sizeBytes: 1, path: "after.jpg" } });
    expect(await reports.resolve(reference, CLERK, "已清理，见照片", photo.id)).toMatchObject({ type: "ok" });
    const last = await db.prisma.reportEvent.findFirstOrThrow({ where: { report: { reference }, toStatus: "RESOLVED" } });
    expect(last.photoId).toBe(photo.id);
  });

  it("lets only one of two staff move a report from the same status at the same moment", async () => {
    const { reference } = await fileReport(1);
    const results = await Promise.all([reports.acknowledge(reference, CLERK), reports.acknowledge(reference, OTHER_CLERK)]);
    expect(results.filter((r) => r.type === "ok")).toHaveLength(1);
    expect(results.filter((r) => r.type === "conflict" || r.type === "badTransition")).toHaveLength(1);
    expect(await db.prisma.reportEvent.count({ where: { report: { reference }, type: "STATUS_CHANGED" } })).toBe(1);
    expect(await statusUpdates(reference)).toHaveLength(2);
  });

  it("tells the reporter and every follower about each change in their own chat, notes masked, and asks only the reporter for feedback", async () => {
    const { reference, reporter, fans } = await fileReport(2);
    await reports.acknowledge(reference, CLERK);
    await reports.resolve(reference, CLERK, "已处理，如有问题请拨打021-6453 1234");
    const rows = await statusUpdates(reference);
    const resolved = rows.filter((row) => row.payload.status === "RESOLVED");
    const event = await db.prisma.reportEvent.findFirstOrThrow({ where: { report: { reference }, toStatus: "RESOLVED" } });
    const users = await db.prisma.chatUser.findMany({ where: { channelUserId: { in: [reporter, ...fans].map((u) => u.userId) } } });
    const idOf = (who: ChatIdentity) => users.find((u) => u.channelUserId === who.userId)!.id;

    expect(rows).toHaveLength(6);
    // One event's updates share its moment; their order among themselves means nothing (each goes to its own chat).
    expect(resolved.map((row) => [row.chatId, row.channel, row.dedupeKey, row.payload.relation, row.payload.askFeedback]).sort()).toEqual(
      [
        [reporter.chatId, "telegram", `${event.id}:${idOf(reporter)}`, "reporter", true],
        [fans[0]!.chatId, "telegram", `${event.id}:${idOf(fans[0]!)}`, "follower", false],
        [fans[1]!.chatId, "telegram", `${event.id}:${idOf(fans[1]!)}`, "follower", false],
      ].sort(),
    );
    for (const row of resolved)
      expect(row.payload).toMatchObject({ reference, status: "RESOLVED", note: "已处理，如有问题请拨打021-****34", rejectReason: null });
  });

  it("leaves the report and every update unchanged when one recipient's update cannot be queued", async () => {
    const { reference, fans } = await fileReport(2);
    await failOutboxRowsTo(db, fans[1]!.chatId);
    try {
      await expect(reports.acknowledge(reference, CLERK)).rejects.toThrow(/outbox write fails/);
    } finally {
      await stopFailingOutboxRows(db);
    }
    expect(await db.prisma.report.findUniqueOrThrow({ where: { reference } })).toMatchObject({ status: "SUBMITTED" });
    expect(await statusUpdates(reference)).toEqual([]);
    expect(await db.prisma.reportEvent.count({ where: { report: { reference }, type: "STATUS_CHANGED" } })).toBe(0);
  });

  it("rejects a duplicate with the original's reference and moves its reporter and followers to follow the original", async () => {
    const original = await fileReport(1);
    const duplicate = await fileReport(2, { place: { roadCode: "yongde", houseNumber: 14 } });
    expect(await reports.reject(duplicate.reference, CLERK, "DUPLICATE", "与原举报为同一问题")).toEqual({ type: "unknownTarget" });
    expect(await reports.reject(duplicate.reference, CLERK, "DUPLICATE", "同一问题", duplicate.reference)).toEqual({
      type: "unknownTarget",
    });
    expect(await reports.reject(duplicate.reference, CLERK, "DUPLICATE", "与原举报为同一问题", original.reference)).toMatchObject({
      type: "ok",
      status: "REJECTED",
    });

    const stored = await db.prisma.report.findUniqueOrThrow({
      where: { reference: duplicate.reference },
      include: { duplicateOf: true, _count: { select: { followers: true } } },
    });
    expect(stored).toMatchObject({
      status: "REJECTED",
      rejectReason: "DUPLICATE",
      duplicateOf: { reference: original.reference },
      _count: { followers: 0 },
    });
    const followersOfOriginal = await db.prisma.reportFollower.findMany({
      where: { report: { reference: original.reference } },
      include: { user: true },
    });
    expect(followersOfOriginal.map((f) => f.user.channelUserId).sort()).toEqual(
      [original.fans[0]!, duplicate.reporter, ...duplicate.fans].map((u) => u.userId).sort(),
    );
    const told = await statusUpdates(duplicate.reference);
    expect(told.map((row) => row.chatId).sort()).toEqual([duplicate.reporter, ...duplicate.fans].map((u) => u.chatId).sort());
    for (const row of told)
      expect(row.payload).toMatchObject({ status: "REJECTED", rejectReason: "DUPLICATE", duplicateOf: original.reference });
    expect((await reports.myReports(duplicate.reporter)).map((r) => [r.reference, r.relation])).toEqual(
      expect.arrayContaining([
        [duplicate.reference, "reporter"],
        [original.reference, "follower"],
      ]),
    );
  });

  it("re-routes an open case to another committee, keeping its history and telling the residents", async () => {
    const { reference, reporter } = await fileReport();
    await reports.acknowledge(reference, CLERK);
    expect(await reports.reroute(reference, CLERK, { districtCode: "no-such-district" }, "转片区")).toEqual({ type: "unknownTarget" });
    expect(await reports.reroute(reference, CLERK, { districtCode: "d2" }, "")).toEqual({ type: "noteRequired" });
    expect(await reports.reroute(reference, CLERK, { districtCode: "d2" }, "属于小区内部事务，转片区")).toEqual({
      type: "ok",
      reference,
      status: "ACKNOWLEDGED",
    });
    expect(await reports.reroute(reference, CLERK, { roadCommitteeCode: "rc2" }, "转第二路管会")).toMatchObject({ type: "ok" });

    const report = await db.prisma.report.findUniqueOrThrow({
      where: { reference },
      include: { events: { orderBy: { createdAt: "asc" } }, routedRoadCommittee: true },
    });
    expect(report).toMatchObject({ status: "ACKNOWLEDGED", routedDistrictId: null, routedRoadCommittee: { code: "rc2" } });
    expect(report.events.map((e) => e.type)).toEqual(["SUBMITTED", "STATUS_CHANGED", "REROUTED", "REROUTED"]);
    const view = fullView(await reports.viewForResident(reference, reporter));
    expect(view.route).toMatchObject({ kind: "roadCommittee", code: "rc2" });
    const rerouted = (await statusUpdates(reference)).filter((row) => row.kind === "report.rerouted");
    expect(rerouted.map((row) => row.payload.route?.code)).toEqual(["d2", "rc2"]);
  });

  it("stores staff notes without zero-width and bidirectional control characters, and refuses a note that is nothing else", async () => {
    const { reference } = await fileReport();
    await reports.acknowledge(reference, CLERK);
    expect(await reports.startProgress(reference, CLERK, "\u202e已联系\u200b店主\u2066")).toMatchObject({ type: "ok" });
    expect(await reports.reroute(reference, CLERK, { roadCommitteeCode: "rc2" }, "\u2067转\ufeff第二路管会\u2069")).toMatchObject({
      type: "ok",
    });
    expect(await reports.resolve(reference, CLERK, "\u200b\u202e\u2066\u2069\ufeff ")).toEqual({ type: "noteRequired" });
    expect(await reports.resolve(reference, CLERK, "纸箱\u200d已清走\u202c")).toMatchObject({ type: "ok" });
    const events = await db.prisma.reportEvent.findMany({
      where: { report: { reference }, note: { not: null } },
      orderBy: { createdAt: "asc" },
    });
    expect(events.map((event) => event.note)).toEqual(["已联系店主", "转第二路管会", "纸箱已清走"]);
    const sent = (await statusUpdates(reference)).map((row) => row.payload.note).filter((note) => note !== null);
    expect(sent).toEqual(["已联系店主", "转第二路管会", "纸箱已清走"]);
  });

  it("reopens a resolved case when the reporter says it is not fixed within the window, and tells the followers", async () => {
    const { reference, reporter, fans } = await fileReport(1);
    await reports.acknowledge(reference, CLERK);
    await reports.resolve(reference, CLERK, "已处理");
    expect(await reports.recordFeedback(reference, fans[0]!, { fixed: false })).toEqual({ type: "notAllowed" });
    now = new Date(now.getTime() + (DEFAULT_REPORTS_OPTIONS.reopenWindowDays - 1) * DAY);
    expect(await reports.recordFeedback(reference, reporter, { fixed: false })).toEqual({ type: "reopened", reference });

    const report = await db.prisma.report.findUniqueOrThrow({
      where: { reference },
      include: { events: { orderBy: { createdAt: "asc" } } },
    });
    expect(report).toMatchObject({ status: "IN_PROGRESS", resolvedAt: null });
    expect(report.events.at(-1)).toMatchObject({
      type: "REOPENED",
      fromStatus: "RESOLVED",
      toStatus: "IN_PROGRESS",
      actorKind: "RESIDENT",
    });
    const reopened = (await statusUpdates(reference)).filter((row) => row.payload.reopened);
    expect(reopened.map((row) => row.chatId)).toEqual([fans[0]!.chatId]);
    expect(await reports.recordFeedback(reference, reporter, { fixed: false })).toEqual({ type: "notAllowed" });
    expect(await reports.resolve(reference, CLERK, "再次处理完毕")).toMatchObject({ type: "ok" });
  });

  it("keeps a case closed when 'not fixed' comes after the reopen window", async () => {
    const { reference, reporter } = await fileReport();
    await reports.acknowledge(reference, CLERK);
    await reports.resolve(reference, CLERK, "已处理");
    now = new Date(now.getTime() + (DEFAULT_REPORTS_OPTIONS.reopenWindowDays + 1) * DAY);
    expect(await reports.recordFeedback(reference, reporter, { fixed: false })).toEqual({ type: "tooLateToReopen", reference });
    expect(await db.prisma.report.findUniqueOrThrow({ where: { reference } })).toMatchObject({ status: "RESOLVED" });
  });

  it("records 'fixed' and a 1-5 rating from the reporter only, and only after resolution", async () => {
    const { reference, reporter, fans } = await fileReport(1);
    expect(await reports.recordFeedback(reference, reporter, { rating: 5 })).toEqual({ type: "notAllowed" });
    await reports.acknowledge(reference, CLERK);
    await reports.resolve(reference, CLERK, "已处理");
    expect(await reports.recordFeedback(reference, reporter, { fixed: true })).toEqual({ type: "recorded", reference });
    expect(await reports.recordFeedback(reference, reporter, { rating: 6 })).toEqual({ type: "notAllowed" });
    expect(await reports.recordFeedback(reference, reporter, { rating: 2.5 })).toEqual({ type: "notAllowed" });
    expect(await reports.recordFeedback(reference, fans[0]!, { rating: 1 })).toEqual({ type: "notAllowed" });
    expect(await reports.recordFeedback(reference, reporter, { rating: 4 })).toEqual({ type: "recorded", reference });
    const report = await db.prisma.report.findUniqueOrThrow({
      where: { reference },
      include: { events: { orderBy: { createdAt: "asc" } } },
    });
    expect(report.rating).toBe(4);
    expect(report.status).toBe("RESOLVED");
    expect(report.events.slice(-2).map((e) => e.type)).toEqual(["CONFIRMED_FIXED", "RATED"]);
  });

  it("shows a report in full to its reporter, its followers and staff, without identities, with masked text and who acted only as resident, staff or system", async () => {
    const { reference, reporter, fans } = await fileReport(1);
    await reports.acknowledge(reference, CLERK);
    await reports.startProgress(reference, CLERK, "已联系店主，电话13987654321");
    const staffMember = someone();
    const staff = createStaffRegistry({ prisma: db.prisma, sql: db.sql, townCode: "wujing", webSessions: databaseWebSessions(db.sql) });
    const invitation = await staff.invite("bootstrap", {
      role: "DISTRICT_STAFF",
      label: "第二片区工作人员",
      districtCodes: ["d2"],
      roadCommitteeCodes: [],
    });
    if (invitation.type !== "created") throw new Error("expected an invitation");
    expect(await staff.redeem(invitation.code, staffMember)).toMatchObject({ type: "bound" });

    for (const [viewer, relation] of [
      [reporter, "reporter"],
      [fans[0]!, "follower"],
      [staffMember, "staff"],
    ] as const) {
      const view = fullView(await reports.viewForResident(reference.toLowerCase(), viewer));
      expect(view).toMatchObject({
        reference,
        status: "IN_PROGRESS",
        relation,
        description: "门口堆满纸箱，店主电话138****5678",
        place: { zh: "永德路12号", en: "No. 12, Yongde Road" },
        route: { kind: "roadCommittee", code: "rc1" },
        supporters: 1,
        photoCount: 0,
        rejectReason: null,
      });
      expect(view.timeline.map((entry) => [entry.type, entry.status, entry.by, entry.note])).toEqual([
        ["SUBMITTED", "SUBMITTED", "resident", null],
        ["FOLLOWED", null, "resident", null],
        ["STATUS_CHANGED", "ACKNOWLEDGED", "staff", null],
        ["STATUS_CHANGED", "IN_PROGRESS", "staff", "已联系店主，电话139****4321"],
      ]);
      const shown = JSON.stringify(view);
      for (const secret of [reporter.userId, reporter.chatId, fans[0]!.userId, CLERK.staffId, CLERK.label, "13812345678", "13987654321"])
        expect(shown).not.toContain(secret);
    }
  });

  it("shows anyone else, and revoked staff, only the kind, the road and the status of a report they know the reference of", async () => {
    const { reference } = await fileReport(1);
    await reports.acknowledge(reference, CLERK);
    await reports.startProgress(reference, CLERK, "已联系店主，电话13987654321");
    const stranger = someone();
    const former = someone();
    const staff = createStaffRegistry({ prisma: db.prisma, sql: db.sql, townCode: "wujing", webSessions: databaseWebSessions(db.sql) });
    const invitation = await staff.invite("bootstrap", { role: "ADMIN", label: "管理员", districtCodes: [], roadCommitteeCodes: [] });
    if (invitation.type !== "created") throw new Error("expected an invitation");
    const bound = await staff.redeem(invitation.code, former);
    if (bound.type !== "bound") throw new Error("expected the invitation to bind");
    await db.prisma.staffMember.update({ where: { id: bound.staff.staffId }, data: { revokedAt: new Date() } });

    for (const viewer of [stranger, former]) {
      const view = await reports.viewForResident(reference, viewer);
      expect(view).toEqual({
        relation: "none",
        reference,
        category: expect.objectContaining({ zh: expect.any(String), en: expect.any(String) }),
        status: "IN_PROGRESS",
        road: { zh: "永德路", en: "Yongde Road" },
      });
    }
    const placedByNeighbourhood = await fileReport(0, { place: { neighbourhoodCode: "zizhu-peninsula" } });
    expect(await reports.viewForResident(placedByNeighbourhood.reference, stranger)).toMatchObject({ relation: "none", road: null });
    expect(await reports.viewForResident("WJ-2026-999999", stranger)).toBeUndefined();
  });

  it("lists a resident's own and followed reports, most recently changed first", async () => {
    const me = someone();
    const mine = await reports.submit(draft({ place: { roadCode: "heqing", houseNumber: 200 } }), me, declining(await openReferences()));
    if (mine.type !== "created") throw new Error("expected a new report");
    const theirs = await fileReport(0, { place: { roadCode: "lanping", houseNumber: 3 } });
    now = new Date(now.getTime() + 60_000);
    await reports.follow(theirs.reference, me);
    now = new Date(now.getTime() + 60_000);
    await reports.acknowledge(mine.reference, CLERK);
    expect((await reports.myReports(me)).map((r) => [r.reference, r.relation, r.status])).toEqual([
      [mine.reference, "reporter", "ACKNOWLEDGED"],
      [theirs.reference, "follower", "SUBMITTED"],
    ]);
    expect(await reports.myReports(someone())).toEqual([]);
  });
});
