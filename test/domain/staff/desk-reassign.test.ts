import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StaffAlertPayload } from "../../../src/domain/reports/alerts.ts";
import type { StaffGrant } from "../../../src/domain/staff/registry.ts";
import { DATABASE_KINDS } from "../../support/databases.ts";
import { declining, openSampleServices, type SampleServices } from "../../support/town.ts";

const person = (userId: string) => ({ channel: "telegram", userId, chatId: userId, locale: "zh" as const });

describe.each(DATABASE_KINDS)("reassigning a case through the staff desk on %s", (kind) => {
  let town: SampleServices;
  let reporters = 0;

  beforeAll(async () => {
    town = await openSampleServices({ kind, reports: { rateLimit: { count: 1000, windowMinutes: 10 } } });
    await town.db.prisma.alertDestination.createMany({
      data: [
        {
          townCode: "wujing",
          code: "rc1-group",
          name: "第一路管会群",
          channel: "telegram",
          address: "-100201",
          roadCommitteeCodes: ["rc1"],
        },
        { townCode: "wujing", code: "d3-group", name: "第三片区群", channel: "telegram", address: "-100203", districtCodes: ["d3"] },
        {
          townCode: "wujing",
          code: "d3-director",
          name: "第三片区主任群",
          channel: "telegram",
          address: "-100213",
          districtCodes: ["d3"],
          escalation: true,
        },
      ],
    });
    await bind("rc1-clerk", { role: "DISTRICT_STAFF", label: "第一路管会值班", districtCodes: [], roadCommitteeCodes: ["rc1"] });
    await bind("d4-clerk", { role: "DISTRICT_STAFF", label: "第四片区值班", districtCodes: ["d4"], roadCommitteeCodes: [] });
    await bind("admin", { role: "ADMIN", label: "管理员", districtCodes: [], roadCommitteeCodes: [] });
  }, 120_000);
  afterAll(async () => {
    await town.close();
  });

  async function bind(userId: string, grant: StaffGrant) {
    const invite = await town.staff.invite("bootstrap", grant);
    if (invite.type !== "created") throw new Error(invite.type);
    const bound = await town.staff.redeem(invite.code, person(userId));
    if (bound.type !== "bound") throw new Error(bound.type);
  }

  /** A new report on a road of the first road committee, which alerts that committee's group. */
  async function fileOnRc1(): Promise<string> {
    const category = await town.db.prisma.reportCategory.findFirstOrThrow({
      where: { routeToRoadCommitteeId: null, routeToDistrictId: null, code: { not: "other" } },
      orderBy: { sortOrder: "asc" },
    });
    const result = await town.reports.submit(
      {
        categoryCode: category.code,
        place: { roadCode: "yongde", houseNumber: 12 },
        description: `门口堆满纸箱 ${++reporters}`,
        photoIds: [],
        contactAllowed: false,
      },
      { channel: "telegram", userId: `reporter-${kind}-${reporters}`, chatId: `reporter-${kind}-${reporters}`, locale: "zh" },
      declining((await town.db.prisma.report.findMany({ select: { reference: true } })).map((r) => r.reference)),
    );
    if (result.type !== "created") throw new Error(result.type);
    return result.reference;
  }

  const alertsOf = async (reference: string) =>
    (
      await town.db.prisma.outboxMessage.findMany({
        where: { kind: "alert.new", reportId: (await town.db.prisma.report.findUniqueOrThrow({ where: { reference } })).id },
        orderBy: { createdAt: "asc" },
      })
    ).map((row) => ({ chatId: row.chatId, reference: (row.payload as unknown as StaffAlertPayload).reference }));

  it("moves the case to the named district, names who moved it from where to where, and alerts the new area's groups only", async () => {
    const reference = await fileOnRc1();
    expect(await alertsOf(reference)).toEqual([{ chatId: "-100201", reference }]);

    const result = await town.services.desk.act(person("rc1-clerk"), reference, {
      type: "reassign",
      target: { districtCode: "d3" },
      note: "属于第三片区的小区内部道路",
    });
    expect(result).toEqual({ type: "ok", reference, status: "SUBMITTED" });

    const detail = await town.services.desk.caseDetail(person("admin"), reference);
    if (detail.type !== "ok") throw new Error(detail.type);
    expect(detail.view.route).toMatchObject({ kind: "districtCommittee", code: "d3" });
    const entry = detail.view.timeline.at(-1);
    expect(entry).toMatchObject({
      type: "REROUTED",
      by: "staff",
      actorLabel: "第一路管会值班",
      note: "属于第三片区的小区内部道路",
      reroute: { from: { kind: "roadCommittee", code: "rc1" }, to: { kind: "districtCommittee", code: "d3" } },
    });
    // The first road committee's group keeps its alert; the director's group hears only of escalations.
    expect(await alertsOf(reference)).toEqual([
      { chatId: "-100201", reference },
      { chatId: "-100203", reference },
    ]);
  });

  it("refuses staff who do not cover the case, and changes nothing", async () => {
    const reference = await fileOnRc1();
    const before = await town.db.prisma.reportEvent.count({ where: { report: { reference } } });
    expect(
      await town.services.desk.act(person("d4-clerk"), reference, { type: "reassign", target: { districtCode: "d4" }, note: "我们来处理" }),
    ).toEqual({ type: "notYourArea" });
    expect(
      await town.services.desk.act(person("stranger"), reference, { type: "reassign", target: { districtCode: "d4" }, note: "x" }),
    ).toEqual({ type: "notStaff" });
    expect(await town.db.prisma.reportEvent.count({ where: { report: { reference } } })).toBe(before);
    expect(await town.db.prisma.report.findUniqueOrThrow({ where: { reference } })).toMatchObject({ routedDistrictId: null });
    expect(await alertsOf(reference)).toHaveLength(1);
  });

  it("leaves the case with the new area: the committee that passed it on no longer covers it, an admin still does", async () => {
    const reference = await fileOnRc1();
    await town.services.desk.act(person("rc1-clerk"), reference, { type: "reassign", target: { districtCode: "d3" }, note: "转第三片区" });
    expect(await town.services.desk.act(person("rc1-clerk"), reference, { type: "claim" })).toEqual({ type: "notYourArea" });
    expect(
      await town.services.desk.act(person("admin"), reference, {
        type: "reassign",
        target: { roadCommitteeCode: "rc1" },
        note: "退回路管会",
      }),
    ).toMatchObject({ type: "ok" });
    expect(await town.services.desk.act(person("rc1-clerk"), reference, { type: "claim" })).toMatchObject({
      type: "ok",
      status: "ACKNOWLEDGED",
    });
  });

  it("refuses an unknown committee, a missing note and a closed case, and changes nothing", async () => {
    const reference = await fileOnRc1();
    const act = (target: { districtCode: string } | { roadCommitteeCode: string }, note: string) =>
      town.services.desk.act(person("admin"), reference, { type: "reassign", target, note });
    expect(await act({ districtCode: "no-such-district" }, "转")).toEqual({ type: "unknownTarget" });
    expect(await act({ roadCommitteeCode: "rc2" }, "  ")).toEqual({ type: "noteRequired" });
    await town.services.desk.act(person("admin"), reference, { type: "reject", reason: "INVALID", note: "无效" });
    expect(await act({ roadCommitteeCode: "rc2" }, "转")).toEqual({ type: "badTransition", from: "REJECTED", to: "REJECTED" });
    expect(await town.db.prisma.reportEvent.count({ where: { report: { reference }, type: "REROUTED" } })).toBe(0);
    expect(await alertsOf(reference)).toHaveLength(1);
  });
});
