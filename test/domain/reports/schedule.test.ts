import { testLogger } from "../../support/logs.ts";
import { readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { renderOutboxRow, UnreadableOutboxRowError } from "../../../src/bot/notify/render.ts";
import { importTownData } from "../../../src/domain/town/import.ts";
import { validateTownData, type TownAlertDestination } from "../../../src/domain/town/town-data.ts";
import {
  createAlertScheduler,
  type AlertScheduler,
  type DailyDigestPayload,
  type EscalationPayload,
  type OverduePayload,
} from "../../../src/domain/reports/schedule.ts";
import type { ReportPlace } from "../../../src/domain/reports/service.ts";
import { createWorkingCalendar } from "../../../src/domain/time/working-time.ts";
import type { OutboundMessage } from "../../../src/flows/kit/messages.ts";
import { readTownFile } from "../../../src/towndata/town-file.ts";
import { shownText } from "../../support/conversation.ts";
import { DATABASE_KINDS, freshDatabase } from "../../support/databases.ts";
import {
  declining,
  DEFAULT_WORKING_TIME,
  openSampleServices,
  resident,
  SAMPLE_TOWN_FILE,
  type SampleServices,
  TOWN_TIME_ZONE,
} from "../../support/town.ts";

/** An instant given as Shanghai wall-clock time (UTC+8 all year). */
const shanghai = (local: string) => new Date(`${local}+08:00`);

const DESTINATIONS: TownAlertDestination[] = [
  {
    code: "rc1-staff",
    name: "第一路管会工作群",
    telegramChatId: "-1001000000001",
    locale: "zh",
    districts: [],
    roadCommittees: ["rc1"],
    categories: [],
  },
  {
    code: "d4-staff",
    name: "District 4 staff",
    telegramChatId: "-1001000000004",
    locale: "en",
    districts: ["d4"],
    roadCommittees: [],
    categories: [],
  },
  {
    code: "town-office",
    name: "Town office",
    telegramChatId: "-1001000000099",
    locale: "en",
    districts: [],
    roadCommittees: [],
    categories: [],
  },
  {
    code: "d1-director",
    name: "第一片区主任群",
    telegramChatId: "-1001000000011",
    locale: "zh",
    districts: ["d1"],
    roadCommittees: [],
    categories: [],
    escalation: true,
  },
  {
    code: "d2-director",
    name: "District 2 director",
    telegramChatId: "-1001000000012",
    locale: "en",
    districts: ["d2"],
    roadCommittees: [],
    categories: [],
    escalation: true,
  },
];
const CHAT = {
  rc1Staff: "-1001000000001",
  d4Staff: "-1001000000004",
  townOffice: "-1001000000099",
  d1Director: "-1001000000011",
  d2Director: "-1001000000012",
};
const CLERK = { staffId: "staff-1", label: "第一路管会工作人员" };
const AT_YONGDE_12: ReportPlace = { roadCode: "yongde", houseNumber: 12 }; // district 2, road committee 1
const AT_YONGDE_400: ReportPlace = { roadCode: "yongde", houseNumber: 400 }; // district 1, road committee 1
const AT_LONGWU_5500: ReportPlace = { roadCode: "longwu", houseNumber: 5500 }; // district 4, road committee 2

describe.each(DATABASE_KINDS)("the alert scheduler on %s", (kind) => {
  let town: SampleServices;
  let now: Date;
  let residents = 0;
  let schedulers: AlertScheduler[];

  beforeEach(async () => {
    now = shanghai("2026-03-02T09:00:00");
    town = await openSampleServices({ kind, clock: () => now });
    const { data } = await readTownFile(SAMPLE_TOWN_FILE);
    await importTownData(town.db.prisma, { ...data, alertDestinations: DESTINATIONS }, "with-director-groups", TOWN_TIME_ZONE);
    await town.grid.refreshIfChanged();
    // The sample's own calendar: Labour Day 1–5 May 2026 off, Saturday 9 May worked.
    const calendar = createWorkingCalendar({ ...DEFAULT_WORKING_TIME, holidays: data.holidays, extraWorkingDays: data.extraWorkingDays });
    const make = () =>
      createAlertScheduler({
        prisma: town.db.prisma,
        sql: town.db.sql,
        townCode: "wujing",
        calendar,
        dailyDigestAt: 8 * 60 + 30,
        logger: testLogger(),
        clock: () => now,
      });
    schedulers = [make(), make()];
  });
  afterEach(async () => {
    await town.close();
  });

  const submit = async (at: Date, place: ReportPlace, categoryCode = "pavement-trading") => {
    now = at;
    const result = await town.reports.submit(
      { categoryCode, place, description: "门口摆摊，摊主电话13812345678", photoIds: [], contactAllowed: false },
      resident(`sched-${++residents}`),
      declining(),
    );
    if (result.type !== "created") throw new Error(`expected a new report, got ${result.type}`);
    return result.reference;
  };
  const run = (at: Date, scheduler = schedulers[0]!) => {
    now = at;
    return scheduler.runOnce(at);
  };
  const rows = (kind: string) =>
    town.db.prisma.outboxMessage.findMany({ where: { kind }, orderBy: [{ chatId: "asc" }, { createdAt: "asc" }] });
  const report = (reference: string) => town.db.prisma.report.findUniqueOrThrow({ where: { reference } });
  const render = (row: { kind: string; payload: unknown }) => renderOutboxRow(row, TOWN_TIME_ZONE) as OutboundMessage[];
  const buttons = (messages: OutboundMessage[]) =>
    messages[0]?.type === "choices" ? messages[0].options.map((option) => option.label) : [];

  it("a report of Friday 17:00 waits out the weekend and is escalated on Monday after two working hours, to its district's director", async () => {
    const reference = await submit(shanghai("2026-03-06T17:00:00"), AT_YONGDE_12);
    const submitted = await report(reference);
    for (const at of ["2026-03-06T17:29:00", "2026-03-07T12:00:00", "2026-03-08T23:59:00", "2026-03-09T09:00:00", "2026-03-09T10:29:00"]) {
      expect((await run(shanghai(at))).escalated).toBe(0);
    }
    expect(await rows("alert.escalated")).toEqual([]);

    expect((await run(shanghai("2026-03-09T10:30:00"))).escalated).toBe(1);
    const escalated = await rows("alert.escalated");
    expect(escalated.map((row) => [row.chatId, row.dedupeKey, row.reportId])).toEqual([
      [CHAT.d2Director, `escalation:${submitted.id}:${await destinationId("d2-director")}`, submitted.id],
    ]);
    const payload = escalated[0]!.payload as unknown as EscalationPayload;
    expect(payload.waitedMinutes).toBe(120);
    expect(payload.alert).toMatchObject({
      reference,
      locale: "en",
      place: { zh: "永德路12号（第二片区）" },
      description: "门口摆摊，摊主电话138****5678",
      route: { kind: "roadCommittee", code: "rc1" },
    });
    const after = await report(reference);
    expect(after.escalatedAt).toEqual(shanghai("2026-03-09T10:30:00"));
    // Residents see "last changed" in their lists: an escalation is not a change of their report.
    expect(after.updatedAt).toEqual(submitted.updatedAt);

    const shown = render(escalated[0]!);
    expect(shownText(shown)).toContain(`⏫ Escalated: ${reference} has waited 2 h (working time) without being claimed`);
    expect(buttons(shown)).toEqual(["Claim", "Reject"]);
  });

  async function destinationId(code: string) {
    return (await town.db.prisma.alertDestination.findUniqueOrThrow({ where: { townCode_code: { townCode: "wujing", code } } })).id;
  }

  it("escalations go only to the director's group of the report's district; a district without one is marked and sends nothing", async () => {
    const inDistrict1 = await submit(shanghai("2026-03-09T09:00:00"), AT_YONGDE_400);
    const inDistrict4 = await submit(shanghai("2026-03-09T09:01:00"), AT_LONGWU_5500, "parking");
    await run(shanghai("2026-03-09T11:30:00"));
    const escalated = await rows("alert.escalated");
    expect(escalated.map((row) => [row.chatId, (row.payload as unknown as EscalationPayload).alert.reference])).toEqual([
      [CHAT.d1Director, inDistrict1],
    ]);
    expect((await report(inDistrict4)).escalatedAt).toEqual(shanghai("2026-03-09T11:30:00"));
    // Director's groups never get the new-report alert.
    const newAlerts = await rows("alert.new");
    expect(newAlerts.some((row) => row.chatId === CHAT.d1Director || row.chatId === CHAT.d2Director)).toBe(false);

    const shown = render(escalated[0]!);
    expect(shownText(shown)).toContain(`⏫ 升级：${inDistrict1} 已等待 2 小时 30 分钟（工作时间）未认领`);
    expect(shownText(shown)).toContain("永德路400号（第一片区）");
    expect(buttons(shown)).toEqual(["认领", "驳回"]);
  });

  it("a claimed report is never escalated", async () => {
    const reference = await submit(shanghai("2026-03-09T09:00:00"), AT_YONGDE_12);
    now = shanghai("2026-03-09T10:00:00");
    expect(await town.reports.acknowledge(reference, CLERK)).toMatchObject({ type: "ok" });
    await run(shanghai("2026-03-09T15:00:00"));
    await run(shanghai("2026-03-10T15:00:00"));
    expect(await rows("alert.escalated")).toEqual([]);
    expect((await report(reference)).escalatedAt).toBeNull();
  });

  it("the Labour Day holiday does not count: a report of Thursday 30 April 17:00 is escalated on Wednesday 6 May at 10:30", async () => {
    const reference = await submit(shanghai("2026-04-30T17:00:00"), AT_YONGDE_12);
    for (const at of ["2026-05-01T12:00:00", "2026-05-04T16:00:00", "2026-05-05T17:00:00", "2026-05-06T10:29:00"]) await run(shanghai(at));
    expect(await rows("alert.escalated")).toEqual([]);
    await run(shanghai("2026-05-06T10:30:00"));
    expect((await rows("alert.escalated")).map((row) => (row.payload as unknown as EscalationPayload).alert.reference)).toEqual([
      reference,
    ]);
  });

  it("running twice, or two schedulers at once, queues every escalation, reminder and digest exactly once", async () => {
    const references = [
      await submit(shanghai("2026-03-02T09:00:00"), AT_YONGDE_12),
      await submit(shanghai("2026-03-02T09:00:00"), AT_YONGDE_400, "noise"),
      await submit(shanghai("2026-03-02T09:05:00"), { roadCode: "yongde", houseNumber: 80 }, "parking"),
    ];
    const at = shanghai("2026-03-06T09:00:00");
    const [first, second] = await Promise.all([run(at, schedulers[0]), run(at, schedulers[1])]);
    expect(first.escalated + second.escalated).toBe(3);
    expect(first.reminded + second.reminded).toBe(3);
    expect(first.digests + second.digests).toBe(DESTINATIONS.length);
    const again = await run(shanghai("2026-03-06T09:01:00"));
    expect(again).toEqual({ escalated: 0, reminded: 0, digests: 0, failed: 0 });
    await Promise.all([run(shanghai("2026-03-06T09:02:00"), schedulers[0]), run(shanghai("2026-03-06T09:02:00"), schedulers[1])]);

    const escalated = await rows("alert.escalated");
    // Two in district 2 (numbers 12 and 80), one in district 1.
    expect(escalated.map((row) => row.chatId).sort()).toEqual([CHAT.d1Director, CHAT.d2Director, CHAT.d2Director]);
    const overdue = await rows("alert.overdue");
    // Each report reaches the road committee's group and the whole-town office.
    expect(overdue).toHaveLength(references.length * 2);
    expect(new Set(overdue.map((row) => row.dedupeKey)).size).toBe(overdue.length);
    expect(await rows("digest.daily")).toHaveLength(DESTINATIONS.length);
  });

  it("a case past three working days is brought back to its handling groups once, showing its status and deadline", async () => {
    const reference = await submit(shanghai("2026-03-09T10:00:00"), AT_YONGDE_12);
    now = shanghai("2026-03-09T10:05:00");
    await town.reports.acknowledge(reference, CLERK);
    expect((await run(shanghai("2026-03-12T09:59:00"))).reminded).toBe(0);
    expect((await run(shanghai("2026-03-12T10:00:00"))).reminded).toBe(1);
    await run(shanghai("2026-03-13T10:00:00"));
    await run(shanghai("2026-03-20T10:00:00"));

    const overdue = await rows("alert.overdue");
    expect(overdue.map((row) => row.chatId)).toEqual([CHAT.rc1Staff, CHAT.townOffice]);
    const payload = overdue[0]!.payload as unknown as OverduePayload;
    expect(payload).toMatchObject({
      deadline: "2026-03-12 10:00",
      deadlineAt: shanghai("2026-03-12T10:00:00").toISOString(),
      workingDays: 3,
      status: "ACKNOWLEDGED",
      alert: { reference, locale: "zh" },
    });
    expect((await report(reference)).overdueRemindedAt).toEqual(shanghai("2026-03-12T10:00:00"));

    const zh = render(overdue[0]!);
    expect(shownText(zh)).toContain(`⏰ 超期：${reference} 已超过 3 个工作日的处理时限（截止 2026-03-12 10:00），仍未办结`);
    expect(shownText(zh)).toContain("当前状态：已受理");
    expect(buttons(zh)).toEqual(["处理中", "已解决", "驳回"]);
    const en = render(overdue[1]!);
    expect(shownText(en)).toContain(`⏰ Overdue: ${reference} is past its deadline of 3 working days (2026-03-12 10:00) and still open`);
  });

  it("a resolved case is not reminded, and the fallback category keeps its own five-day deadline", async () => {
    const resolved = await submit(shanghai("2026-03-09T10:00:00"), AT_YONGDE_12);
    const other = await submit(shanghai("2026-03-09T10:00:00"), { roadCode: "yongde", houseNumber: 60 }, "other");
    now = shanghai("2026-03-09T10:30:00");
    await town.reports.acknowledge(resolved, CLERK);
    await town.reports.resolve(resolved, CLERK, "摊位已清理");
    await run(shanghai("2026-03-12T10:00:00"));
    expect(await rows("alert.overdue")).toEqual([]);
    await run(shanghai("2026-03-16T10:00:00"));
    expect((await rows("alert.overdue")).map((row) => (row.payload as unknown as OverduePayload).alert.reference)).toEqual([other, other]);
  });

  it("each group gets one digest a day from 08:30 with its own counts, in its language", async () => {
    const overdueD2 = await submit(shanghai("2026-03-04T10:00:00"), AT_YONGDE_12);
    const overdueD4 = await submit(shanghai("2026-03-04T11:00:00"), AT_LONGWU_5500, "parking");
    await submit(shanghai("2026-03-09T15:00:00"), { roadCode: "yongde", houseNumber: 40 }, "noise");
    const resolved = await submit(shanghai("2026-03-09T12:00:00"), { roadCode: "yongde", houseNumber: 70 }, "parking");
    now = shanghai("2026-03-09T16:00:00");
    await town.reports.acknowledge(resolved, CLERK);
    await town.reports.resolve(resolved, CLERK, "车辆已挪走");

    expect((await run(shanghai("2026-03-10T08:29:00"))).digests).toBe(0);
    expect(await rows("digest.daily")).toEqual([]);
    expect((await run(shanghai("2026-03-10T08:30:00"))).digests).toBe(DESTINATIONS.length);
    await run(shanghai("2026-03-10T08:31:00"));
    await run(shanghai("2026-03-10T23:59:00"));
    const digests = await rows("digest.daily");
    expect(digests).toHaveLength(DESTINATIONS.length);

    const byChat = new Map(digests.map((row) => [row.chatId, row.payload as unknown as DailyDigestPayload]));
    expect(byChat.get(CHAT.rc1Staff)).toEqual({
      date: "2026-03-10",
      counts: { new: 2, open: 2, overdue: 1, resolved: 1 },
      oldestOverdue: [{ reference: overdueD2, category: { zh: "占道经营", en: expect.any(String) }, submittedOn: "2026-03-04" }],
      locale: "zh",
    });
    expect(byChat.get(CHAT.townOffice)).toMatchObject({ counts: { new: 2, open: 3, overdue: 2, resolved: 1 }, locale: "en" });
    expect(byChat.get(CHAT.townOffice)!.oldestOverdue.map((c) => c.reference)).toEqual([overdueD2, overdueD4]);
    expect(byChat.get(CHAT.d4Staff)!.counts).toEqual({ new: 0, open: 1, overdue: 1, resolved: 0 });
    expect(byChat.get(CHAT.d2Director)!.counts).toEqual({ new: 2, open: 2, overdue: 1, resolved: 1 });
    expect(byChat.get(CHAT.d1Director)!.counts).toEqual({ new: 0, open: 0, overdue: 0, resolved: 0 });
    expect(digests.every((row) => row.dedupeKey.endsWith(":2026-03-10"))).toBe(true);

    const zh = shownText(render(digests.find((row) => row.chatId === CHAT.rc1Staff)!));
    expect(zh).toBe(
      [
        "📊 每日汇总（2026-03-10）",
        "🆕 近 24 小时新举报：2 件",
        "📂 待办结：2 件",
        "⏰ 已超期：1 件",
        "✅ 近 24 小时已解决：1 件",
        "",
        "最早的超期案件：",
        `• ${overdueD2} · 占道经营 · 2026-03-04 提交`,
        "",
        "私聊发送 /case 编号 查看详情并处理，或发送 /open 查看全部待处理案件。",
      ].join("\n"),
    );
    const en = shownText(render(digests.find((row) => row.chatId === CHAT.townOffice)!));
    expect(en).toContain("📊 Daily digest (2026-03-10)");
    expect(en).toContain("🆕 New in the last 24 hours: 2");
    expect(en).toContain("⏰ Overdue: 2");
    const parking = await town.db.prisma.reportCategory.findUniqueOrThrow({
      where: { townCode_code: { townCode: "wujing", code: "parking" } },
    });
    expect(en).toContain(`• ${overdueD4} · ${parking.nameEn} · submitted 2026-03-04`);

    await run(shanghai("2026-03-11T08:30:00"));
    expect(await rows("digest.daily")).toHaveLength(DESTINATIONS.length * 2);
  });

  it("a scheduled row whose payload is not what the scheduler writes cannot be rendered", () => {
    expect(() => renderOutboxRow({ kind: "alert.escalated", payload: { waitedMinutes: 5 } }, TOWN_TIME_ZONE)).toThrow(
      UnreadableOutboxRowError,
    );
    expect(() => renderOutboxRow({ kind: "digest.daily", payload: { date: "2026-03-10" } }, TOWN_TIME_ZONE)).toThrow(
      UnreadableOutboxRowError,
    );
  });
});

const MINIMAL_TOWN = path.resolve(import.meta.dirname, "../../fixtures/town/minimal.yaml");

describe("escalation settings in town data", () => {
  type Raw = {
    categories: Record<string, unknown>[];
    alertDestinations: Record<string, unknown>[];
    holidays: unknown[];
    extraWorkingDays: unknown[];
  };
  const minimal = () => parse(readFileSync(MINIMAL_TOWN, "utf8")) as Raw;
  const problems = (raw: Raw) => {
    const result = validateTownData(raw);
    return result.success ? [] : result.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
  };

  it("bad values are reported at their field in Chinese and English", () => {
    const raw = minimal();
    raw.categories[0]!.escalateAfterMinutes = 0;
    raw.categories[1]!.deadlineWorkingDays = 1.5;
    raw.alertDestinations[1]!.escalation = "yes";
    raw.holidays = ["2026-02-30", "10/01/2026"];
    raw.extraWorkingDays = ["2026-10-02"];
    const found = problems(raw);
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^categories\.0\.escalateAfterMinutes: /),
        expect.stringMatching(/^categories\.1\.deadlineWorkingDays: /),
        expect.stringMatching(/^alertDestinations\.1\.escalation: /),
        "holidays.0: 日期须写成 YYYY-MM-DD 且真实存在，如 2026-10-01 / a date is written YYYY-MM-DD and must exist, e.g. 2026-10-01",
        "holidays.1: 日期须写成 YYYY-MM-DD 且真实存在，如 2026-10-01 / a date is written YYYY-MM-DD and must exist, e.g. 2026-10-01",
      ]),
    );
    expect(found).toHaveLength(5);
  });

  it("a date cannot be both a holiday and a make-up working day", () => {
    const raw = minimal();
    raw.extraWorkingDays = ["2026-10-10", "2026-10-02"];
    expect(problems(raw)).toEqual([
      "extraWorkingDays.1: 2026-10-02 同时列在 holidays 和 extraWorkingDays 中，请只保留一处 / 2026-10-02 is listed both in holidays and in extraWorkingDays; keep it in one list",
    ]);
  });
});

describe.each(DATABASE_KINDS)("escalation settings in town data on %s", (kind) => {
  it("a category's escalation and deadline, a director's group and the holidays are read and imported; left out, the defaults apply", async () => {
    const file = await readTownFile(MINIMAL_TOWN);
    expect(file.data.holidays).toEqual(["2026-10-01", "2026-10-02"]);
    expect(file.data.extraWorkingDays).toEqual(["2026-10-10"]);
    const db = await freshDatabase(kind);
    try {
      await importTownData(db.prisma, file.data, file.hash, TOWN_TIME_ZONE);
      const categories = await db.prisma.reportCategory.findMany({ where: { townCode: "testtown" }, orderBy: { sortOrder: "asc" } });
      expect(categories.map((c) => [c.code, c.escalateAfterMinutes, c.deadlineWorkingDays])).toEqual([
        ["stalls", 30, 2],
        ["greening", 120, 3],
        ["other", 120, 3],
      ]);
      const destinations = await db.prisma.alertDestination.findMany({ where: { townCode: "testtown" }, orderBy: { code: "asc" } });
      expect(destinations.map((d) => [d.code, d.escalation])).toEqual([
        ["north-director", true],
        ["north-staff", false],
      ]);
    } finally {
      await db.close();
    }
  });
});
