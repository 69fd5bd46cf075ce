import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../../../src/db/database.ts";
import { GridDirectory } from "../../../../src/domain/grid/directory.ts";
import { createReportsService } from "../../../../src/domain/reports/reports.ts";
import { createCompactService } from "../../../../src/domain/compact/compact.ts";
import { createStaffRegistry } from "../../../../src/domain/staff/registry.ts";
import { databaseWebSessions } from "../../../../src/domain/staff/web-session-table.ts";
import { zh } from "../../../../src/flows/i18n/zh.ts";
import { startTestApp, type TestApp } from "../../../support/app.ts";
import {
  replyCard,
  startFakeWecomBot,
  streamText,
  type FakeCallbackResult,
  type FakeWecomBot,
  type FakeWecomUser,
} from "../../../support/fake-wecom-bot.ts";
import { LABELLED_MESSAGES, declining, TINY_PNG, TOWN_TIME_ZONE } from "../../../support/town.ts";

const DAY = 24 * 60 * 60 * 1000;
const resident: FakeWecomUser = { userid: "lisi" };
const learner: FakeWecomUser = { userid: "chenjing" };
const clerk: FakeWecomUser = { userid: "zhangwei" };
const GROUP_CHAT = "wrkgroup_d2";
const clerkInGroup: FakeWecomUser = { userid: "zhangwei", chatid: GROUP_CHAT };
const reporter: FakeWecomUser = { userid: "wangwu" };
const outsiderInGroup: FakeWecomUser = { userid: "passerby", chatid: GROUP_CHAT };
const shopkeeper: FakeWecomUser = { userid: "laoban" };

async function eventually<T>(read: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 8_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (accept(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The markdown with the robot renderer's escapes removed, for comparing with catalog sentences. */
const said = (result: FakeCallbackResult) => streamText(result).replace(/\\(.)/g, "$1");

/** The sample town with one class whose sign-up is open whenever the test runs. */
function townWithOpenClass(sample: string): string {
  const at = (days: number) => new Date(Date.now() + days * DAY).toISOString();
  const course = `courses:
  - code: e2e-course
    name: 测试课程
    nameEn: Test course
    description: 端到端测试用的课程。
    descriptionEn: A course for the end-to-end test.
    cohorts:
      - code: e2e-cohort
        title: 第一期
        titleEn: Cohort 1
        capacity: 1
        enrolmentOpensAt: ${at(-1)}
        enrolmentClosesAt: ${at(20)}
        eligibility: 本镇居民
        eligibilityEn: Residents of the town
        location: 社区学校
        locationEn: Community school
        completionShare: 1
        sessions:
          - startsAt: ${at(30)}
            endsAt: ${at(30.1)}
            topic: 开班
            topicEn: Opening
            lecturerRole: 教师
            lecturerRoleEn: Teacher`;
  return `${sample.slice(0, sample.indexOf("\ncourses:"))}\n${course}${sample.slice(sample.indexOf("\nholidays:"))}`;
}

describe("the WeCom intelligent bot, end to end against a simulated WeCom", () => {
  let fake: FakeWecomBot;
  let app: TestApp;
  let db: Database;

  beforeAll(async () => {
    fake = await startFakeWecomBot();
    app = await startTestApp({
      env: { WECOM_BOT_TOKEN: fake.token, WECOM_BOT_ENCODING_AES_KEY: fake.encodingAesKey },
      editTown: townWithOpenClass,
    });
    fake.target(`${app.httpUrl}/wecom/callback`);
    db = app.db;
  });

  afterAll(async () => {
    await app?.stop();
    await fake.close();
  });

  it("answers WeCom's URL verification with the decrypted echostr, as plain text", async () => {
    const answer = await fake.verifyUrl("echo-1234567890");
    expect(answer).toEqual({ status: 200, text: "echo-1234567890" });
  });

  it("a resident reports a street problem with a photo, choosing with card buttons and typed numbers, and the photo is stored byte for byte", async () => {
    const suggestion = await fake.userSends(resident, "永德路12号门口又在占道摆摊，行人过不去");
    expect(suggestion.status).toBe(200);
    expect(said(suggestion)).toContain("看起来是「占道经营」");
    const card = replyCard(suggestion);
    expect(card?.card_type).toBe("button_interaction");

    const askPhotos = await fake.userClicks(resident, card!, zh.report.yes);
    expect(askPhotos.reply?.response_type).toBe("update_template_card");
    const pushed = await fake.nextPush((p) => p.code === askPhotos.responseCode);
    expect(JSON.stringify(pushed.body)).toContain("现场照片");

    const photo = TINY_PNG(91);
    const saved = await fake.userSendsImage(resident, photo);
    expect(said(saved)).toContain(zh.report.photoSaved(1));
    expect(fake.downloads()).toBe(1);

    // "完成" is the first option of that choice: typing its number works as well as the button.
    const done = replyCard(saved)!.button_list.findIndex((b) => b.text.includes(zh.report.photosDone)) + 1;
    const askShop = await fake.userSends(resident, String(done));
    // Nine shops and "back" are too many buttons for a card: the choice comes as numbered text only.
    expect(replyCard(askShop)).toBeUndefined();
    const none = /(\d+)\\?\. 不涉及具体商户/.exec(streamText(askShop))?.[1];
    // The first message already described the problem, so the flow goes on to the contact question.
    const askContact = await fake.userSends(resident, none ?? "?");
    expect(said(askContact)).toContain(zh.report.askContact);
    const summary = await fake.userClicks(resident, replyCard(askContact)!, zh.report.contactNo);
    const summaryPush = await fake.nextPush((p) => p.code === summary.responseCode);
    const summaryCard = summaryPush.body.template_card ?? undefined;
    const summaryText = JSON.stringify(summaryPush.body);
    expect(summaryText).toContain("照片：1 张");

    let submitted: FakeCallbackResult;
    if (summaryCard) {
      submitted = await fake.userClicks(resident, summaryCard, "确认提交");
    } else {
      const number = /(\d+)\\?\. [^\n]*确认提交/.exec(summaryPush.body.markdown?.content ?? "")?.[1];
      submitted = await fake.userSends(resident, number ?? "?");
    }
    const confirmation =
      submitted.reply?.response_type === "update_template_card"
        ? JSON.stringify((await fake.nextPush((p) => p.code === submitted.responseCode)).body)
        : said(submitted);
    const reference = /WJ-\d{4}-\d{6}/.exec(confirmation)?.[0];
    expect(reference).toBeDefined();

    const report = await db.prisma.report.findUniqueOrThrow({
      where: { reference: reference! },
      include: { photos: true, reporter: true },
    });
    expect(report.reporter).toMatchObject({ channel: "wecom", channelUserId: "lisi", chatId: "lisi" });
    expect(report.photos).toHaveLength(1);
    const [folder] = await readdir(path.join(app.dir, "media"));
    const [file] = await readdir(path.join(app.dir, "media", folder!));
    expect(await readFile(path.join(app.dir, "media", folder!, file!))).toEqual(photo);
  });

  it("a photo that takes longer than WeCom waits is delivered again; the repeat waits for the first delivery and gets its answer, and the photo counts once", async () => {
    const slowSender: FakeWecomUser = { userid: "zhaoliu" };
    const suggestion = await fake.userSends(slowSender, "永德路40号门口堆满纸箱，行人过不去");
    await fake.userClicks(slowSender, replyCard(suggestion)!, zh.report.yes);
    const downloadsBefore = fake.downloads();
    // WeCom gives up on a try after its wait; the image server takes longer than that, so the first try is abandoned mid-way.
    fake.delayImages(3_000);
    try {
      const { abandoned, result } = await fake.deliverWithRetries(fake.imageMessage(slowSender, TINY_PNG(92)), {
        answerWithinMs: 2_000,
        attempts: 3,
      });
      expect(abandoned).toBe(1);
      expect(result?.status).toBe(200);
      expect(said(result!)).toContain(zh.report.photoSaved(1));
    } finally {
      fake.delayImages(0);
    }
    expect(fake.downloads()).toBe(downloadsBefore + 1);
    // The next photo is the second: the repeat was not handled as a photo of its own.
    expect(said(await fake.userSendsImage(slowSender, TINY_PNG(93)))).toContain(zh.report.photoSaved(2));
  });

  it("a resident signs up for a class by buttons and typed answers and gets a seat with a check-in code", async () => {
    const list = await fake.userSends(learner, "/classes");
    const details = await fake.userClicks(learner, replyCard(list)!, "测试课程 · 第一期");
    const detailsPush = await fake.nextPush((p) => p.code === details.responseCode);
    const signUp = await fake.userClicks(learner, detailsPush.body.template_card!, zh.classes.signUp);
    const noticePush = await fake.nextPush((p) => p.code === signUp.responseCode);
    const accepted = await fake.userClicks(learner, noticePush.body.template_card!, zh.classes.accept);
    expect(JSON.stringify((await fake.nextPush((p) => p.code === accepted.responseCode)).body)).toContain(zh.classes.askName);
    expect(said(await fake.userSends(learner, "陈静"))).toContain(zh.classes.askMobile);
    expect(said(await fake.userSends(learner, "13912345678"))).toContain(zh.classes.askNeighbourhood);
    const skills = await fake.userSends(learner, "紫竹半岛");
    expect(said(skills)).toContain(zh.classes.askSkills);
    const skipped = await fake.userClicks(learner, replyCard(skills)!, zh.classes.skip);
    const done = JSON.stringify((await fake.nextPush((p) => p.code === skipped.responseCode)).body);
    expect(done).toMatch(/报名成功：测试课程 · 第一期\\n签到码：[A-Z2-9]{6}/);
    const enrolment = await db.prisma.enrolment.findFirstOrThrow({ where: { user: { channel: "wecom", channelUserId: "chenjing" } } });
    expect(enrolment.status).toBe("SEATED");
  });

  it("a clerk joins with /join, gets the group's alert pushed as a card, and only the clerk's click claims the case", async () => {
    const invite = await createStaffRegistry({
      prisma: db.prisma,
      sql: db.sql,
      townCode: "wujing",
      webSessions: databaseWebSessions(db.sql),
    }).invite("bootstrap", {
      role: "DISTRICT_STAFF",
      label: "第二片区网格员",
      districtCodes: ["d2"],
      roadCommitteeCodes: [],
    });
    if (invite.type !== "created") throw new Error(invite.type);
    expect(said(await fake.userSends(clerk, `/join ${invite.code}`))).toContain("登记成功：第二片区网格员（片区工作人员）");

    // The work group talks to the bot, which subscribes it to the district's alerts as /alerts would.
    await db.prisma.alertDestination.create({
      data: {
        townCode: "wujing",
        code: "wecom-d2",
        name: "第二片区工作群",
        channel: "wecom",
        address: GROUP_CHAT,
        districtCodes: ["d2"],
        managedInChat: true,
      },
    });
    const hello = await fake.userSends(clerkInGroup, "/help");
    expect(hello.status).toBe(200);

    // A WeCom resident who spoke to the bot within the hour: their report's updates use that message's unused response_url.
    const reporterHello = await fake.userSends(reporter, "/help");
    const grid = await GridDirectory.open(db.prisma, "wujing", LABELLED_MESSAGES);
    const submitted = await createReportsService({
      prisma: db.prisma,
      sql: db.sql,
      grid,
      townCode: "wujing",
      timeZone: TOWN_TIME_ZONE,
    }).submit(
      {
        categoryCode: "pavement-trading",
        place: { roadCode: "yongde", houseNumber: 201 },
        description: "早点摊占用人行道",
        photoIds: [],
        contactAllowed: false,
      },
      { channel: "wecom", userId: reporter.userid, chatId: reporter.userid, locale: "zh" },
      declining(),
    );
    if (submitted.type !== "created") throw new Error(submitted.type);
    const alert = await fake.nextPush((p) => p.code === hello.responseCode);
    const card = alert.body.template_card!;
    expect(JSON.stringify(card)).toContain(submitted.reference);
    expect(card.button_list.map((b) => b.text)).toEqual(["1. 认领", "2. 驳回"]);

    const refused = await fake.userClicks(outsiderInGroup, card, "认领");
    expect(JSON.stringify((await fake.nextPush((p) => p.code === refused.responseCode)).body)).toContain("仅供登记的工作人员使用");
    expect((await db.prisma.report.findUniqueOrThrow({ where: { reference: submitted.reference } })).status).toBe("SUBMITTED");

    const claimed = await fake.userClicks(clerkInGroup, card, "认领");
    expect(claimed.reply?.response_type).toBe("update_template_card");
    expect(JSON.stringify((await fake.nextPush((p) => p.code === claimed.responseCode)).body)).toContain(
      `${submitted.reference} 已更新为“已受理”`,
    );
    expect((await db.prisma.report.findUniqueOrThrow({ where: { reference: submitted.reference } })).status).not.toBe("SUBMITTED");
    const update = await fake.nextPush((p) => p.code === reporterHello.responseCode);
    expect(update.body.msgtype).toBe("markdown");
    expect(update.body.markdown?.content).toContain(submitted.reference);

    // The updated alert could not be pushed (both response_urls are spent): it comes with the group's next message.
    await eventually(
      () => db.prisma.outboxMessage.count({ where: { channel: "wecom", chatId: GROUP_CHAT, status: "SENT" } }),
      (sent) => sent >= 2,
    );
    const next = await fake.userSends(clerkInGroup, "/help");
    expect(said(next)).toContain("当前状态：已受理（第二片区网格员）");
  });

  it("a shopkeeper binds the shop with /shop <code>, reads the compact page by page and signs it, and the audit record says WeCom", async () => {
    const registry = createStaffRegistry({ prisma: db.prisma, sql: db.sql, townCode: "wujing", webSessions: databaseWebSessions(db.sql) });
    const adminInvite = await registry.invite("bootstrap", { role: "ADMIN", label: "镇管理员", districtCodes: [], roadCommitteeCodes: [] });
    if (adminInvite.type !== "created") throw new Error(adminInvite.type);
    await registry.redeem(adminInvite.code, { channel: "wecom", userId: "admin-1", chatId: "admin-1", locale: "zh" });
    const invites = await createCompactService({
      prisma: db.prisma,
      sql: db.sql,
      townCode: "wujing",
      timeZone: TOWN_TIME_ZONE,
      staff: registry,
    }).createInvites({ channel: "wecom", userId: "admin-1" }, { merchantCode: "yd-fruit" });
    if (invites.type !== "created") throw new Error(invites.type);

    expect(said(await fake.userSends(shopkeeper, "/shop AAAAAAAAAA"))).toContain(zh.compact.bind.invalid);
    const bound = await fake.userSends(shopkeeper, `/shop ${invites.invites[0]!.code}`);
    expect(said(bound)).toContain(zh.compact.bind.bound("永德路示例水果店"));
    // Choices are numbered in every passive reply, so typing the number turns the pages as a button would.
    const option = (result: FakeCallbackResult, label: string) => new RegExp(`(\\d+)\\. ${label}`).exec(said(result))?.[1] ?? "?";
    let page = await fake.userSends(shopkeeper, "店主 刘某");
    const pages: string[] = [];
    while (!said(page).includes(zh.compact.read.agree)) {
      pages.push(said(page));
      expect(pages.length).toBeLessThan(6);
      page = await fake.userSends(shopkeeper, option(page, "下一页"));
    }
    expect([...pages, said(page)].join("\n")).toContain("第十条");
    const receipt = said(await fake.userSends(shopkeeper, option(page, zh.compact.read.agree)));
    expect(receipt).toContain("✅ 签署成功\n商户：永德路示例水果店");
    expect(receipt).toContain("签署人：店主 刘某");
    expect(receipt).toContain("渠道：企业微信");

    const [record] = await db.prisma.compactAcknowledgement.findMany({
      where: { merchant: { code: "yd-fruit" } },
      include: { version: true },
    });
    expect(record).toMatchObject({ channel: "wecom", channelUserId: "laoban", signerName: "店主 刘某" });
    expect(record!.contentHash).toBe(record!.version.contentHash);
    expect(receipt).toContain(record!.contentHash.slice(0, 12));
  });
});
