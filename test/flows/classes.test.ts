import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderOutboxRow } from "../../src/bot/notify/render.ts";
import { createMemoryLimiter } from "../../src/bot/limits/limiter.ts";
import { createOriginBudgets } from "../../src/bot/limits/origin-budgets.ts";
import { converse, lastChoices, shownText } from "../support/conversation.ts";
import { openSampleServices, type SampleServices, TOWN_TIME_ZONE } from "../support/town.ts";

const COHORT = "talent-2027-1";
let town: SampleServices;
let now = new Date("2026-12-01T02:00:00Z");

beforeAll(async () => {
  town = await openSampleServices({ clock: () => now });
});
afterAll(async () => {
  await town.close();
});

const resident = (userId: string, locale: "zh" | "en" = "zh") => converse(town.services, { userId, locale, now: () => now });

/** A mobile number of each resident's own: one place is kept per number. */
const mobiles = new Map<string, string>();
const mobileOf = (userId: string) =>
  mobiles.get(userId) ?? mobiles.set(userId, `1381234${String(mobiles.size).padStart(4, "0")}`).get(userId)!;

/** Walks a resident through sign-up for the talent class and returns the final replies. */
async function signUp(userId: string, mobile = mobileOf(userId), chat = resident(userId)) {
  await chat.choose(`flow:classes:signup:${COHORT}`);
  await chat.choose("privacy:yes");
  await chat.text("王芳");
  await chat.text(mobile);
  await chat.text("紫竹半岛");
  return { chat, replies: await chat.choose("skills:none") };
}

describe("community classes in the chat", () => {
  it("a resident browses the open classes with seats left and sees a class's schedule with a sign-up button", async () => {
    const chat = resident("browser");
    const listed = lastChoices(await chat.command("classes"));
    const talent = listed.find((option) => option.value.endsWith(COHORT))!;
    expect(talent.label).toBe("社区达人精品班 · 2027 年第一期 · 余 12 座");
    const details = await chat.choose(talent.value);
    expect(shownText(details)).toContain("第 1 讲");
    expect(shownText(details)).toContain("破冰与团队建设");
    expect(lastChoices(details).map((option) => option.label)).toEqual(["📝 我要报名", "⬅️ 返回课程列表"]);
  });

  it("nothing is kept when the resident declines the personal-information notice", async () => {
    const chat = resident("decliner");
    expect(shownText(await chat.choose(`flow:classes:signup:${COHORT}`))).toContain("个人信息说明");
    expect(shownText(await chat.choose("privacy:no"))).toContain("没有保存您的任何信息");
    expect(await town.db.prisma.enrolment.count()).toBe(0);
  });

  it("a bad mobile number is asked again politely, an unknown neighbourhood offers close ones, and sign-up gives a seat and a check-in code", async () => {
    const chat = resident("signer");
    await chat.choose(`flow:classes:signup:${COHORT}`);
    await chat.choose("privacy:yes");
    await chat.text("李明");
    expect(shownText(await chat.text("12345"))).toContain("手机号格式不正确");
    await chat.text("138 1234 5678");
    const unknown = await chat.text("紫竹半岛居民区");
    const skillsQuestion = unknown.some((reply) => reply.type === "choices" && reply.text.includes("特长"))
      ? unknown
      : await chat.choose(lastChoices(unknown)[0]!.value);
    expect(shownText(skillsQuestion)).toContain("特长或兴趣");
    const done = shownText(await chat.text("摄影，手工"));
    expect(done).toMatch(/报名成功：社区达人精品班 · 2027 年第一期\n签到码：[A-Z2-9]{6}/);
    const enrolment = await town.db.prisma.enrolment.findFirstOrThrow({ where: { name: "李明" } });
    expect(enrolment).toMatchObject({ mobile: "13812345678", status: "SEATED" });
  });

  it("signing up twice says so instead of taking a second place", async () => {
    const { replies } = await signUp("twice");
    expect(shownText(replies)).toContain("报名成功");
    expect(shownText((await signUp("twice")).replies)).toContain("您已经报名了");
  });

  it("a full class puts the next resident on the waiting list; a cancellation gives them the seat and tells them", async () => {
    for (let n = await town.db.prisma.enrolment.count({ where: { status: "SEATED" } }); n < 12; n++) await signUp(`filler-${n}`);
    const waiting = await signUp("waiting");
    expect(shownText(waiting.replies)).toContain("候补第 1 位");
    expect(shownText(await waiting.chat.command("myclasses"))).toContain("候补第 1 位");

    const leaver = resident("filler-11");
    const mine = await leaver.command("myclasses");
    expect(shownText(mine)).toMatch(/签到码：[A-Z2-9]{6}，已出勤 0\/\d+ 讲/);
    expect(shownText(await leaver.choose(lastChoices(mine)[0]!.value))).toContain("名额会让给候补的居民");
    expect(shownText(await leaver.choose("yes"))).toContain("已取消报名");

    const promoted = await town.db.prisma.outboxMessage.findFirstOrThrow({ where: { kind: "class.promoted", chatId: "waiting" } });
    expect(shownText(renderOutboxRow(promoted, TOWN_TIME_ZONE)!)).toMatch(
      /您已从候补转为正式学员：社区达人精品班 · 2027 年第一期\n签到码：[A-Z2-9]{6}/,
    );
    expect(shownText(await waiting.chat.command("myclasses"))).toContain("签到码");
  });

  it("after the first session a seat cannot be given up, and after enrolment closes there is no sign-up", async () => {
    now = new Date("2027-03-06T07:00:00Z");
    const chat = resident("waiting");
    const mine = await chat.command("myclasses");
    await chat.choose(lastChoices(mine)[0]!.value);
    expect(shownText(await chat.choose("yes"))).toContain("课程已经开始，不能取消报名");
    const details = await resident("late").choose(`flow:classes:cohort:${COHORT}`);
    expect(lastChoices(details).map((option) => option.label)).toEqual(["⬅️ 返回课程列表"]);
    expect(shownText(await resident("late").choose(`flow:classes:signup:${COHORT}`))).toBe("本期报名已截止。");
  });

  it("an English-speaking resident gets the same flow in English", async () => {
    now = new Date("2026-12-02T02:00:00Z");
    const chat = resident("english", "en");
    expect(shownText(await chat.command("classes"))).toContain("Community-talent premium class");
    expect(shownText(await chat.choose(`flow:classes:signup:${COHORT}`))).toContain("about your personal information");
  });
});

describe("academy staff running a class in the chat", () => {
  async function bind(userId: string, role: "ACADEMY_STAFF" | "DISTRICT_STAFF") {
    const invite = await town.staff.invite("bootstrap", {
      role,
      label: role === "ACADEMY_STAFF" ? "治理学院老师" : "网格员",
      districtCodes: role === "DISTRICT_STAFF" ? ["d2"] : [],
      roadCommitteeCodes: [],
    });
    if (invite.type !== "created") throw new Error(invite.type);
    const chat = resident(userId);
    await chat.command("join", invite.code);
    return chat;
  }

  it("only academy staff see the roster with mobile numbers, check residents in by code, message the class and change the seats", async () => {
    const clerk = await bind("district-clerk", "DISTRICT_STAFF");
    expect(shownText(await clerk.command("cohort", COHORT))).toContain("仅限学院工作人员");
    const teacher = await bind("teacher", "ACADEMY_STAFF");
    const roster = await teacher.command("cohort", COHORT);
    expect(shownText(roster)).toMatch(/名额 12，已入座 12/);
    expect(shownText(roster)).toContain("李明 13812345678");

    await teacher.choose(lastChoices(roster).find((option) => option.label === "✅ 签到")!.value);
    await teacher.choose("session:1");
    expect(shownText(await teacher.text("ZZZZZZ"))).toContain("签到码不正确");
    const seated = await town.db.prisma.enrolment.findFirstOrThrow({ where: { name: "李明" } });
    expect(shownText(await teacher.text(seated.checkInCode.toLowerCase()))).toContain("李明 签到成功，已出勤 1/");
    expect(shownText(await teacher.text(seated.checkInCode))).toContain("本讲已签到过");
    expect(shownText(await teacher.choose("checkin:end"))).toContain("签到结束");

    await teacher.choose(lastChoices(roster).find((option) => option.label === "📢 群发通知")!.value);
    expect(shownText(await teacher.text("下周六的课改在二楼多功能厅"))).toContain("已发送给 12 位学员");
    const message = await town.db.prisma.outboxMessage.findFirstOrThrow({ where: { kind: "class.broadcast", chatId: "signer" } });
    expect(shownText(renderOutboxRow(message, TOWN_TIME_ZONE)!)).toContain("（治理学院老师）：\n下周六的课改在二楼多功能厅");

    const [file] = await teacher.choose(lastChoices(roster).find((option) => option.label === "📄 导出名单（CSV）")!.value);
    if (file?.type !== "document") throw new Error(`expected a document, got ${file?.type}`);
    expect(file.caption).toContain("学员名单（可用 Excel 打开）");
    const csv = Buffer.from(file.contentBase64, "base64");
    expect([...csv.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const rows = csv.subarray(3).toString("utf8").split("\r\n");
    expect(rows.some((row) => row.includes("李明") && row.includes("13812345678"))).toBe(true);

    await teacher.choose(lastChoices(roster).find((option) => option.label === "👥 调整名额")!.value);
    expect(shownText(await teacher.text("5"))).toContain("名额不能少于已入座的 12 人");
    expect(shownText(await teacher.text("14"))).toMatch(/名额已改为 14/);

    const move = lastChoices(roster).find((option) => option.label === "🗓 调整上课时间地点")!.value;
    await teacher.choose(move);
    expect(shownText(await teacher.choose("session:1"))).toContain("请输入新的时间");
    await teacher.choose("unchanged");
    expect(shownText(await teacher.choose("unchanged"))).toContain("已经有人签到，不能再调整");
    await teacher.choose(move);
    await teacher.choose("session:2");
    expect(shownText(await teacher.text("下周六下午"))).toContain("时间格式不对");
    expect(shownText(await teacher.text("2027-02-30 14:00-16:00"))).toContain("时间格式不对");
    await teacher.text("2027-03-06 15:00-17:00");
    expect(shownText(await teacher.text("二楼多功能厅"))).toContain("与前后一讲重叠");
    await teacher.text("2027-03-14 09:00-11:30");
    expect(shownText(await teacher.text("二楼多功能厅"))).toContain("第 2 讲已调整，已通知 12 位学员");
    const changed = await town.db.prisma.outboxMessage.findFirstOrThrow({ where: { kind: "class.changed", chatId: "signer" } });
    expect(shownText(renderOutboxRow(changed, TOWN_TIME_ZONE)!)).toMatch(
      /课程调整：社区达人精品班 · 2027 年第一期 第 2 讲「[^」]+」改为\n时间：2027\/3\/14 09:00\n地点：二楼多功能厅/,
    );
  });
});

describe("the community talent pool", () => {
  it("a resident joins without taking a class (skills cannot be skipped), and academy staff find them by skill and neighbourhood", async () => {
    const chat = resident("talent-1");
    expect(shownText(await chat.command("talent"))).toContain("加入社区人才资源库前请阅读");
    await chat.choose("privacy:yes");
    await chat.text("周华");
    await chat.text("+86 139-1234-5678");
    await chat.text("紫竹半岛");
    expect(shownText(await chat.text("  "))).toContain("请写下您的特长");
    expect(shownText(await chat.text("摄影，书法"))).toContain("什么时间方便");
    expect(shownText(await chat.text("周末下午"))).toContain("已加入社区人才资源库");

    const teacher = resident("teacher");
    const found = shownText(await teacher.command("talents", "摄影 紫竹半岛"));
    expect(found).toContain("特长包含“摄影”的居民");
    expect(found).toContain("周华 13912345678");
    expect(shownText(await teacher.command("talents", "木工"))).toContain("资源库中没有");
    expect(shownText(await resident("talent-1").command("talents", "摄影"))).toContain("仅限学院工作人员");
  });
  it("made-up identities from one web address take no more sign-ups an hour than its allowance; the last one's details are kept and another address is not affected", async () => {
    // An allowance of two an hour on a clock of the test's own, so the hour passes at once.
    const services = {
      ...town.services,
      budgets: createOriginBudgets(createMemoryLimiter({ now: () => now.getTime() }), { signUpsPerHour: 2 }),
    };
    const from = (userId: string, origin: string) => converse(services, { userId, now: () => now, origin });
    const office = "web:198.51.100.9";
    const before = await town.db.prisma.enrolment.count();
    for (const userId of ["office-1", "office-2"])
      expect(shownText((await signUp(userId, undefined, from(userId, office))).replies)).toMatch(/报名成功|候补/);
    const last = from("office-3", office);
    const { replies } = await signUp("office-3", undefined, last);
    expect(shownText(replies)).toContain("报名的人数已达上限");
    expect(lastChoices(replies).map((option) => option.value)).toEqual(["skills:none"]);
    expect(await town.db.prisma.enrolment.count()).toBe(before + 2);
    expect(shownText((await signUp("elsewhere", undefined, from("elsewhere", "web:203.0.113.50"))).replies)).toMatch(/报名成功|候补/);
    // Asking again while the hour lasts keeps the conversation alive; once it is over, the kept details go in.
    for (const minutes of [25, 25]) {
      now = new Date(now.getTime() + minutes * 60_000);
      expect(shownText(await last.choose("skills:none"))).toContain("报名的人数已达上限");
    }
    now = new Date(now.getTime() + 11 * 60_000);
    expect(shownText(await last.choose("skills:none"))).toMatch(/报名成功|候补/);
  });
});
