import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCaseList, type CaseFilter, type CaseList, type CasePage } from "../../../src/domain/reports/case-list.ts";
import { createAlertScheduler } from "../../../src/domain/reports/schedule.ts";
import type { ReportPlace } from "../../../src/domain/reports/service.ts";
import { coversCase, type StaffGrant, type StaffMemberInfo } from "../../../src/domain/staff/registry.ts";
import { createWorkingCalendar } from "../../../src/domain/time/working-time.ts";
import { readTownFile } from "../../../src/towndata/town-file.ts";
import { DATABASE_KINDS } from "../../support/databases.ts";
import { testLogger } from "../../support/logs.ts";
import {
  declining,
  DEFAULT_WORKING_TIME,
  openSampleServices,
  resident,
  SAMPLE_TOWN_FILE,
  type SampleServices,
} from "../../support/town.ts";

/** An instant given as Shanghai wall-clock time (UTC+8 all year). */
const shanghai = (local: string) => new Date(`${local}+08:00`);

const AT_YONGDE_12: ReportPlace = { roadCode: "yongde", houseNumber: 12 }; // district 2, road committee 1
const AT_YONGDE_400: ReportPlace = { roadCode: "yongde", houseNumber: 400 }; // district 1, road committee 1
const AT_LONGWU_5500: ReportPlace = { roadCode: "longwu", houseNumber: 5500 }; // district 4, road committee 2
const CLERK = { staffId: "staff-1", label: "第一路管会值班员" };

const ANY: CaseFilter = { statuses: [], overdueOnly: false };
const FIRST_PAGE = { page: 1, pageSize: 25 } as const;

describe.each(DATABASE_KINDS)("the staff's case list on %s", (kind) => {
  let town: SampleServices;
  let now: Date;
  let list: CaseList;
  let categories: string[];
  let residents = 0;
  const staff: Record<"admin" | "district2" | "committee2" | "academy" | "revoked", StaffMemberInfo> = {} as never;
  /** The four cases every test reads, by letter. */
  const ref: Record<"a" | "b" | "c" | "d", string> = {} as never;

  const file = async (at: Date, place: ReportPlace, categoryCode: string) => {
    now = at;
    const result = await town.reports.submit(
      { categoryCode, place, description: "门口堆放杂物", photoIds: [], contactAllowed: false },
      resident(`${kind}-${++residents}`),
      declining((await town.db.prisma.report.findMany({ select: { reference: true } })).map((r) => r.reference)),
    );
    if (result.type !== "created") throw new Error(result.type);
    return result.reference;
  };
  const bind = async (id: string, grant: StaffGrant) => {
    const invite = await town.staff.invite("bootstrap", grant);
    if (invite.type !== "created") throw new Error(invite.type);
    const bound = await town.staff.redeem(invite.code, { channel: "telegram", userId: id, chatId: id, locale: "zh" });
    if (bound.type !== "bound") throw new Error(bound.type);
    return bound.staff;
  };
  const page = async (who: StaffMemberInfo, filter: Partial<CaseFilter> = {}, sort: Parameters<CaseList["page"]>[2] = "newest") => {
    const result = await list.page(who.staffId, { ...ANY, ...filter }, sort, FIRST_PAGE);
    if (result.type !== "ok") throw new Error(result.type);
    return result;
  };
  const refs = (result: CasePage) => result.rows.map((row) => row.reference);
  const asSet = (result: CasePage) => new Set(refs(result));

  beforeAll(async () => {
    now = shanghai("2026-03-02T09:00:00");
    town = await openSampleServices({ kind, clock: () => now, reports: { rateLimit: { count: 1000, windowMinutes: 10 } } });
    const { data } = await readTownFile(SAMPLE_TOWN_FILE);
    const calendar = createWorkingCalendar({ ...DEFAULT_WORKING_TIME, holidays: data.holidays, extraWorkingDays: data.extraWorkingDays });
    list = createCaseList({ sql: town.db.sql, townCode: "wujing", registry: town.staff, calendar, clock: () => now });
    categories = (
      await town.db.prisma.reportCategory.findMany({
        where: { routeToRoadCommitteeId: null, routeToDistrictId: null, code: { not: "other" } },
        orderBy: { sortOrder: "asc" },
      })
    ).map((category) => category.code);

    ref.a = await file(shanghai("2026-02-02T10:00:00"), AT_YONGDE_12, categories[0]!);
    ref.b = await file(shanghai("2026-02-10T10:00:00"), AT_YONGDE_400, categories[0]!);
    ref.c = await file(shanghai("2026-02-26T10:00:00"), AT_LONGWU_5500, categories[1]!);
    // Half past midnight on 2 March in the town is still 1 March in UTC.
    ref.d = await file(shanghai("2026-03-02T00:30:00"), AT_LONGWU_5500, categories[0]!);
    now = shanghai("2026-02-27T11:00:00");
    await town.reports.acknowledge(ref.c, CLERK);
    await town.reports.resolve(ref.c, CLERK, "已清理");
    now = shanghai("2026-03-02T08:00:00");
    await town.reports.acknowledge(ref.b, CLERK);
    now = shanghai("2026-03-02T09:00:00");

    staff.admin = await bind("admin", { role: "ADMIN", label: "管理员", districtCodes: [], roadCommitteeCodes: [] });
    staff.district2 = await bind("d2", { role: "DISTRICT_STAFF", label: "第二片区", districtCodes: ["d2"], roadCommitteeCodes: [] });
    staff.committee2 = await bind("rc2", { role: "DISTRICT_STAFF", label: "第二路管会", districtCodes: [], roadCommitteeCodes: ["rc2"] });
    staff.academy = await bind("academy", { role: "ACADEMY_STAFF", label: "学院", districtCodes: ["d2"], roadCommitteeCodes: [] });
    staff.revoked = await bind("gone", { role: "DISTRICT_STAFF", label: "离职", districtCodes: ["d2"], roadCommitteeCodes: [] });
    await town.staff.revoke({ channel: "telegram", userId: "admin", chatId: "admin" }, staff.revoked.staffId);
  }, 120_000);
  afterAll(async () => {
    await town.close();
  });

  it("shows an admin every case of the town and district staff only the cases their districts and road committees cover", async () => {
    expect(asSet(await page(staff.admin))).toEqual(new Set([ref.a, ref.b, ref.c, ref.d]));
    expect(refs(await page(staff.district2))).toEqual([ref.a]);
    expect(asSet(await page(staff.committee2))).toEqual(new Set([ref.c, ref.d]));
  });

  it("lists exactly the cases coversCase lets each member open", async () => {
    for (const member of [staff.admin, staff.district2, staff.committee2]) {
      const listed = asSet(await page(member));
      for (const reference of Object.values(ref)) {
        const view = await town.reports.caseForStaff(reference);
        expect(listed.has(reference), `${member.label} and ${reference}`).toBe(coversCase(member, view!.area));
      }
    }
  });

  it("gives revoked staff and staff who cover no cases nothing", async () => {
    expect(await list.page(staff.revoked.staffId, ANY, "newest", FIRST_PAGE)).toEqual({ type: "notStaff" });
    expect(await list.page("no-such-staff", ANY, "newest", FIRST_PAGE)).toEqual({ type: "notStaff" });
    expect(await list.page(staff.academy.staffId, ANY, "newest", FIRST_PAGE)).toEqual({ type: "notYourArea" });
    expect(await list.all(staff.revoked.staffId, ANY, "newest", 100)).toEqual({ type: "notStaff" });
  });

  it("filters by one or several statuses", async () => {
    expect(refs(await page(staff.admin, { statuses: ["RESOLVED"] }))).toEqual([ref.c]);
    expect(asSet(await page(staff.admin, { statuses: ["SUBMITTED", "ACKNOWLEDGED"] }))).toEqual(new Set([ref.a, ref.b, ref.d]));
    expect((await page(staff.admin, { statuses: ["REJECTED"] })).total).toBe(0);
  });

  it("filters by district (of the place or the route), road committee and category", async () => {
    expect(asSet(await page(staff.admin, { districtCode: "d4" }))).toEqual(new Set([ref.c, ref.d]));
    expect(refs(await page(staff.admin, { districtCode: "d1" }))).toEqual([ref.b]);
    expect(asSet(await page(staff.admin, { roadCommitteeCode: "rc1" }))).toEqual(new Set([ref.a, ref.b]));
    expect(refs(await page(staff.admin, { categoryCode: categories[1]! }))).toEqual([ref.c]);
    // A filter never widens what a member covers.
    expect((await page(staff.district2, { districtCode: "d4" })).total).toBe(0);
  });

  it("marks and filters overdue cases exactly as the scheduler reminds of them", async () => {
    const overdue = await page(staff.admin, { overdueOnly: true });
    expect(asSet(overdue)).toEqual(new Set([ref.a, ref.b]));
    const all = await page(staff.admin);
    expect(Object.fromEntries(all.rows.map((row) => [row.reference, row.overdue]))).toEqual({
      [ref.a]: true,
      [ref.b]: true,
      [ref.c]: false,
      [ref.d]: false,
    });
    const { data } = await readTownFile(SAMPLE_TOWN_FILE);
    await createAlertScheduler({
      prisma: town.db.prisma,
      sql: town.db.sql,
      townCode: "wujing",
      calendar: createWorkingCalendar({ ...DEFAULT_WORKING_TIME, holidays: data.holidays, extraWorkingDays: data.extraWorkingDays }),
      dailyDigestAt: 24 * 60 - 1,
      logger: testLogger(),
      clock: () => now,
    }).runOnce(now);
    const reminded = await town.db.prisma.report.findMany({ where: { overdueRemindedAt: { not: null } }, select: { reference: true } });
    expect(new Set(reminded.map((report) => report.reference))).toEqual(asSet(overdue));
  });

  it("reads the date range in the town's time zone, both ends included", async () => {
    expect(refs(await page(staff.admin, { createdFrom: "2026-03-02" }))).toEqual([ref.d]);
    expect(refs(await page(staff.admin, { createdFrom: "2026-03-02", createdTo: "2026-03-02" }))).toEqual([ref.d]);
    expect((await page(staff.admin, { createdTo: "2026-03-01" })).rows.map((row) => row.reference)).not.toContain(ref.d);
    expect(asSet(await page(staff.admin, { createdFrom: "2026-02-10", createdTo: "2026-02-26" }))).toEqual(new Set([ref.b, ref.c]));
  });

  it("searches by part of a reference or of a road's name in either language, wildcards taken literally", async () => {
    expect(refs(await page(staff.admin, { search: ref.c.slice(-4) }))).toEqual([ref.c]);
    expect(refs(await page(staff.admin, { search: ref.c.toLowerCase() }))).toEqual([ref.c]);
    const longwu = town.grid.index.snapshot.roads.find((road) => road.code === "longwu")!;
    expect(asSet(await page(staff.admin, { search: longwu.name.zh }))).toEqual(new Set([ref.c, ref.d]));
    expect(asSet(await page(staff.admin, { search: longwu.name.en.toUpperCase() }))).toEqual(new Set([ref.c, ref.d]));
    expect((await page(staff.admin, { search: "%" })).total).toBe(0);
  });

  it("sorts newest, oldest, recently updated, due soonest with the overdue first, and by reference", async () => {
    expect(refs(await page(staff.admin, {}, "newest"))).toEqual([ref.d, ref.c, ref.b, ref.a]);
    expect(refs(await page(staff.admin, {}, "oldest"))).toEqual([ref.a, ref.b, ref.c, ref.d]);
    expect(refs(await page(staff.admin, {}, "updated"))).toEqual([ref.b, ref.d, ref.c, ref.a]);
    expect(refs(await page(staff.admin, {}, "due"))).toEqual([ref.a, ref.b, ref.d, ref.c]);
    expect(refs(await page(staff.admin, {}, "reference"))).toEqual([ref.a, ref.b, ref.c, ref.d].sort());
  });

  it("shows each case's place only to the road, its district and road committee, and who claimed it", async () => {
    const rows = new Map((await page(staff.admin)).rows.map((row) => [row.reference, row]));
    const yongde = town.grid.index.snapshot.roads.find((road) => road.code === "yongde")!;
    const b = rows.get(ref.b)!;
    expect(b.place).toEqual(yongde.name);
    expect(b.district?.zh).toBe(town.grid.index.district("d1")!.name.zh);
    expect(b.roadCommittee?.en).toBe(town.grid.index.snapshot.roadCommittees.find((c) => c.code === "rc1")!.name.en);
    expect(b.claimedBy).toBe(CLERK.label);
    expect(rows.get(ref.a)!.claimedBy).toBeNull();
    expect(b.createdAt).toEqual(shanghai("2026-02-10T10:00:00"));
    expect(JSON.stringify([...rows.values()])).not.toMatch(/400号|No\. 400|门口堆放杂物/);
  });

  it("pages 25, 50 or 100 at a time with the total, and shows the last page for a page past the end", async () => {
    const many: string[] = [];
    for (let i = 0; i < 26; i++)
      many.push(await file(shanghai(`2026-01-${String(5 + (i % 20)).padStart(2, "0")}T10:00:00`), AT_YONGDE_12, categories[2]!));
    const filter = { ...ANY, categoryCode: categories[2]! };
    const first = await list.page(staff.admin.staffId, filter, "reference", { page: 1, pageSize: 25 });
    expect(first).toMatchObject({ type: "ok", total: 26, page: 1, pages: 2, pageSize: 25 });
    const second = await list.page(staff.admin.staffId, filter, "reference", { page: 2, pageSize: 25 });
    expect(second).toMatchObject({ total: 26, page: 2, pages: 2 });
    expect([...refs(first as CasePage), ...refs(second as CasePage)]).toEqual([...many].sort());
    expect(await list.page(staff.admin.staffId, filter, "reference", { page: 9, pageSize: 25 })).toEqual(second);
    expect(refs((await list.page(staff.admin.staffId, filter, "reference", { page: 1, pageSize: 50 })) as CasePage)).toHaveLength(26);
    expect(await list.page(staff.admin.staffId, { ...filter, statuses: ["REJECTED"] }, "newest", { page: 3, pageSize: 100 })).toEqual({
      type: "ok",
      rows: [],
      total: 0,
      page: 1,
      pages: 1,
      pageSize: 100,
    });
    expect(await list.all(staff.admin.staffId, filter, "reference", 25)).toEqual({ type: "tooMany", total: 26 });
    const all = await list.all(staff.admin.staffId, filter, "reference", 26);
    expect(all.type === "ok" && all.rows.map((row) => row.reference)).toEqual([...many].sort());
  });
});
