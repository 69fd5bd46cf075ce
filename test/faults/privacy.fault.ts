import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../src/db/database.ts";
import { zh } from "../../src/flows/i18n/zh.ts";
import { bindShop } from "../support/shop-reports.ts";
import { reportUntilSummary, subscribeWholeTown, webResident } from "./support/app.ts";
import { queryDatabase } from "./support/postgres-cluster.ts";
import { startWebhookApp, type WebhookApp } from "./support/webhook-app.ts";

const REFERENCE = /WJ-\d{4}-\d{6}/;
const GROUP = { id: -1001555000222, type: "supergroup" as const, title: "第二片区工作群" };
const SHOP_OWNER = { id: 880_001, type: "private" as const, first_name: "饺子馆店主" };

/** Personal numbers as residents type them, each with what anyone but the staff handling the case reads instead. */
const TYPED_NUMBERS: [typed: string, masked: string][] = [
  ["１３８１２３４５６７８", "138****5678"],
  ["139.8765.4321", "139****4321"],
  ["158 1234 5678", "158****5678"],
  ["+86 177-1234-5678", "177****5678"],
  ["(021)5432-1234", "021-****34"],
  ["0755 8765432", "0755-****32"],
  ["310104 19900101 1234", "310*************34"],
  ["31010419900101123X", "310*************3X"],
  ["310104900101123", "310**********23"],
];

/** What residents' reports tell about them, and who may read it, against the real app on PostgreSQL, Redis and the fake Bot API. */
describe("residents' privacy in the running app", () => {
  let stack: WebhookApp;

  beforeAll(async () => {
    stack = await startWebhookApp("privacy");
    stack.telegram.addChat(GROUP);
    stack.telegram.addChat(SHOP_OWNER);
    await subscribeWholeTown(stack.databaseUrl, [{ channel: "telegram", address: String(GROUP.id) }]);
    const db = await openDatabase({ kind: "postgres", url: stack.databaseUrl });
    try {
      await bindShop(db.prisma, "hq-dumplings", { channel: "telegram", userId: String(SHOP_OWNER.id), chatId: String(SHOP_OWNER.id) });
    } finally {
      await db.close();
    }
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it("a fresh web visitor who asks for another resident's reference sees only its kind, road and status, never the description, house number or staff notes", async () => {
    const reporter = webResident(stack.app.httpUrl);
    await reportUntilSummary(reporter, "龙吴路5500号门口的共享单车把盲道全堵了，楼上王阿姨天天绊倒", zh);
    const reference = REFERENCE.exec((await reporter.press(zh.report.confirm)).text)?.[0];
    expect(reference).toBeDefined();
    // A member of staff took the case on with a note for the reporter (written as the desk writes it).
    await queryDatabase(
      stack.databaseUrl,
      `WITH moved AS (UPDATE "Report" SET "status" = 'IN_PROGRESS' WHERE "reference" = $1 RETURNING "id")
       INSERT INTO "ReportEvent" ("id", "reportId", "type", "fromStatus", "toStatus", "note", "actorKind", "actorId", "actorLabel", "createdAt")
       SELECT gen_random_uuid()::text, "id", 'STATUS_CHANGED', 'SUBMITTED', 'IN_PROGRESS', '已约车主下午挪车', 'STAFF', 'staff-fault', '第二片区工作人员', now() FROM moved`,
      [reference],
    );

    const stranger = webResident(stack.app.httpUrl);
    const seen = await stranger.say(`/report ${reference}`);
    expect(seen.status).toBe(200);
    expect(seen.text).toContain(zh.report.viewTitle(reference!, zh.report.status.IN_PROGRESS));
    expect(seen.text).toContain(zh.report.viewRoad("龙吴路"));
    expect(seen.text).toContain(zh.report.viewPublicOnly);
    for (const hidden of ["5500", "盲道", "王阿姨", "挪车", zh.report.timelineTitle, zh.report.timelineEvent.SUBMITTED])
      expect(seen.text).not.toContain(hidden);

    // The reporter still sees everything, so the stranger's answer is the rule at work, not a broken view.
    const own = await reporter.say(`/report ${reference}`);
    expect(own.text).toContain("龙吴路5500号");
    expect(own.text).toContain("王阿姨");
    expect(own.text).toContain(zh.report.timelineTitle);
    expect(own.text).toContain("已约车主下午挪车");
  });

  it("phone and ID numbers however typed (full width, spaced, dotted, dashed, +86, landlines with area codes) reach the staff group, the shop and the reporter's own view masked", async () => {
    const resident = webResident(stack.app.httpUrl);
    const description = `鹤庆路120号饺子馆门口桌椅占道经营，${TYPED_NUMBERS.map(([typed], n) => `号码${n + 1}：${typed}`).join("，")}`;
    let answer = await resident.say(description);
    answer = await resident.press(zh.report.yes);
    if (answer.text.includes(zh.report.duplicatesFound)) answer = await resident.press(zh.report.submitAnyway);
    expect(answer.text).toContain(zh.report.askPhotos);
    answer = await resident.press(zh.report.photosSkip);
    expect(answer.text).toContain(zh.report.askShop);
    answer = await resident.press("鹤庆路示例饺子馆");
    answer = await resident.press(zh.report.contactNo);
    expect(answer.text).toContain(zh.report.summaryPlace("鹤庆路120号"));
    const reference = REFERENCE.exec((await resident.press(zh.report.confirm)).text)?.[0];
    expect(reference).toBeDefined();

    const alert = await stack.telegram.nextBotMessage(
      (message) => message.chat.id === GROUP.id && message.text?.includes(reference!) === true,
      10_000,
    );
    const notice = await stack.telegram.nextBotMessage(
      (message) => message.chat.id === SHOP_OWNER.id && message.text?.includes(reference!) === true,
      10_000,
    );
    const ownView = (await resident.say(`/report ${reference}`)).text;
    for (const [reader, text] of [
      ["staff group", alert.text ?? ""],
      ["shop", notice.text ?? ""],
      ["reporter's view", ownView],
    ]) {
      for (const [typed, masked] of TYPED_NUMBERS) {
        expect(text, `${reader}: ${typed}`).not.toContain(typed);
        expect(text, `${reader}: ${typed}`).toContain(masked);
      }
    }
  });

  it("a mobile number in what a resident types is never read as a house number, in a report or in a question about a place", async () => {
    const reporter = webResident(stack.app.httpUrl);
    await reporter.say("华宁路门口天天有人摆摊占道经营，我电话13816602375");
    let answer = await reporter.press(zh.report.yes);
    if (answer.text.includes(zh.report.duplicatesFound)) answer = await reporter.press(zh.report.submitAnyway);
    expect(answer.text).not.toMatch(/\d+号的记录/);
    expect(answer.text).toContain(zh.report.askPhotos);

    const asking = await webResident(stack.app.httpUrl).say("华宁路归哪个片区管？我电话 138 1660 2375");
    expect(asking.status).toBe(200);
    expect(asking.text).not.toMatch(/\d+号的记录/);
    expect(asking.text).toContain("华宁路");
  });

  it("zero-width and bidirectional-override characters typed into a report are not stored, nor shown to the staff group", async () => {
    const resident = webResident(stack.app.httpUrl);
    const invisible = /[\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]/;
    await reportUntilSummary(
      resident,
      "\u202e景洪路60号\u200b门口的\u2066烧烤摊\u2069油烟\u200d很大\ufeff，\u202d每晚\u2068到两点\u2060",
      zh,
    );
    const reference = REFERENCE.exec((await resident.press(zh.report.confirm)).text)?.[0];
    expect(reference).toBeDefined();
    const [stored] = await queryDatabase<{ description: string }>(
      stack.databaseUrl,
      `SELECT "description" FROM "Report" WHERE "reference" = $1`,
      [reference],
    );
    expect(stored!.description).toBe("景洪路60号门口的烧烤摊油烟很大，每晚到两点");
    const alert = await stack.telegram.nextBotMessage(
      (message) => message.chat.id === GROUP.id && message.text?.includes(reference!) === true,
      10_000,
    );
    expect(alert.text).toContain("景洪路60号门口的烧烤摊油烟很大，每晚到两点");
    expect(alert.text).not.toMatch(invisible);
  });
});
