import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Database } from "../../../src/db/database.ts";
import {
  createClassesService,
  normalizeMobile,
  sessionsToComplete,
  type ClassesService,
  type SignUp,
} from "../../../src/domain/classes/classes.ts";
import { CODE_ALPHABET, createStaffRegistry } from "../../../src/domain/staff/registry.ts";
import { databaseWebSessions } from "../../../src/domain/staff/web-session-table.ts";
import { DATABASE_KINDS } from "../../support/databases.ts";
import { openSampleTown, resident, TOWN_TIME_ZONE } from "../../support/town.ts";
import { parseCsv } from "../../support/csv.ts";

const COHORT = "talent-2027-1";
const OTHER_COHORT = "talent-2027-2";
// Enrolment for talent-2027-1 is open from 2026-11-01 to 2027-02-26; its first session is 2027-03-06 14:00 in Shanghai.
const OPEN_TIME = new Date("2026-12-01T02:00:00Z");
const FIRST_SESSION = new Date("2027-03-06T06:00:00Z");
const HOUR = 3_600_000;
const ACADEMY = { channel: "telegram", userId: "academy-1" };
const DISTRICT_CLERK = { channel: "telegram", userId: "district-1" };

const signUp = (n: number, over: Partial<SignUp> = {}): SignUp => ({
  name: `居民${n}`,
  mobile: `1380000${String(n).padStart(4, "0")}`,
  neighbourhoodCode: "zizhu-peninsula",
  privacyAccepted: true,
  ...over,
});

describe("mobile numbers and completion", () => {
  it("accepts mainland mobiles with spaces, dashes or +86 and refuses anything else", () => {
    expect(normalizeMobile("138 0013 8000")).toBe("13800138000");
    expect(normalizeMobile("+86 139-1234-5678")).toBe("13912345678");
    for (const bad of ["12800138000", "1380013800", "021-64531234", "138001380001", "abc"]) expect(normalizeMobile(bad)).toBeUndefined();
  });

  it("needs six of eight sessions at three quarters, and at least one session", () => {
    expect(sessionsToComplete(0.75, 8)).toBe(6);
    expect(sessionsToComplete(0.75, 9)).toBe(7);
    expect(sessionsToComplete(0.01, 2)).toBe(1);
  });
});

describe.each(DATABASE_KINDS)("community-talent classes on %s", (kind) => {
  let db: Database;
  let classes: ClassesService;
  let now: Date;

  beforeAll(async () => {
    ({ db } = await openSampleTown(kind));
    const registry = createStaffRegistry({ prisma: db.prisma, sql: db.sql, townCode: "wujing", webSessions: databaseWebSessions(db.sql) });
    for (const [who, role] of [
      [ACADEMY, "ACADEMY_STAFF"],
      [DISTRICT_CLERK, "DISTRICT_STAFF"],
    ] as const) {
      const invite = await registry.invite("bootstrap", { role, label: `${role} label`, districtCodes: [], roadCommitteeCodes: [] });
      if (invite.type !== "created") throw new Error("invite failed");
      await registry.redeem(invite.code, { ...who, chatId: who.userId, locale: "zh" });
    }
    classes = createClassesService({ prisma: db.prisma, sql: db.sql, townCode: "wujing", timeZone: TOWN_TIME_ZONE, clock: () => now });
  });
  beforeEach(async () => {
    await db.prisma.enrolment.deleteMany();
    await db.prisma.talentProfile.deleteMany();
    await db.prisma.outboxMessage.deleteMany();
    await db.prisma.cohort.updateMany({ where: { code: COHORT }, data: { capacity: 12 } });
    now = OPEN_TIME;
  });
  afterAll(async () => {
    await db.close();
  });

  const fill = async (count: number, from = 1) => {
    const results = [];
    for (let n = from; n < from + count; n++) results.push(await classes.enrol(COHORT, resident(`${kind}-${n}`), signUp(n)));
    return results;
  };

  it("lists open cohorts with seats, waitlist and schedule, and leaves out closed ones", async () => {
    await fill(2);
    const courses = await classes.openCourses();
    expect(courses.map((c) => c.code)).toEqual(["talent-premium", "three-heads", "second-secretary", "red-property"]);
    const talent = courses[0]!.cohorts.find((c) => c.code === COHORT)!;
    expect(talent).toMatchObject({ capacity: 12, seated: 2, seatsLeft: 10, waitlistLength: 0, enrolment: "open", completionShare: 0.75 });
    expect(talent.sessions).toHaveLength(8);
    expect(talent.sessions[0]).toMatchObject({ index: 1, startsAt: FIRST_SESSION, topic: { zh: "破冰与团队建设" } });
    expect(courses[0]!.cohorts.find((c) => c.code === OTHER_COHORT)!.enrolment).toBe("notOpenYet");
    now = new Date("2027-03-01T00:00:00Z");
    expect((await classes.openCourses()).flatMap((c) => c.cohorts.map((x) => x.code))).not.toContain(COHORT);
  });

  it("200 residents signing up at the same moment for 12 seats: 12 seated, 188 waitlisted 1..188 in arrival order, nobody twice", async () => {
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => classes.enrol(COHORT, resident(`${kind}-rush-${i}`), signUp(i))),
    );
    const seated = results.filter((r) => r.type === "seated");
    const waitlisted = results.flatMap((r) => (r.type === "waitlisted" ? [r.position] : []));
    expect(seated).toHaveLength(12);
    expect(waitlisted.sort((a, b) => a - b)).toEqual(Array.from({ length: 188 }, (_, i) => i + 1));
    const rows = await db.prisma.enrolment.findMany({ where: { cohort: { code: COHORT } }, orderBy: { queueNumber: "asc" } });
    expect(rows).toHaveLength(200);
    expect(new Set(rows.map((r) => r.userId)).size).toBe(200);
    expect(new Set(rows.map((r) => r.checkInCode)).size).toBe(200);
    // Arrival order: the first 12 to get the lock are seated, the rest wait in the order they came.
    expect(rows.map((r) => r.queueNumber - rows[0]!.queueNumber)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(rows.slice(0, 12).every((r) => r.status === "SEATED")).toBe(true);
    expect(rows.slice(12).every((r) => r.status === "WAITLISTED")).toBe(true);
    const roster = await classes.roster(ACADEMY, COHORT);
    if (roster.type !== "roster") throw new Error(roster.type);
    expect(roster.entries.filter((e) => e.status === "WAITLISTED").map((e) => e.waitlistPosition)).toEqual(
      Array.from({ length: 188 }, (_, i) => i + 1),
    );
  }, 120_000);

  it("cancellations and sign-ups racing each other never overbook, and freed seats go to the waitlist in order", async () => {
    await fill(20);
    const cancels = Array.from({ length: 8 }, (_, i) => classes.cancel(COHORT, resident(`${kind}-${i + 1}`)));
    const newcomers = Array.from({ length: 15 }, (_, i) => classes.enrol(COHORT, resident(`${kind}-late-${i}`), signUp(100 + i)));
    const extra = classes.setCapacity(ACADEMY, COHORT, 14);
    const [cancelled, , capacity] = await Promise.all([Promise.all(cancels), Promise.all(newcomers), extra]);
    expect(cancelled.every((c) => c.type === "cancelled" && c.wasSeated)).toBe(true);
    expect(capacity.type).toBe("updated");
    const rows = await db.prisma.enrolment.findMany({ where: { cohort: { code: COHORT } }, orderBy: { queueNumber: "asc" } });
    const active = rows.filter((r) => r.status !== "CANCELLED");
    // Seats always belong to the earliest arrivals still enrolled: nobody jumped the queue, nobody is overbooked.
    expect(active.slice(0, 14).map((r) => r.status)).toEqual(Array(14).fill("SEATED"));
    expect(active.slice(14).every((r) => r.status === "WAITLISTED")).toBe(true);
    expect(active).toHaveLength(20 - 8 + 15);
    const promotions = await db.prisma.outboxMessage.findMany({ where: { kind: "class.promoted" } });
    expect(promotions.length).toBeGreaterThanOrEqual(8);
    expect(promotions.length).toBeLessThanOrEqual(10);
    const seatedIds = new Set(active.slice(0, 14).map((r) => r.id));
    expect(promotions.every((p) => seatedIds.has(p.dedupeKey.split(":")[1]!))).toBe(true);
  }, 60_000);

  it("a cancelled seat goes to the first on the waitlist, who is told through the outbox in their language", async () => {
    await fill(12);
    const english = { ...resident(`${kind}-en`), locale: "en" as const };
    expect(await classes.enrol(COHORT, english, signUp(13))).toMatchObject({ type: "waitlisted", position: 1 });
    expect(await classes.enrol(COHORT, resident(`${kind}-14`), signUp(14))).toMatchObject({ type: "waitlisted", position: 2 });
    expect(await classes.cancel(COHORT, resident(`${kind}-3`))).toEqual({ type: "cancelled", wasSeated: true, promoted: 1 });
    const [row] = await db.prisma.outboxMessage.findMany({ where: { kind: "class.promoted" } });
    expect(row).toMatchObject({ channel: "telegram", chatId: english.chatId });
    expect(row!.payload).toMatchObject({
      cohortCode: COHORT,
      locale: "en",
      cohort: { en: "2027 cohort 1" },
      nextSessionStartsAt: FIRST_SESSION.toISOString(),
    });
    const mine = await classes.myEnrolments(english);
    expect(mine).toEqual([
      expect.objectContaining({
        cohortCode: COHORT,
        status: "SEATED",
        waitlistPosition: null,
        checkInCode: (row!.payload as { checkInCode: string }).checkInCode,
      }),
    ]);
    expect((await classes.myEnrolments(resident(`${kind}-14`)))[0]).toMatchObject({
      status: "WAITLISTED",
      waitlistPosition: 1,
      checkInCode: null,
    });
    // Leaving the waitlist frees no seat and tells nobody.
    expect(await classes.cancel(COHORT, resident(`${kind}-14`))).toEqual({ type: "cancelled", wasSeated: false, promoted: 0 });
    expect(await db.prisma.outboxMessage.count()).toBe(1);
  });

  it("refuses invalid mobiles, unknown neighbourhoods, missing consent and bad names before storing anything", async () => {
    const who = resident(`${kind}-picky`);
    expect(await classes.enrol(COHORT, who, signUp(1, { mobile: "12345678901" }))).toEqual({ type: "invalidMobile" });
    expect(await classes.enrol(COHORT, who, signUp(1, { mobile: "021-6453-1234" }))).toEqual({ type: "invalidMobile" });
    expect(await classes.enrol(COHORT, who, signUp(1, { neighbourhoodCode: "atlantis" }))).toEqual({ type: "unknownNeighbourhood" });
    expect(await classes.enrol(COHORT, who, signUp(1, { privacyAccepted: false }))).toEqual({ type: "privacyNotAccepted" });
    expect(await classes.enrol(COHORT, who, signUp(1, { name: "  " }))).toEqual({ type: "invalidName" });
    expect(await classes.enrol("no-such-cohort", who, signUp(1))).toEqual({ type: "unknownCohort" });
    expect(await db.prisma.enrolment.count()).toBe(0);
    expect(await db.prisma.chatUser.count({ where: { channelUserId: who.userId } })).toBe(0);
  });

  it("refuses sign-up before the window opens and after it closes", async () => {
    now = new Date("2026-10-31T23:00:00Z");
    expect(await classes.enrol(COHORT, resident(`${kind}-early`), signUp(1))).toEqual({
      type: "notOpenYet",
      opensAt: new Date("2026-11-01T01:00:00Z"),
    });
    now = new Date("2027-02-26T09:00:00Z");
    expect(await classes.enrol(COHORT, resident(`${kind}-late`), signUp(2))).toEqual({ type: "enrolmentClosed" });
    expect(await db.prisma.enrolment.count()).toBe(0);
  });

  it("one place per mobile number: a second chat account with the same mobile is answered with the place it holds, on any channel, until it is cancelled", async () => {
    const first = resident(`${kind}-phone-a`);
    expect(await classes.enrol(COHORT, first, signUp(7))).toMatchObject({ type: "seated" });
    const again = await classes.enrol(
      COHORT,
      { ...resident(`${kind}-phone-b`), channel: "web" },
      signUp(7, { name: "另一个名字", mobile: "138 0000 0007" }),
    );
    expect(again).toEqual({ type: "alreadyEnrolled", cohortCode: COHORT, status: "SEATED", position: null });
    // Twelve at once with one number from twelve accounts: one place.
    const rush = await Promise.all(
      Array.from({ length: 12 }, (_, i) => classes.enrol(COHORT, resident(`${kind}-phone-rush-${i}`), signUp(8))),
    );
    expect(rush.filter((result) => result.type === "seated")).toHaveLength(1);
    expect(await db.prisma.enrolment.count({ where: { mobile: "13800000008" } })).toBe(1);
    await classes.cancel(COHORT, first);
    expect(await classes.enrol(COHORT, resident(`${kind}-phone-b`), signUp(7))).toMatchObject({ type: "seated" });
  });

  it("a second sign-up by the same resident is answered with their place, and re-joining after cancelling works", async () => {
    const who = resident(`${kind}-twice`);
    const first = await classes.enrol(COHORT, who, signUp(1));
    expect(first.type).toBe("seated");
    expect(await classes.enrol(COHORT, who, signUp(1))).toEqual({
      type: "alreadyEnrolled",
      cohortCode: COHORT,
      status: "SEATED",
      position: null,
    });
    await classes.cancel(COHORT, who);
    expect(await classes.cancel(COHORT, who)).toEqual({ type: "notEnrolled" });
    expect(await classes.enrol(COHORT, who, signUp(1))).toMatchObject({ type: "seated" });
    expect(await db.prisma.enrolment.count()).toBe(1);
  });

  it("a seat cannot be given up once the first session has started", async () => {
    const who = resident(`${kind}-committed`);
    await classes.enrol(COHORT, who, signUp(1));
    now = FIRST_SESSION;
    expect(await classes.cancel(COHORT, who)).toEqual({ type: "cancelAfterStart" });
    expect((await classes.myEnrolments(who))[0]!.status).toBe("SEATED");
  });

  it("queues a reminder per seated resident for sessions within the lead time, once, however often it runs", async () => {
    await fill(12);
    await classes.enrol(COHORT, resident(`${kind}-waiting`), signUp(13));
    expect(await classes.queueReminders(new Date(FIRST_SESSION.getTime() - 25 * HOUR))).toBe(0);
    const dayBefore = new Date(FIRST_SESSION.getTime() - 23 * HOUR);
    expect(await classes.queueReminders(dayBefore)).toBe(12);
    expect(await classes.queueReminders(dayBefore)).toBe(0);
    expect(await classes.queueReminders(new Date(dayBefore.getTime() + HOUR))).toBe(0);
    const rows = await db.prisma.outboxMessage.findMany({ where: { kind: "class.reminder" } });
    expect(rows).toHaveLength(12);
    const session = await db.prisma.cohortSession.findFirstOrThrow({ where: { cohort: { code: COHORT }, position: 1 } });
    const enrolment = await db.prisma.enrolment.findFirstOrThrow({ where: { status: "SEATED" }, orderBy: { queueNumber: "asc" } });
    expect(rows.map((r) => r.dedupeKey)).toContain(`class-reminder:${enrolment.id}:${session.id}`);
    expect(rows[0]!.payload).toMatchObject({
      sessionIndex: 1,
      startsAt: FIRST_SESSION.toISOString(),
      place: { zh: "吴泾镇社区学校（示例地址）" },
      locale: "zh",
    });
    // A 48-hour lead reaches the second session a week later only when it is within 48 hours.
    expect(await classes.queueReminders(new Date(FIRST_SESSION.getTime() + 6 * 24 * HOUR), 48)).toBe(12);
  });

  it("capacity cannot go below the seated count; raising it seats the waitlist; only academy staff or admins may change it", async () => {
    await fill(14);
    expect(await classes.setCapacity(ACADEMY, COHORT, 11)).toEqual({ type: "belowSeated", seated: 12 });
    expect(await classes.setCapacity(ACADEMY, COHORT, 0)).toEqual({ type: "invalidCapacity" });
    expect(await classes.setCapacity(DISTRICT_CLERK, COHORT, 20)).toEqual({ type: "notAllowed" });
    expect(await classes.setCapacity(resident(`${kind}-1`), COHORT, 20)).toEqual({ type: "notAllowed" });
    expect(await classes.setCapacity(ACADEMY, COHORT, 13)).toEqual({ type: "updated", capacity: 13, seated: 13, promoted: 1 });
    expect(await classes.cohort(COHORT)).toMatchObject({ capacity: 13, seated: 13, seatsLeft: 0, waitlistLength: 1 });
    expect(await db.prisma.outboxMessage.count({ where: { kind: "class.promoted" } })).toBe(1);
  });

  it("exports the roster as CSV that Excel opens: BOM, CRLF, quoted cells, formulas neutralised", async () => {
    await classes.enrol(
      COHORT,
      resident(`${kind}-a`),
      signUp(1, { name: '=HYPERLINK("http://evil","点我")', skills: ["书法", "+1 摄影"] }),
    );
    await classes.enrol(COHORT, resident(`${kind}-b`), signUp(2, { name: "王, 小明\n二号" }));
    await classes.enrol(COHORT, resident(`${kind}-c`), signUp(3, { name: "@SUM(A1)" }));
    await classes.cancel(COHORT, resident(`${kind}-c`));
    expect(await classes.rosterCsv(DISTRICT_CLERK, COHORT)).toEqual({ type: "notAllowed" });
    const result = await classes.rosterCsv(ACADEMY, COHORT);
    if (result.type !== "csv") throw new Error(result.type);
    expect(result.fileName).toBe(`${COHORT}-roster.csv`);
    expect([...result.content.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = result.content.toString("utf8").slice(1);
    const rows = parseCsv(text);
    expect(rows[0]).toEqual(expect.arrayContaining(["姓名 Name", "手机 Mobile", "签到码 Check-in code", "状态 Status"]));
    const col = (name: string) => rows[0]!.indexOf(name);
    expect(rows).toHaveLength(4);
    expect(rows[1]![col("姓名 Name")]).toBe(`'=HYPERLINK("http://evil","点我")`);
    expect(rows[1]![col("技能特长 Skills")]).toBe("书法、+1 摄影");
    expect(rows[1]![col("手机 Mobile")]).toBe("13800000001");
    expect(rows[1]![col("居民区 Neighbourhood")]).toBe("紫竹半岛居民区");
    expect(rows[2]![col("姓名 Name")]).toBe("王, 小明\n二号");
    expect(rows[3]![col("姓名 Name")]).toBe("'@SUM(A1)");
    expect(rows[3]![col("状态 Status")]).toBe("已取消 Cancelled");
    expect(rows[1]![col("报名时间 Enrolled at")]).toBe("2026-12-01 10:00");
    expect(rows.slice(1).every((r) => !/^[=+\-@]/.test(r.join("")))).toBe(true);
  });

  it("moves a session in time or place and tells everyone seated; refuses bad times, overlaps, held sessions and non-academy staff", async () => {
    const [first, second] = (await fill(2)).map((r) => (r.type === "seated" ? r.checkInCode : ""));
    const cohort = (await classes.cohort(COHORT))!;
    const [one, two] = cohort.sessions;
    const hour = 3_600_000;
    const later = {
      startsAt: new Date(two!.startsAt.getTime() + hour),
      endsAt: new Date(two!.endsAt.getTime() + hour),
      place: { zh: "二楼多功能厅", en: "First-floor hall" },
    };
    expect(await classes.updateSession(DISTRICT_CLERK, COHORT, 2, later)).toEqual({ type: "notAllowed" });
    expect(await classes.updateSession(ACADEMY, COHORT, 2, { ...later, endsAt: later.startsAt })).toEqual({ type: "invalidTime" });
    expect(
      await classes.updateSession(ACADEMY, COHORT, 2, {
        ...later,
        startsAt: new Date(one!.endsAt.getTime() - hour),
        endsAt: new Date(one!.endsAt.getTime() + hour),
      }),
    ).toEqual({ type: "overlaps" });
    expect(await classes.updateSession(ACADEMY, COHORT, 99, later)).toEqual({ type: "unknownSession" });
    expect(await classes.updateSession(ACADEMY, COHORT, 2, later)).toEqual({ type: "updated", notified: 2 });
    const moved = (await classes.cohort(COHORT))!.sessions[1]!;
    expect([moved.startsAt, moved.place]).toEqual([later.startsAt, later.place]);
    expect(await db.prisma.outboxMessage.count({ where: { kind: "class.changed" } })).toBe(2);
    expect(await classes.checkIn(ACADEMY, { cohortCode: COHORT, sessionIndex: 1 }, first!)).toMatchObject({ type: "checkedIn" });
    expect(await classes.updateSession(ACADEMY, COHORT, 1, { startsAt: one!.startsAt, endsAt: one!.endsAt, place: one!.place })).toEqual({
      type: "alreadyHeld",
    });
    expect(second).toMatch(/^[A-Z2-9]{6}$/);
    // Later tests count on the sample's schedule.
    expect(await classes.updateSession(ACADEMY, COHORT, 2, { startsAt: two!.startsAt, endsAt: two!.endsAt, place: two!.place })).toEqual({
      type: "updated",
      notified: 2,
    });
  });

  it("checks in by code: only a seated resident of that cohort, once per session, and completion at the cohort's share", async () => {
    const who = resident(`${kind}-learner`);
    const enrolled = await classes.enrol(COHORT, who, signUp(1));
    if (enrolled.type !== "seated") throw new Error(enrolled.type);
    expect(enrolled.checkInCode).toMatch(new RegExp(`^[${CODE_ALPHABET}]{6}$`));
    expect(enrolled.checkInCode).not.toMatch(/[0O1IL]/);
    now = new Date("2027-08-01T00:00:00Z");
    const other = await classes.enrol(OTHER_COHORT, resident(`${kind}-other`), signUp(2));
    if (other.type !== "seated") throw new Error(other.type);
    now = FIRST_SESSION;
    expect(await classes.checkIn(DISTRICT_CLERK, { cohortCode: COHORT, sessionIndex: 1 }, enrolled.checkInCode)).toEqual({
      type: "notAllowed",
    });
    expect(await classes.checkIn(ACADEMY, { cohortCode: COHORT, sessionIndex: 1 }, other.checkInCode)).toEqual({ type: "wrongCode" });
    expect(await classes.checkIn(ACADEMY, { cohortCode: COHORT, sessionIndex: 1 }, "ZZZZZZ")).toEqual({ type: "wrongCode" });
    expect(await classes.checkIn(ACADEMY, { cohortCode: COHORT, sessionIndex: 99 }, enrolled.checkInCode)).toEqual({
      type: "unknownSession",
    });
    const typed = ` ${enrolled.checkInCode.slice(0, 3).toLowerCase()}-${enrolled.checkInCode.slice(3)} `;
    expect(await classes.checkIn(ACADEMY, { cohortCode: COHORT, sessionIndex: 1 }, typed)).toEqual({
      type: "checkedIn",
      name: "居民1",
      sessionIndex: 1,
      attended: 1,
      sessions: 8,
      completed: false,
    });
    expect(await classes.checkIn(ACADEMY, { cohortCode: COHORT, sessionIndex: 1 }, enrolled.checkInCode)).toEqual({
      type: "alreadyCheckedIn",
      name: "居民1",
      sessionIndex: 1,
    });
    const sessions = await db.prisma.cohortSession.findMany({ where: { cohort: { code: COHORT } }, orderBy: { position: "asc" } });
    const results = [];
    for (const session of sessions.slice(1, 6))
      results.push(await classes.checkIn(ACADEMY, { sessionId: session.id }, enrolled.checkInCode));
    expect(results.map((r) => (r.type === "checkedIn" ? [r.attended, r.completed] : r.type))).toEqual([
      [2, false],
      [3, false],
      [4, false],
      [5, false],
      [6, true],
    ]);
    expect((await classes.myEnrolments(who))[0]).toMatchObject({ attended: 6, sessions: 8, completed: true });
    const roster = await classes.roster(ACADEMY, COHORT);
    expect(roster.type === "roster" && roster.entries[0]).toMatchObject({ attended: 6, completed: true });
  });

  it("broadcasts one outbox row per seated resident, and only staff may", async () => {
    await fill(13);
    expect(await classes.broadcast(resident(`${kind}-1`), COHORT, "hi")).toEqual({ type: "notAllowed" });
    expect(await classes.broadcast(ACADEMY, COHORT, "   ")).toEqual({ type: "emptyText" });
    expect(await classes.broadcast(ACADEMY, COHORT, "本周六改在镇展示馆集合")).toEqual({ type: "queued", recipients: 12 });
    const rows = await db.prisma.outboxMessage.findMany({ where: { kind: "class.broadcast" } });
    expect(rows).toHaveLength(12);
    expect(rows[0]!.payload).toMatchObject({ text: "本周六改在镇展示馆集合", from: "ACADEMY_STAFF label", cohortCode: COHORT });
  });

  it("keeps a talent pool staff can search by skill and neighbourhood; sign-up skills join it", async () => {
    expect(
      await classes.registerTalent(resident(`${kind}-t1`), {
        name: "张",
        mobile: "13912345678",
        neighbourhoodCode: "zizhu-peninsula",
        skills: ["摄影", "法律咨询"],
        availability: "周末",
        privacyAccepted: false,
      }),
    ).toEqual({
      type: "privacyNotAccepted",
    });
    expect(
      await classes.registerTalent(resident(`${kind}-t1`), {
        name: "张",
        mobile: "13912345678",
        neighbourhoodCode: "zizhu-peninsula",
        skills: [" "],
        availability: "",
        privacyAccepted: true,
      }),
    ).toEqual({ type: "noSkills" });
    expect(
      await classes.registerTalent(resident(`${kind}-t1`), {
        name: "张",
        mobile: "13912345678",
        neighbourhoodCode: "zizhu-peninsula",
        skills: ["摄影", "法律咨询"],
        availability: "周末",
        privacyAccepted: true,
      }),
    ).toEqual({ type: "registered" });
    expect(
      await classes.registerTalent(resident(`${kind}-t1`), {
        name: "张",
        mobile: "13912345678",
        neighbourhoodCode: "zizhu-peninsula",
        skills: ["摄影", "Legal advice"],
        availability: "周末下午",
        privacyAccepted: true,
      }),
    ).toEqual({ type: "updated" });
    await classes.enrol(COHORT, resident(`${kind}-t2`), signUp(2, { neighbourhoodCode: "hongmei-xinyuan-2", skills: ["数码摄影"] }));
    expect(await classes.searchTalent(resident(`${kind}-t1`), "摄影")).toEqual({ type: "notAllowed" });
    const all = await classes.searchTalent(ACADEMY, "摄影");
    expect(all.type === "found" && all.talents.map((t) => t.name).sort()).toEqual(["居民2", "张"]);
    const near = await classes.searchTalent(ACADEMY, "LEGAL", "zizhu-peninsula");
    expect(near).toEqual({
      type: "found",
      talents: [
        expect.objectContaining({
          name: "张",
          mobile: "13912345678",
          availability: "周末下午",
          neighbourhood: { zh: "紫竹半岛居民区", en: expect.any(String) },
        }),
      ],
    });
    expect(await classes.searchTalent(ACADEMY, "摄影", "hongmei-xinyuan-2")).toMatchObject({ type: "found", talents: [{ name: "居民2" }] });
  });
});
