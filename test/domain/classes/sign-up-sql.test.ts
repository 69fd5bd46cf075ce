import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Database } from "../../../src/db/database.ts";
import { createClassesService, type ClassesService, type SignUp } from "../../../src/domain/classes/classes.ts";
import type { PrismaClient } from "../../../src/generated/prisma/client.ts";
import { DATABASE_KINDS } from "../../support/databases.ts";
import { openSampleTown, resident, TOWN_TIME_ZONE } from "../../support/town.ts";

const COHORT = "talent-2027-1";
// Inside talent-2027-1's enrolment window, with milliseconds, which timestamp(3) keeps.
const SIGN_UP_TIME = new Date("2026-12-01T02:03:04.567Z");

const signUp = (n: number, over: Partial<SignUp> = {}): SignUp => ({
  name: `居民${n}`,
  mobile: `1390000${String(n).padStart(4, "0")}`,
  neighbourhoodCode: "zizhu-peninsula",
  privacyAccepted: true,
  ...over,
});

/**
 * The same Prisma client, noting every property the service reaches for while
 * `watching` is on: a sign-up that used Prisma (a model, $queryRaw,
 * $transaction) would leave its name here.
 */
function watchedPrisma(prisma: PrismaClient) {
  const touched: string[] = [];
  const state = { watching: false, touched };
  const client = new Proxy(prisma, {
    get(target, property) {
      if (state.watching) touched.push(String(property));
      const value: unknown = Reflect.get(target, property);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { client, state };
}

describe.each(DATABASE_KINDS)("a class sign-up through the driver on %s", (kind) => {
  let db: Database;
  let classes: ClassesService;
  let watch: ReturnType<typeof watchedPrisma>["state"];
  const zoneBefore = process.env.TZ;

  beforeAll(async () => {
    // Far from UTC, so a timestamp written or read as local time would be off by eight hours.
    process.env.TZ = "Asia/Shanghai";
    ({ db } = await openSampleTown(kind));
    const watched = watchedPrisma(db.prisma);
    watch = watched.state;
    classes = createClassesService({
      prisma: watched.client,
      sql: db.sql,
      townCode: "wujing",
      timeZone: TOWN_TIME_ZONE,
      clock: () => SIGN_UP_TIME,
    });
  });
  beforeEach(async () => {
    await db.prisma.enrolment.deleteMany();
    await db.prisma.talentProfile.deleteMany();
    await db.prisma.outboxMessage.deleteMany();
    await db.prisma.cohort.updateMany({ where: { code: COHORT }, data: { capacity: 10 } });
    // The catalogue (courses, neighbourhoods) is read through Prisma once and kept: read it before watching.
    await classes.cohortInfo(COHORT);
    watch.touched.length = 0;
  });
  afterAll(async () => {
    process.env.TZ = zoneBefore;
    await db.close();
  });

  it("30 residents signing up at once for 10 seats, without a Prisma query: 10 seated, 20 waitlisted 1..20, distinct arrival numbers and check-in codes; cancelling seats the first waitlisted, also without Prisma", async () => {
    watch.watching = true;
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => classes.enrol(COHORT, resident(`${kind}-sql-${i}`), signUp(i))));
    watch.watching = false;
    expect(watch.touched).toEqual([]);

    expect(results.filter((r) => r.type === "seated")).toHaveLength(10);
    const positions = results.flatMap((r) => (r.type === "waitlisted" ? [r.position] : []));
    expect(positions.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const rows = await db.prisma.enrolment.findMany({ where: { cohort: { code: COHORT } }, orderBy: { queueNumber: "asc" } });
    expect(rows).toHaveLength(30);
    expect(new Set(rows.map((r) => r.queueNumber)).size).toBe(30);
    expect(new Set(rows.map((r) => r.checkInCode)).size).toBe(30);
    expect(rows.slice(0, 10).every((r) => r.status === "SEATED")).toBe(true);
    expect(rows.slice(10).every((r) => r.status === "WAITLISTED")).toBe(true);

    // A resident's own list and a cancellation (which seats the first waitlisted) are off Prisma too.
    const seatedOne = rows[0]!;
    const seatedResident = resident(
      `${kind}-sql-${results.findIndex((r) => r.type === "seated" && r.checkInCode === seatedOne.checkInCode)}`,
    );
    watch.watching = true;
    expect(await classes.myEnrolments(seatedResident)).toMatchObject([
      { cohortCode: COHORT, status: "SEATED", checkInCode: seatedOne.checkInCode, waitlistPosition: null, attended: 0, sessions: 8 },
    ]);
    expect(await classes.cancel(COHORT, seatedResident)).toEqual({ type: "cancelled", wasSeated: true, promoted: 1 });
    watch.watching = false;
    expect(watch.touched).toEqual([]);
    expect(await db.prisma.enrolment.count({ where: { cohort: { code: COHORT }, status: "SEATED" } })).toBe(10);
    expect((await db.prisma.enrolment.findUniqueOrThrow({ where: { id: rows[10]!.id } })).status).toBe("SEATED");

    // The recorder works: a step still on Prisma (a cohort the kept catalogue does not know makes it read the catalogue again) shows up in it.
    watch.watching = true;
    await classes.cohortInfo("no-such-cohort");
    watch.watching = false;
    expect(watch.touched).not.toEqual([]);
  }, 60_000);

  it("a sign-up's rows read back through Prisma at the service's clock, whatever the process's time zone, and signing up again after cancelling reuses the enrolment", async () => {
    const who = { ...resident(`${kind}-tz`), displayName: "小王" };
    expect(await classes.enrol(COHORT, who, signUp(1, { skills: ["摄影", "书法"] }))).toMatchObject({ type: "seated" });

    const user = await db.prisma.chatUser.findUniqueOrThrow({
      where: { channel_channelUserId: { channel: who.channel, channelUserId: who.userId } },
    });
    expect(user).toMatchObject({ chatId: who.chatId, displayName: "小王", locale: "zh", unreachableAt: null });
    expect(user.createdAt.toISOString()).toBe(SIGN_UP_TIME.toISOString());
    const enrolment = await db.prisma.enrolment.findFirstOrThrow({ where: { userId: user.id } });
    expect(enrolment).toMatchObject({
      name: "居民1",
      mobile: "13900000001",
      neighbourhoodCode: "zizhu-peninsula",
      skills: ["摄影", "书法"],
      status: "SEATED",
      cancelledAt: null,
      completedAt: null,
    });
    for (const at of [enrolment.createdAt, enrolment.privacyAcceptedAt, enrolment.seatedAt])
      expect(at?.toISOString()).toBe(SIGN_UP_TIME.toISOString());
    const talent = await db.prisma.talentProfile.findFirstOrThrow({ where: { userId: user.id } });
    expect(talent).toMatchObject({ skills: ["摄影", "书法"], availability: "" });
    expect(talent.consentAt.toISOString()).toBe(SIGN_UP_TIME.toISOString());
    expect(talent.updatedAt.toISOString()).toBe(SIGN_UP_TIME.toISOString());

    // Back after cancelling, on another chat, in English, with no display name: the account keeps its name, the enrolment its code.
    expect(await classes.cancel(COHORT, who)).toMatchObject({ type: "cancelled", wasSeated: true });
    const again = { ...resident(`${kind}-tz`, "en"), chatId: "another-chat" };
    const result = await classes.enrol(COHORT, again, signUp(1, { skills: ["书法", "编程"] }));
    expect(result).toEqual({ type: "seated", cohortCode: COHORT, checkInCode: enrolment.checkInCode });
    expect(await db.prisma.chatUser.findUniqueOrThrow({ where: { id: user.id } })).toMatchObject({
      chatId: "another-chat",
      locale: "en",
      displayName: "小王",
    });
    const renewed = await db.prisma.enrolment.findUniqueOrThrow({ where: { id: enrolment.id } });
    expect(renewed).toMatchObject({ status: "SEATED", cancelledAt: null, queueNumber: enrolment.queueNumber + 1 });
    expect(renewed.seatedAt?.toISOString()).toBe(SIGN_UP_TIME.toISOString());
    expect((await db.prisma.talentProfile.findFirstOrThrow({ where: { userId: user.id } })).skills).toEqual(["摄影", "书法", "编程"]);
  });
});
