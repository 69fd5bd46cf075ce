import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createReportsService, type StaffActor } from "../../../src/domain/reports/reports.ts";
import type { ChatIdentity, ReportDraft } from "../../../src/domain/reports/service.ts";
import { DATABASE_KINDS } from "../../support/databases.ts";
import { openSampleServices, type SampleServices } from "../../support/town.ts";

const staff: StaffActor = { staffId: "staff-1", label: "第二路管会工作人员" };
let userCounter = 0;
const resident = (): ChatIdentity => {
  const id = `resident-${++userCounter}`;
  return { channel: "telegram", userId: id, chatId: id, locale: "zh" };
};
const draft = (changes: Partial<ReportDraft> = {}): ReportDraft => ({
  categoryCode: "parking",
  place: { roadCode: "yongde", houseNumber: 12 },
  description: "电动车把人行道堵了，联系人 13812345678",
  photoIds: [],
  contactAllowed: false,
  ...changes,
});

describe.each(DATABASE_KINDS)("reports on %s", (kind) => {
  let town: SampleServices;
  let now = new Date("2026-03-01T09:00:00+08:00");
  const clock = () => now;
  let service: SampleServices["reports"];

  beforeAll(async () => {
    town = await openSampleServices({ kind, clock });
    service = town.reports;
  });
  afterAll(async () => {
    await town.close();
  });

  const submitNew = async (changes: Partial<ReportDraft> = {}, user = resident()) => {
    const result = await service.submit(draft(changes), user, []);
    if (result.type !== "created") throw new Error(`expected a new report, got ${result.type}`);
    return { ...result, user };
  };

  it("every road stretch goes to that road's committee and every neighbourhood to its district committee, unless the category says otherwise", async () => {
    const snapshot = town.grid.index.snapshot;
    for (const road of snapshot.roads) {
      for (const segment of road.segments) {
        const route = await service.routeFor("parking", { roadCode: road.code, houseNumber: segment.from });
        const committee = snapshot.roadCommittees.find((c) => c.code === road.roadCommitteeCode)!;
        expect(route, `${road.name.zh} ${segment.from}`).toEqual({ kind: "roadCommittee", code: committee.code, name: committee.name });
      }
    }
    for (const neighbourhood of snapshot.neighbourhoods) {
      const route = await service.routeFor("noise", { neighbourhoodCode: neighbourhood.code });
      const district = snapshot.districts.find((d) => d.code === neighbourhood.districtCode)!;
      expect(route, neighbourhood.name.zh).toEqual({ kind: "districtCommittee", code: district.code, name: district.committee.name });
    }
    // The sample sends damaged greening to road committee rc1 wherever it is.
    const greening = await town.db.prisma.reportCategory.findFirstOrThrow({ where: { code: "greening" } });
    const rc1 = await town.db.prisma.roadCommittee.findFirstOrThrow({ where: { code: "rc1" } });
    expect(greening.routeToRoadCommitteeId).toBe(rc1.id);
    for (const place of [{ neighbourhoodCode: snapshot.neighbourhoods[0]!.code }, { roadCode: "zilong", houseNumber: 1 }]) {
      expect((await service.routeFor("greening", place))?.code).toBe("rc1");
    }
    expect(await service.routeFor("parking", {})).toBeNull();
  });

  it("references are sequential per year and start again at 000001 in a new year", async () => {
    now = new Date("2026-03-02T09:00:00+08:00");
    const first = await submitNew({ place: { roadCode: "heqing", houseNumber: 1 } });
    const second = await submitNew({ place: { roadCode: "heqing", houseNumber: 300 } });
    const n = Number(first.reference.slice(-6));
    expect(first.reference).toMatch(/^WJ-2026-\d{6}$/);
    expect(second.reference).toBe(`WJ-2026-${String(n + 1).padStart(6, "0")}`);
    now = new Date("2027-01-01T08:00:00+08:00");
    expect((await submitNew({ place: { roadCode: "jinghong", houseNumber: 5 } })).reference).toBe("WJ-2027-000001");
    now = new Date("2027-01-05T09:00:00+08:00");
  });

  it("a submitted report has its first timeline entry and a queued update for the reporter, in the same transaction", async () => {
    const { reference } = await submitNew({ place: { roadCode: "longwu", houseNumber: 3900 } });
    const report = await town.db.prisma.report.findUniqueOrThrow({ where: { reference }, include: { events: true } });
    expect(report.events.map((e) => e.type)).toEqual(["SUBMITTED"]);
    const outbox = await town.db.prisma.outboxMessage.findMany({ where: { payload: { path: ["reference"], equals: reference } } });
    expect(outbox.map((row) => row.kind)).toEqual(["report.submitted"]);
  });

  it("open reports of the same category nearby are found; far, other-category, old and closed ones are not", async () => {
    now = new Date("2027-02-01T09:00:00+08:00");
    const { reference } = await submitNew({ categoryCode: "noise", place: { roadCode: "cangyuan", houseNumber: 40 } });
    const refs = async (place: ReportDraft["place"], category = "noise") => (await service.findNearbyOpen(category, place)).map((r) => r.reference);
    expect(await refs({ roadCode: "cangyuan", houseNumber: 52 })).toContain(reference);
    expect(await refs({ roadCode: "cangyuan" })).toContain(reference);
    expect(await refs({ roadCode: "cangyuan", houseNumber: 200 })).not.toContain(reference);
    expect(await refs({ roadCode: "cangyuan", houseNumber: 40 }, "fumes")).not.toContain(reference);
    const nearby = await service.findNearbyOpen("noise", { roadCode: "cangyuan", houseNumber: 41 });
    expect(nearby[0]?.description).not.toContain("13812345678");
    now = new Date("2027-02-20T09:00:00+08:00");
    expect(await refs({ roadCode: "cangyuan", houseNumber: 40 })).not.toContain(reference);
    now = new Date("2027-02-02T09:00:00+08:00");
    await service.acknowledge(reference, staff);
    await service.resolve(reference, staff, "已劝导");
    expect(await refs({ roadCode: "cangyuan", houseNumber: 40 })).not.toContain(reference);
  });

  it("residents submitting the same problem at the same moment end up with one report and the others following it", async () => {
    now = new Date("2027-03-01T09:00:00+08:00");
    const users = Array.from({ length: 10 }, resident);
    const results = await Promise.all(users.map((user) => service.submit(draft({ categoryCode: "piled-goods", place: { roadCode: "jianchuan", houseNumber: 100 } }), user, [])));
    const created = results.filter((r) => r.type === "created");
    const followed = results.filter((r) => r.type === "followedExisting");
    expect(created).toHaveLength(1);
    expect(followed).toHaveLength(9);
    const report = await town.db.prisma.report.findUniqueOrThrow({ where: { reference: created[0]!.reference }, include: { _count: { select: { followers: true } } } });
    expect(report._count.followers).toBe(9);
    expect(await town.db.prisma.report.count({ where: { category: { code: "piled-goods" }, road: { code: "jianchuan" } } })).toBe(1);
  });

  it("a resident who saw the nearby report and chose to submit anyway gets a new report", async () => {
    const { reference } = await submitNew({ categoryCode: "fumes", place: { roadCode: "huaning", houseNumber: 10 } });
    const result = await service.submit(draft({ categoryCode: "fumes", place: { roadCode: "huaning", houseNumber: 12 } }), resident(), [reference]);
    expect(result.type).toBe("created");
  });

  it("status moves only forward along the lifecycle; every change is a timeline entry that tells the reporter and followers", async () => {
    now = new Date("2027-04-01T09:00:00+08:00");
    const { reference, user } = await submitNew({ place: { roadCode: "lanping", houseNumber: 20 } });
    const follower = resident();
    expect((await service.follow(reference, follower)).type).toBe("followed");
    expect((await service.follow(reference, follower)).type).toBe("alreadyFollowing");
    expect((await service.follow(reference, user)).type).toBe("ownReport");
    expect(await service.resolve(reference, staff, "已处理")).toEqual({ type: "badTransition", from: "SUBMITTED", to: "RESOLVED" });
    expect((await service.acknowledge(reference, staff)).type).toBe("ok");
    expect((await service.acknowledge(reference, staff)).type).toBe("badTransition");
    expect((await service.startProgress(reference, staff, "已联系商户")).type).toBe("ok");
    expect(await service.resolve(reference, staff, "  ")).toEqual({ type: "noteRequired" });
    expect((await service.resolve(reference, staff, "车辆已挪走，联系电话 021-64531234")).type).toBe("ok");
    const view = await service.viewForResident(reference, follower);
    expect(view?.timeline.map((e) => e.type)).toEqual(["SUBMITTED", "FOLLOWED", "STATUS_CHANGED", "STATUS_CHANGED", "STATUS_CHANGED"]);
    expect(view?.timeline.at(-1)).toMatchObject({ status: "RESOLVED", by: "staff" });
    expect(view?.timeline.at(-1)?.note).not.toContain("64531234");
    expect(view?.description).not.toContain("13812345678");
    const outbox = await town.db.prisma.outboxMessage.findMany({ where: { kind: "report.status", payload: { path: ["reference"], equals: reference } } });
    expect(outbox).toHaveLength(6);
    const resolved = outbox.filter((row) => (row.payload as { status: string }).status === "RESOLVED");
    expect(resolved.map((row) => row.chatId).sort()).toEqual([user.chatId, follower.chatId].sort());
    expect(resolved.every((row) => (row.payload as { askFeedback: boolean }).askFeedback)).toBe(true);
  });

  it("two staff acting on one report at once cannot both move it", async () => {
    const { reference } = await submitNew({ place: { roadCode: "dongchuan", houseNumber: 30 } });
    const results = await Promise.all([service.acknowledge(reference, staff), service.acknowledge(reference, { staffId: "staff-2", label: "另一位工作人员" })]);
    expect(results.filter((r) => r.type === "ok")).toHaveLength(1);
    const events = await town.db.prisma.reportEvent.count({ where: { report: { reference }, type: "STATUS_CHANGED" } });
    expect(events).toBe(1);
  });

  it("rejecting as a duplicate moves the reporter and followers to the original", async () => {
    const original = await submitNew({ categoryCode: "signage", place: { roadCode: "baoxiu", houseNumber: 10 } });
    const copy = await service.submit(draft({ categoryCode: "signage", place: { roadCode: "baoxiu", houseNumber: 11 } }), resident(), [original.reference]);
    if (copy.type !== "created") throw new Error("expected a second report");
    expect((await service.reject(copy.reference, staff, "DUPLICATE", "与原举报相同", original.reference)).type).toBe("ok");
    const followers = await town.db.prisma.reportFollower.count({ where: { report: { reference: original.reference } } });
    expect(followers).toBe(1);
    expect((await service.viewForResident(copy.reference, resident()))?.rejectReason).toBe("DUPLICATE");
  });

  it("rerouting keeps the history and records who moved it", async () => {
    const { reference } = await submitNew({ place: { roadCode: "zixing", houseNumber: 5 } });
    expect((await service.reroute(reference, staff, { districtCode: "d1" }, "属于第一片区")).type).toBe("ok");
    expect((await service.reroute(reference, staff, { districtCode: "nowhere" }, "")).type).toBe("unknownTarget");
    const view = await service.viewForResident(reference, resident());
    expect(view?.route?.code).toBe("d1");
    expect(view?.timeline.map((e) => e.type)).toEqual(["SUBMITTED", "REROUTED"]);
  });

  it("the reporter saying 'not fixed' within the window reopens the case; later it is too late; ratings are kept", async () => {
    now = new Date("2027-05-01T09:00:00+08:00");
    const { reference, user } = await submitNew({ place: { roadCode: "zilong", houseNumber: 8 } });
    await service.acknowledge(reference, staff);
    await service.resolve(reference, staff, "已处理");
    expect((await service.recordFeedback(reference, resident(), { fixed: false })).type).toBe("notAllowed");
    now = new Date("2027-05-03T09:00:00+08:00");
    expect((await service.recordFeedback(reference, user, { fixed: false })).type).toBe("reopened");
    expect((await service.viewForResident(reference, user))?.status).toBe("IN_PROGRESS");
    await service.resolve(reference, staff, "再次处理");
    expect((await service.recordFeedback(reference, user, { rating: 4 })).type).toBe("recorded");
    now = new Date("2027-06-01T09:00:00+08:00");
    expect((await service.recordFeedback(reference, user, { fixed: false })).type).toBe("tooLateToReopen");
    expect((await town.db.prisma.report.findUniqueOrThrow({ where: { reference } })).rating).toBe(4);
  });

  it("a resident is limited to 5 reports in 10 minutes and told when they may submit again", async () => {
    now = new Date("2027-07-01T09:00:00+08:00");
    const user = resident();
    for (let i = 0; i < 5; i++) await submitNew({ categoryCode: "other", place: { roadCode: "hongmei-south", houseNumber: 4001 + i * 100 } }, user);
    expect(await service.checkRateLimit(user)).toEqual({ allowed: false, retryAfterMinutes: 10 });
    const refused = await service.submit(draft({ categoryCode: "other", place: { roadCode: "hongmei-south", houseNumber: 4999 } }), user, []);
    expect(refused).toEqual({ type: "rateLimited", retryAfterMinutes: 10 });
    now = new Date("2027-07-01T09:10:01+08:00");
    expect(await service.checkRateLimit(user)).toEqual({ allowed: true });
  });

  it("a blocked resident's report is kept but not routed, and they are not told", async () => {
    const user = resident();
    await submitNew({ categoryCode: "sanitation", place: { roadCode: "lianhua-south", houseNumber: 10 } }, user);
    expect(await service.blockUser(user, staff, "恶意举报")).toEqual({ type: "ok" });
    const result = await service.submit(draft({ categoryCode: "sanitation", place: { roadCode: "lianhua-south", houseNumber: 500 } }), user, []);
    expect(result).toMatchObject({ type: "created", route: null });
    if (result.type !== "created") return;
    const report = await town.db.prisma.report.findUniqueOrThrow({ where: { reference: result.reference } });
    expect(report).toMatchObject({ routed: false, routedRoadCommitteeId: null, routedDistrictId: null });
  });

  it("free text suggests the category whose keywords it uses, never 'other'", async () => {
    expect((await service.suggestCategory("永德路12号门口又在占道摆摊"))?.code).toBe("pavement-trading");
    expect((await service.suggestCategory("楼下广场舞太吵了"))?.code).toBe("noise");
    expect(await service.suggestCategory("紫竹半岛归哪个片区管？")).toBeUndefined();
  });
});

describe("the reports service", () => {
  it("is created from the real town data with defaults", async () => {
    const town = await openSampleServices();
    try {
      const service = createReportsService({ prisma: town.db.prisma, grid: town.grid, townCode: "wujing" });
      expect((await service.categories()).map((c) => c.code)).toContain("other");
      expect((await service.merchantsOnRoad("yongde")).length).toBeGreaterThan(5);
    } finally {
      await town.close();
    }
  });
});
