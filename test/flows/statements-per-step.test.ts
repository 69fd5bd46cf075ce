import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { PrismaPg } from "@prisma/adapter-pg";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { createPhotoSaver } from "../../src/bot/media/photo-saver.ts";
import { createMediaStore } from "../../src/bot/media/store.ts";
import { openDatabase } from "../../src/db/database.ts";
import { poolSql } from "../../src/db/sql.ts";
import { GridDirectory } from "../../src/domain/grid/directory.ts";
import { importTownData } from "../../src/domain/town/import.ts";
import type { FlowServices } from "../../src/flows/kit/flow.ts";
import type { InboundPayload, OutboundMessage } from "../../src/flows/kit/messages.ts";
import { PrismaClient } from "../../src/generated/prisma/client.ts";
import { readTownFile } from "../../src/towndata/town-file.ts";
import { converse, lastChoices, shownText } from "../support/conversation.ts";
import { createPostgresDatabase, statementRecordingPool } from "../support/databases.ts";
import { testLogger } from "../support/logs.ts";
import { LABELLED_MESSAGES, SAMPLE_TOWN_FILE, TINY_PNG, TOWN_TIME_ZONE, townServices } from "../support/town.ts";
import { loadConfig } from "../../src/config.ts";

/**
 * Every statement a conversation step sends costs CPU twice: in PostgreSQL's
 * backend and in the worker that builds, sends and parses it (decision record
 * 0005). The residents of `npm run bench` are driven here through the real
 * dispatcher and flows, as the Telegram channel feeds them, on PostgreSQL, and
 * each pooled connection's `query` is observed, which sees exactly what the
 * server receives: the bounds below are the statements per step once what is
 * read per town-data import has been read (a benchmark's steady state).
 */
describe("the statements each conversation step sends", () => {
  const COHORT = "talent-2027-1";
  const now = new Date("2026-12-01T02:00:00Z");
  let prisma: PrismaClient;
  let pool: pg.Pool;
  let services: FlowServices;
  let mediaRoot: string;
  let statements: string[] = [];
  let photoSeed = 0;
  /** The statements of each step label's busiest run. */
  const measured = new Map<string, string[]>();

  beforeAll(async () => {
    const url = await createPostgresDatabase();
    const setup = await openDatabase({ kind: "postgres", url });
    // The benchmark's town: the sample town with a staff group for every district, so reports queue alerts.
    mediaRoot = await mkdtemp(path.join(tmpdir(), "linli-media-"));
    const data = parse(await readFile(SAMPLE_TOWN_FILE, "utf8")) as { districts: { code: string }[]; alertDestinations?: unknown };
    data.alertDestinations = data.districts.map(({ code }, i) => ({
      code: `bench-${code}`,
      name: `${code} 工作群`,
      telegramChatId: String(-1_001_000_000_000 - i),
      locale: "zh",
      districts: [code],
      roadCommittees: [],
      categories: [],
    }));
    const townFile = path.join(mediaRoot, "town.yaml");
    await writeFile(townFile, stringify(data));
    const file = await readTownFile(townFile);
    await importTownData(setup.prisma, file.data, file.hash, TOWN_TIME_ZONE);
    await setup.close();
    pool = statementRecordingPool(url, (statement) => statements.push(statement));
    prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
    const sql = poolSql(pool);
    const clock = () => now;
    const grid = await GridDirectory.open(prisma, file.data.town.code, LABELLED_MESSAGES);
    const media = createMediaStore({
      root: mediaRoot,
      sql,
      maxBytes: 1024 * 1024,
      limits: loadConfig({}).media.limits,
      logger: testLogger(),
    });
    // Each Telegram photo is a new picture, as the benchmark's residents send.
    const photos = createPhotoSaver({
      store: media,
      fetchers: { telegram: async () => TINY_PNG(++photoSeed) },
      logger: testLogger(),
    });
    services = townServices(
      { db: { prisma, sql }, grid, townCode: file.data.town.code },
      { clock, photos, links: { telegram: () => undefined, web: () => undefined, consoleSignIn: () => undefined } },
    );
  });
  afterAll(async () => {
    await prisma.$disconnect();
    await pool.end();
    await rm(mediaRoot, { recursive: true, force: true });
  });

  let residents = 0;
  /** A new Telegram resident whose every step is measured under `prefix: <step>`. */
  const resident = (prefix: string) => {
    const chat = converse(services, { userId: `stmt-${++residents}`, channel: "telegram", now: () => now });
    return async (step: string, payload: InboundPayload): Promise<OutboundMessage[]> => {
      statements = [];
      const replies = await chat.send(payload);
      const label = `${prefix}: ${step}`;
      if (statements.length >= (measured.get(label)?.length ?? 0)) measured.set(label, [...statements]);
      return replies;
    };
  };
  const text = (value: string): InboundPayload => ({ type: "text", text: value });
  const choice = (value: string): InboundPayload => ({ type: "choice", value });
  const photo: InboundPayload = { type: "photo", fileId: "telegram-file" };

  /** The benchmark's report up to the check for the same problem nearby: free text naming the place, then its category confirmed. */
  const benchReportStart = async (houseNumber: number) => {
    const step = resident("report");
    const replies = await step("free text", text(`永德路${houseNumber}号烧烤摊占道，已经好几天了`));
    expect(lastChoices(replies).map((option) => option.value)).toContain("rp:yes");
    return { step, replies: await step("category", choice("rp:yes")) };
  };

  /** The rest of a new report: a photo, then the offered buttons up to the summary. */
  const benchReportRest = async (step: Awaited<ReturnType<typeof benchReportStart>>["step"], replies: OutboundMessage[]) => {
    expect(lastChoices(replies).map((option) => option.value)).toContain("rp:photos:done");
    await step("photo", photo);
    expect(lastChoices(await step("photos done", choice("rp:photos:done"))).map((option) => option.value)).toContain("rp:shop:none");
    expect(lastChoices(await step("shop", choice("rp:shop:none"))).map((option) => option.value)).toContain("rp:contact:no");
    expect(lastChoices(await step("contact", choice("rp:contact:no"))).map((option) => option.value)).toContain("rp:confirm");
  };

  it("walks the benchmark's conversations once to read what is kept per town-data import", async () => {
    const { step, replies } = await benchReportStart(200);
    await benchReportRest(step, replies);
    expect(shownText(await step("confirm", choice("rp:confirm")))).toContain("已提交");
    const signUp = resident("classes");
    await signUp("list", { type: "command", command: "classes", args: "" });
    await signUp("cohort", choice(`flow:classes:cohort:${COHORT}`));
    measured.clear();
  });

  it("files a report from free text with a photo, and one at the same spot past the duplicate check", async () => {
    const first = await benchReportStart(100);
    await benchReportRest(first.step, first.replies);
    const filed = shownText(await first.step("confirm", choice("rp:confirm")));
    const reference = /[A-Z]{2,4}-\d{4}-\d{6}/.exec(filed)![0];
    // The reporter's confirmation and the district group's alert, with the photo, are queued with the report.
    const report = await prisma.report.findUniqueOrThrow({ where: { reference }, include: { photos: true, events: true, road: true } });
    expect([report.road?.code, report.houseNumber, report.photos.length, report.events.map((event) => event.type)]).toEqual([
      "yongde",
      100,
      1,
      ["SUBMITTED"],
    ]);
    const queued = await prisma.outboxMessage.findMany({
      where: { dedupeKey: { startsWith: `${report.events[0]!.id}:` } },
      select: { kind: true },
    });
    expect(queued.map((row) => row.kind).sort()).toEqual(["alert.new", "report.submitted"]);

    const second = await benchReportStart(102);
    expect(lastChoices(second.replies).map((option) => option.value)).toContain("rp:new");
    await benchReportRest(second.step, await second.step("duplicates", choice("rp:new")));
    expect(shownText(await second.step("confirm", choice("rp:confirm")))).toContain("已提交");

    const third = await benchReportStart(104);
    const follow = lastChoices(third.replies).find((option) => option.value === `rp:follow:${reference}`);
    expect(shownText(await third.step("follow", choice(follow!.value)))).toContain(`已为您关注 ${reference}`);
    const followed = await prisma.report.findUniqueOrThrow({
      where: { reference },
      include: { followers: true, events: { orderBy: { createdAt: "asc" } } },
    });
    expect([followed.followers.length, followed.followerCount, followed.events.map((event) => event.type), followed.updatedAt]).toEqual([
      1,
      1,
      ["SUBMITTED", "FOLLOWED"],
      now,
    ]);
  });

  it("files a report by choosing the category, typing the place and writing the description", async () => {
    const step = resident("report");
    const categories = lastChoices(await step("start", { type: "command", command: "report", args: "" }));
    // Not the category of the reports above, so no open report nearby is offered.
    await step("category", choice(categories.at(-1)!.value));
    const places = lastChoices(await step("typed address", text("永德路"))).filter((option) => option.value.startsWith("rp:place:"));
    expect(lastChoices(await step("place", choice(places[0]!.value))).map((option) => option.value)).toContain("rp:photos:done");
    expect(shownText(await step("photos done", choice("rp:photos:done")))).toContain("描述");
    expect(lastChoices(await step("description", text("店门口摆了三张桌子，行人只能走机动车道"))).map((option) => option.value)).toContain(
      "rp:shop:none",
    );
  });

  it("answers a lookup question", async () => {
    const step = resident("lookup");
    expect(shownText(await step("question", text("永德路12号")))).toContain("居委");
  });

  /** The benchmark's sign-up, from the list of classes to skipping the skills question; the answer to the last step. */
  let signUps = 0;
  const signUp = async (skills: string) => {
    const step = resident("classes");
    // One place is kept per mobile number, so each resident brings their own.
    const mobile = `1391234${String(++signUps).padStart(4, "0")}`;
    const listed = lastChoices(await step("list", { type: "command", command: "classes", args: "" }));
    const cohort = listed.find((option) => option.value.endsWith(COHORT))!;
    await step("cohort", choice(cohort.value));
    await step("sign up", choice(`flow:classes:signup:${COHORT}`));
    await step("privacy", choice("privacy:yes"));
    await step("name", text("陈静"));
    await step("mobile", text(mobile));
    expect(lastChoices(await step("neighbourhood", text("紫竹半岛"))).map((option) => option.value)).toContain("skills:none");
    return shownText(await step(skills, choice("skills:none")));
  };

  it("signs residents up for a class until its seats are taken, then onto its waiting list", async () => {
    expect(await signUp("skills")).toMatch(/报名成功/);
    // Staff cut the class to the seats taken: the next resident waits, first in line.
    await prisma.cohort.update({
      where: { townCode_code: { townCode: "wujing", code: COHORT } },
      data: { capacity: await prisma.enrolment.count({ where: { status: "SEATED" } }) },
    });
    expect(await signUp("skills, waitlisted")).toContain("候补第 1 位");
    expect(await signUp("skills, waitlisted")).toContain("候补第 2 位");
  });

  it("sends no more statements per step than the bounds reached", () => {
    const over = [...measured]
      .filter(([label, sent]) => sent.length > (BOUNDS[label] ?? 0))
      .map(([label, sent]) => ({ label, bound: BOUNDS[label], statements: sent.map((sql) => sql.replace(/\s+/g, " ").slice(0, 120)) }));
    expect(over).toEqual([]);
    // Every bounded step was taken, so a changed flow cannot pass by skipping one.
    expect([...measured.keys()].sort()).toEqual(Object.keys(BOUNDS).sort());
  });
});

/**
 * Statements per step, the most any run of it sent. Before this test existed a
 * photo was two Prisma statements, nearby reports shown two (one on Prisma), a
 * confirmed report in a town with staff groups fourteen, and a class sign-up
 * eight (nine onto the waiting list), and following a report shown as a
 * duplicate seven, all through Prisma.
 */
const BOUNDS: Record<string, number> = {
  "lookup: question": 0,
  "report: free text": 1, // the rate limit, answered before any question
  "report: start": 1, // the rate limit
  "report: category": 1, // the nearby open reports, with what showing them needs
  "report: typed address": 0,
  "report: place": 1, // the nearby open reports
  "report: photo": 1, // the photo's row inserted once its file is written
  "report: photos done": 0,
  "report: description": 0,
  "report: shop": 0,
  "report: contact": 0,
  "report: duplicates": 1, // the nearby reports declined
  // the follower's account with the report, then the follower with its timeline entry
  "report: follow": 2,
  // BEGIN, reporter, rate limit, spot lock, duplicate check, staff groups, reference, report with photos, timeline and outbox, COMMIT
  "report: confirm": 9,
  "classes: list": 1, // seats from the database
  "classes: cohort": 1, // seats from the database
  "classes: sign up": 0,
  "classes: privacy": 0,
  "classes: name": 0,
  "classes: mobile": 0,
  "classes: neighbourhood": 0,
  // BEGIN, cohort lock, resident with their earlier enrolment, seats with the queue number, enrolment, COMMIT
  "classes: skills": 6,
  // The same: the place in line follows from the seats read under the lock.
  "classes: skills, waitlisted": 6,
};
