import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderOutboxRow } from "../../src/bot/notify/render.ts";
import { importTownData } from "../../src/domain/town/import.ts";
import type { StaffGrant } from "../../src/domain/staff/registry.ts";
import type { OutboundMessage } from "../../src/flows/kit/messages.ts";
import { caseActionChoice } from "../../src/flows/staff/case-actions.ts";
import { readTownFile } from "../../src/towndata/town-file.ts";
import { converse, lastChoices, shownText } from "../support/conversation.ts";
import { declining, openSampleServices, SAMPLE_TOWN_FILE, TINY_PNG, type SampleServices, TOWN_TIME_ZONE } from "../support/town.ts";

let town: SampleServices;
let now = new Date("2026-11-26T02:00:00Z");
const clock = () => now;

const D2_GROUP = "-1001000000002";
const WECOM_ROBOT = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=secret-robot-key";

beforeAll(async () => {
  town = await openSampleServices({ clock });
  const { data } = await readTownFile(SAMPLE_TOWN_FILE);
  const alertDestinations = [
    {
      code: "d2-group",
      name: "第二片区工作群",
      telegramChatId: D2_GROUP,
      locale: "zh" as const,
      districts: ["d2"],
      roadCommittees: [],
      categories: [],
    },
    {
      code: "d2-robot",
      name: "第二片区企业微信群",
      wecomRobotUrl: WECOM_ROBOT,
      locale: "zh" as const,
      districts: ["d2"],
      roadCommittees: [],
      categories: [],
    },
  ];
  await importTownData(town.db.prisma, { ...data, alertDestinations }, "staff-flow-destinations", TOWN_TIME_ZONE);
  await town.grid.refreshIfChanged();
});
afterAll(async () => {
  await town.close();
});

/** A staff member bound through a real invitation, chatting privately on Telegram. */
async function bindStaff(userId: string, grant: StaffGrant) {
  const invite = await town.staff.invite("bootstrap", grant);
  if (invite.type !== "created") throw new Error(invite.type);
  const chat = converse(town.services, { channel: "telegram", userId });
  expect(shownText(await chat.command("join", invite.code))).toContain("登记成功");
  return chat;
}

const inGroup = (userId: string) => converse(town.services, { channel: "telegram", userId, chatId: D2_GROUP, chatType: "group" });

async function submitOnYongde(description: string, contactAllowed = false, reporterId = "reporter-1") {
  const result = await town.reports.submit(
    { categoryCode: "pavement-trading", place: { roadCode: "yongde", houseNumber: 12 }, description, photoIds: [], contactAllowed },
    { channel: "telegram", userId: reporterId, chatId: reporterId, displayName: "王小明", locale: "zh" },
    // Every test files at the same spot; each report here is meant to be a new case.
    declining((await town.db.prisma.report.findMany({ select: { reference: true } })).map((report) => report.reference)),
  );
  if (result.type !== "created") throw new Error(result.type);
  return result.reference;
}

const statusOf = async (reference: string) => (await town.db.prisma.report.findUniqueOrThrow({ where: { reference } })).status;
const notices = (replies: OutboundMessage[]) =>
  replies.filter((reply) => reply.type === "notice").map((reply) => (reply.type === "notice" ? reply.text : ""));

describe("joining as staff", () => {
  it("an invitation link's /start payload binds the account, and the same code cannot be used twice", async () => {
    const invite = await town.staff.invite("bootstrap", { role: "ADMIN", label: "镇管理员", districtCodes: [], roadCommitteeCodes: [] });
    if (invite.type !== "created") throw new Error(invite.type);
    const first = converse(town.services, { channel: "telegram", userId: "deep-link-admin" });
    expect(shownText(await first.command("start", `staff-${invite.code}`))).toContain("登记成功：镇管理员（管理员）");
    const second = converse(town.services, { channel: "telegram", userId: "someone-else" });
    expect(shownText(await second.command("start", `staff-${invite.code}`))).toContain("已经用过了");
    expect(await town.staff.find({ channel: "telegram", userId: "someone-else" })).toBeUndefined();
  });

  it("/start with a payload no flow claims opens the main menu as usual", async () => {
    const chat = converse(town.services, { channel: "telegram", userId: "odd-link" });
    expect(shownText(await chat.command("start", "campaign-2026"))).toContain("请选择您要办的事");
  });

  it("a forged code is refused politely and the person may type it again; an expired one is refused", async () => {
    const chat = converse(town.services, { channel: "telegram", userId: "typo-staff" });
    expect(shownText(await chat.command("join"))).toContain("请输入管理员发给您的邀请码");
    expect(shownText(await chat.text("ABCDEFGHJK"))).toContain("邀请码不正确");
    const invite = await town.staff.invite(
      "bootstrap",
      { role: "DISTRICT_STAFF", label: "第二片区工作人员", districtCodes: ["d2"], roadCommitteeCodes: [] },
      1,
    );
    if (invite.type !== "created") throw new Error(invite.type);
    now = new Date(now.getTime() + 2 * 3_600_000);
    expect(shownText(await chat.text(invite.code))).toContain("已过期");
    expect(await town.staff.find({ channel: "telegram", userId: "typo-staff" })).toBeUndefined();
  });

  it("an admin invites district staff by role, area and title, and gets a code and a Telegram link that work", async () => {
    const admin = await bindStaff("invite-admin", { role: "ADMIN", label: "镇管理员", districtCodes: [], roadCommitteeCodes: [] });
    await admin.command("invite");
    const roles = lastChoices(await admin.command("invite"));
    expect(roles.map((r) => r.label)).toEqual(["片区工作人员", "管理员", "学院工作人员"]);
    let replies = await admin.choose(roles[0]!.value);
    const d2 = lastChoices(replies).find((option) => option.label === "第二片区")!;
    replies = await admin.choose(lastChoices(replies).at(-1)!.value);
    expect(shownText(replies)).toContain("请至少选择一个片区或路管会");
    replies = await admin.choose(d2.value);
    expect(lastChoices(replies).find((option) => option.value === d2.value)?.label).toBe("✅ 第二片区");
    replies = await admin.choose(lastChoices(replies).at(-1)!.value);
    expect(shownText(replies)).toContain("第二片区片区工作人员");
    replies = await admin.text("第二片区网格员");
    const text = shownText(replies);
    const code = /邀请码：([A-Z0-9]{10})/.exec(text)?.[1];
    expect(code).toBeDefined();
    expect(text).toContain(`https://t.me/linli_test_bot?start=staff-${code}`);
    const invitee = converse(town.services, { channel: "telegram", userId: "invited-clerk" });
    expect(shownText(await invitee.command("start", `staff-${code}`))).toContain("登记成功：第二片区网格员（片区工作人员）");
    expect(await town.staff.find({ channel: "telegram", userId: "invited-clerk" })).toMatchObject({
      role: "DISTRICT_STAFF",
      districtCodes: ["d2"],
    });
  });

  it("only admins invite or manage staff, and only in a private chat", async () => {
    const clerk = await bindStaff("plain-clerk", {
      role: "DISTRICT_STAFF",
      label: "第一片区工作人员",
      districtCodes: ["d1"],
      roadCommitteeCodes: [],
    });
    expect(shownText(await clerk.command("invite"))).toContain("仅限管理员");
    expect(shownText(await clerk.command("staff"))).toContain("仅限管理员");
    expect(shownText(await clerk.command("deadletters"))).toContain("仅限管理员");
    const stranger = converse(town.services, { channel: "telegram", userId: "a-resident" });
    expect(shownText(await stranger.command("invite"))).toContain("仅供登记的工作人员使用");
    expect(shownText(await stranger.command("open"))).toContain("仅供登记的工作人员使用");
    expect(shownText(await inGroup("plain-clerk").command("open"))).toContain("请在与「邻里」的私聊中使用");
  });

  it("an admin revokes a member after confirming, and the revoked member's buttons stop working", async () => {
    const admin = await bindStaff("revoking-admin", { role: "ADMIN", label: "镇管理员", districtCodes: [], roadCommitteeCodes: [] });
    await bindStaff("leaving-clerk", { role: "DISTRICT_STAFF", label: "即将离职的网格员", districtCodes: ["d2"], roadCommitteeCodes: [] });
    const listed = lastChoices(await admin.command("staff"));
    const leaving = listed.find((option) => option.label.startsWith("即将离职的网格员"))!;
    expect(leaving.label).toContain("第二片区");
    expect(shownText(await admin.choose(leaving.value))).toContain("确定撤销“即将离职的网格员”");
    expect(shownText(await admin.choose("no"))).toContain("没有做任何更改");
    await admin.choose(leaving.value);
    expect(shownText(await admin.choose("yes"))).toContain("已撤销");
    const reference = await submitOnYongde("门口摆摊占道，影响通行");
    expect(notices(await inGroup("leaving-clerk").choose(caseActionChoice("claim", reference)))).toEqual([
      expect.stringContaining("仅供登记的工作人员"),
    ]);
    expect(await statusOf(reference)).toBe("SUBMITTED");
  });
});

describe("acting on a case from a group alert", () => {
  it("district staff of the case claim it; staff of another district and residents are refused with a short notice", async () => {
    await bindStaff("d2-clerk", { role: "DISTRICT_STAFF", label: "第二片区网格员", districtCodes: ["d2"], roadCommitteeCodes: [] });
    await bindStaff("d1-clerk", { role: "DISTRICT_STAFF", label: "第一片区网格员", districtCodes: ["d1"], roadCommitteeCodes: [] });
    const reference = await submitOnYongde("水果摊占用人行道");
    expect(notices(await inGroup("a-resident").choose(caseActionChoice("claim", reference)))).toEqual([
      expect.stringContaining("仅供登记的工作人员"),
    ]);
    expect(notices(await inGroup("d1-clerk").choose(caseActionChoice("claim", reference)))).toEqual([
      expect.stringContaining("只有负责该片区"),
    ]);
    expect(await statusOf(reference)).toBe("SUBMITTED");
    expect(notices(await inGroup("d2-clerk").choose(caseActionChoice("claim", reference)))).toEqual([`✅ ${reference} 已更新为“已受理”。`]);
    expect(await statusOf(reference)).toBe("ACKNOWLEDGED");
    expect(notices(await inGroup("d2-clerk").choose(caseActionChoice("claim", reference)))).toEqual([
      expect.stringContaining("当前为“已受理”，不能进行这个操作"),
    ]);
  });

  it("a claim edits every delivered Telegram alert in place and tells the WeCom group in one line", async () => {
    const reference = await submitOnYongde("早餐摊占道经营");
    const alerts = await town.db.prisma.outboxMessage.findMany({
      where: { kind: "alert.new", payload: { path: ["reference"], equals: reference } },
    });
    expect(alerts.map((row) => row.chatId).sort()).toEqual([D2_GROUP, WECOM_ROBOT].sort());
    const telegramAlert = alerts.find((row) => row.chatId === D2_GROUP)!;
    await town.db.prisma.outboxMessage.updateMany({ where: { id: { in: alerts.map((row) => row.id) } }, data: { status: "SENT" } });
    await town.db.prisma.outboxMessage.update({ where: { id: telegramAlert.id }, data: { deliveredRef: "4242" } });
    await inGroup("d2-clerk").choose(caseActionChoice("claim", reference));

    const updates = await town.db.prisma.outboxMessage.findMany({
      where: { kind: { in: ["alert.update", "alert.status"] }, reportId: telegramAlert.reportId },
    });
    expect(updates.map((row) => [row.kind, row.chatId]).sort()).toEqual([
      ["alert.status", WECOM_ROBOT],
      ["alert.update", D2_GROUP],
    ]);
    const [edit] = renderOutboxRow(updates.find((row) => row.kind === "alert.update")!, TOWN_TIME_ZONE)!;
    expect(edit).toMatchObject({ type: "replace", messageRef: "4242" });
    expect(shownText([edit!])).toContain("当前状态：已受理（第二片区网格员）");
    expect(edit?.type === "replace" && edit.options.map((option) => option.label)).toEqual(["处理中", "已解决", "驳回"]);
    expect(shownText(renderOutboxRow(updates.find((row) => row.kind === "alert.status")!, TOWN_TIME_ZONE)!)).toBe(
      `📌 ${reference} 状态更新：已受理（第二片区网格员）`,
    );
  });

  it("resolving asks for a note in the group, takes a photo, and tells the reporter", async () => {
    const reference = await submitOnYongde("杂物堆在门口两天了", false, "reporter-resolve");
    const clerk = inGroup("d2-clerk");
    await clerk.choose(caseActionChoice("claim", reference));
    expect(shownText(await clerk.choose(caseActionChoice("resolve", reference)))).toContain(`请回复 ${reference} 的处理说明`);
    expect(shownText(await clerk.text("好"))).toContain("5 到 1000 字");
    expect(shownText(await clerk.send({ type: "photo", fileId: await town.uploadPhoto(TINY_PNG(77)) }))).toContain("照片已收到");
    expect(notices(await clerk.text("已联系店主清理完毕，恢复通行"))).toEqual([`✅ ${reference} 已更新为“已解决”。`]);
    const report = await town.db.prisma.report.findUniqueOrThrow({
      where: { reference },
      include: { events: { orderBy: { createdAt: "asc" } } },
    });
    expect(report.status).toBe("RESOLVED");
    expect(report.events.at(-1)).toMatchObject({ note: "已联系店主清理完毕，恢复通行", actorLabel: "第二片区网格员" });
    expect(report.events.at(-1)?.photoId).not.toBeNull();
    const update = await town.db.prisma.outboxMessage.findFirst({
      where: { kind: "report.status", chatId: "reporter-resolve", payload: { path: ["status"], equals: "RESOLVED" } },
    });
    expect(shownText(renderOutboxRow(update!, TOWN_TIME_ZONE)!)).toContain("已联系店主清理完毕");
  });

  it("rejecting as a duplicate asks for the original again when it is mistyped, keeping the case open until done", async () => {
    const original = await submitOnYongde("占道摆摊卖水果", false, "reporter-original");
    const duplicate = await submitOnYongde("又是那个水果摊占道", false, "reporter-duplicate");
    const clerk = inGroup("d2-clerk");
    const reasons = lastChoices(await clerk.choose(caseActionChoice("reject", duplicate)));
    expect(reasons.map((r) => r.label)).toEqual(["不属于受理范围", "重复举报", "信息无效"]);
    expect(shownText(await clerk.choose(reasons[1]!.value))).toContain("原举报的编号");
    expect(shownText(await clerk.text(duplicate))).toContain("驳回理由");
    expect(shownText(await clerk.text("与之前的举报是同一个摊位"))).toContain("原举报编号无效");
    expect(await statusOf(duplicate)).toBe("SUBMITTED");
    await clerk.text(original);
    expect(notices(await clerk.text("与之前的举报是同一个摊位"))).toEqual([`✅ ${duplicate} 已更新为“未受理”。`]);
    const report = await town.db.prisma.report.findUniqueOrThrow({ where: { reference: duplicate }, include: { duplicateOf: true } });
    expect([report.status, report.rejectReason, report.duplicateOf?.reference]).toEqual(["REJECTED", "DUPLICATE", original]);
  });
});

describe("staff commands in a private chat", () => {
  it("/open lists only the open cases of my area, oldest first, each opening the case", async () => {
    const reference = await submitOnYongde("门口堆放纸箱", true, "reporter-open");
    const d2 = converse(town.services, { channel: "telegram", userId: "d2-clerk" });
    const options = lastChoices(await d2.command("open"));
    expect(options.some((option) => option.label.startsWith(reference))).toBe(true);
    expect(options.every((option) => option.value.startsWith("flow:case:view:"))).toBe(true);
    const d1 = converse(town.services, { channel: "telegram", userId: "d1-clerk" });
    expect(shownText(await d1.command("open"))).not.toContain(reference);
  });

  it("/case shows the full description and the reporter's contact only when the reporter allowed it", async () => {
    const allowed = await submitOnYongde("摊主电话13812345678，天天占道", true, "reporter-contact");
    const refused = await submitOnYongde("占道经营，电话13812345678", false, "reporter-private");
    const clerk = converse(town.services, { channel: "telegram", userId: "d2-clerk" });
    const shown = shownText(await clerk.command("case", allowed.toLowerCase()));
    expect(shown).toContain(`案件 ${allowed}`);
    expect(shown).toContain("13812345678");
    expect(shown).toContain("居民同意回访：王小明（Telegram：tg://user?id=reporter-contact）");
    const hidden = shownText(await clerk.command("case", refused));
    expect(hidden).toContain("居民未同意回访");
    expect(hidden).not.toContain("reporter-private");
    expect(shownText(await converse(town.services, { channel: "telegram", userId: "d1-clerk" }).command("case", allowed))).toContain(
      "只有负责该片区",
    );
    expect(shownText(await inGroup("d2-clerk").command("case", allowed))).not.toContain("13812345678");
    expect(shownText(await clerk.command("case", "WJ-2026-999999"))).toContain("没有找到编号为 WJ-2026-999999 的案件");
  });

  it("/deadletters shows an admin what failed without a robot's key, and retry queues it again", async () => {
    const admin = await bindStaff("outbox-admin", { role: "ADMIN", label: "镇管理员", districtCodes: [], roadCommitteeCodes: [] });
    const dead = await town.db.prisma.outboxMessage.create({
      data: {
        dedupeKey: "dead-letter-test",
        kind: "alert.new",
        channel: "wecom",
        chatId: WECOM_ROBOT,
        payload: {},
        status: "DEAD",
        attempts: 8,
        lastError: "WeCom robot answered HTTP 502",
      },
    });
    const replies = await admin.command("deadletters");
    const text = shownText(replies);
    expect(text).toContain("alert.new → 第二片区企业微信群，尝试 8 次，最后错误：WeCom robot answered HTTP 502");
    expect(text).not.toContain("secret-robot-key");
    const retry = lastChoices(replies).find((option) => option.value.endsWith(dead.id))!;
    expect(shownText(await admin.choose(retry.value))).toContain("已重新排队 1 条消息");
    expect(await town.db.prisma.outboxMessage.findUniqueOrThrow({ where: { id: dead.id } })).toMatchObject({
      status: "PENDING",
      attempts: 0,
    });
    const clerk = converse(town.services, { channel: "telegram", userId: "d2-clerk" });
    expect(shownText(await clerk.choose(retry.value))).toContain("仅限管理员");
  });
});

describe("alert groups managed in chat", () => {
  const NEW_GROUP = "-1001000000077";
  const inNewGroup = (userId: string) => converse(town.services, { channel: "telegram", userId, chatId: NEW_GROUP, chatType: "group" });

  it("an admin subscribes a group to a district from inside it; its alerts start, survive a re-import, and stop on request", async () => {
    await bindStaff("alerts-admin", { role: "ADMIN", label: "镇管理员", districtCodes: [], roadCommitteeCodes: [] });
    expect(shownText(await inNewGroup("d2-clerk").command("alerts"))).toContain("仅限管理员");
    const admin = inNewGroup("alerts-admin");
    const replies = await admin.command("alerts");
    expect(shownText(replies)).toContain("本群目前不接收举报告警");
    const d2 = lastChoices(replies).find((option) => option.label === "第二片区")!;
    await admin.choose(d2.value);
    const save = lastChoices(await admin.choose(d2.value)).find((option) => option.label === "✅ 保存")!;
    await admin.choose(d2.value);
    expect(shownText(await admin.choose(save.value))).toContain("已保存：本群将接收第二片区的新举报告警");
    expect(await town.db.prisma.alertDestination.findFirst({ where: { address: NEW_GROUP } })).toMatchObject({
      managedInChat: true,
      districtCodes: ["d2"],
      channel: "telegram",
    });

    const { data } = await readTownFile(SAMPLE_TOWN_FILE);
    await importTownData(town.db.prisma, { ...data, alertDestinations: [] }, "file-without-groups", TOWN_TIME_ZONE);
    const reference = await submitOnYongde("在新群订阅后提交的占道举报");
    expect(
      await town.db.prisma.outboxMessage.count({
        where: { kind: "alert.new", chatId: NEW_GROUP, payload: { path: ["reference"], equals: reference } },
      }),
    ).toBe(1);

    const again = await admin.command("alerts");
    expect(shownText(again)).toContain("本群目前接收：第二片区");
    expect(shownText(await admin.choose(lastChoices(again).find((option) => option.label === "🛑 停止接收")!.value))).toContain(
      "已停止接收",
    );
    expect(await town.db.prisma.alertDestination.count({ where: { address: NEW_GROUP } })).toBe(0);
  });

  it("a group set in the town-data file is not changed from chat, and the private list never shows a robot's key", async () => {
    const { data } = await readTownFile(SAMPLE_TOWN_FILE);
    await importTownData(
      town.db.prisma,
      {
        ...data,
        alertDestinations: [
          {
            code: "d2-robot",
            name: "第二片区企业微信群",
            wecomRobotUrl: WECOM_ROBOT,
            locale: "zh" as const,
            districts: ["d2"],
            roadCommittees: [],
            categories: [],
            escalation: false,
          },
          {
            code: "d2-group",
            name: "第二片区工作群",
            telegramChatId: D2_GROUP,
            locale: "zh" as const,
            districts: ["d2"],
            roadCommittees: [],
            categories: [],
            escalation: false,
          },
        ],
      },
      "file-with-groups-again",
      TOWN_TIME_ZONE,
    );
    expect(shownText(await inGroup("alerts-admin").command("alerts"))).toContain("写在镇数据文件中");
    const list = shownText(await converse(town.services, { channel: "telegram", userId: "alerts-admin" }).command("alerts"));
    expect(list).toContain("第二片区企业微信群（wecom）：第二片区，数据文件");
    expect(list).not.toContain("secret-robot-key");
  });
});

describe("signing in to the web console with /web", () => {
  const tokenOf = (replies: OutboundMessage[]) => {
    const link = replies.find((reply) => reply.type === "link");
    if (link?.type !== "link") throw new Error(`no link in ${JSON.stringify(replies)}`);
    const url = new URL(link.url);
    expect(`${url.origin}${url.pathname}`).toBe("http://127.0.0.1:3000/console/sign-in");
    return url.searchParams.get("token") ?? "";
  };

  it("staff get a one-time link in a private chat, on any channel, in both languages, that signs them in once", async () => {
    const chat = await bindStaff("web-clerk", {
      role: "DISTRICT_STAFF",
      label: "第二片区网页员",
      districtCodes: ["d2"],
      roadCommitteeCodes: [],
    });
    const replies = await chat.command("web");
    expect(shownText(replies)).toBe("这是您的网页工作台登录链接，10 分钟内有效，只能使用一次。请勿转发给他人。\n登录网页工作台");
    const token = tokenOf(replies);
    expect((await town.services.signIn.redeem(token)).type).toBe("signedIn");
    expect(await town.services.signIn.redeem(token)).toEqual({ type: "used" });

    const invite = await town.staff.invite("bootstrap", {
      role: "ACADEMY_STAFF",
      label: "Academy desk",
      districtCodes: [],
      roadCommitteeCodes: [],
    });
    if (invite.type !== "created") throw new Error(invite.type);
    const onWecom = converse(town.services, { channel: "wecom", userId: "web-academy", locale: "en" });
    await onWecom.command("join", invite.code);
    const english = await onWecom.command("web");
    expect(shownText(english)).toContain("valid for 10 minutes and works once");
    expect((await town.services.signIn.redeem(tokenOf(english))).type).toBe("signedIn");
  });

  it("in a group chat the link is refused, with a pointer to the private chat, and no link is made", async () => {
    await bindStaff("web-in-group", { role: "DISTRICT_STAFF", label: "第二片区群员", districtCodes: ["d2"], roadCommitteeCodes: [] });
    const before = await town.db.prisma.staffSignInLink.count();
    const replies = await inGroup("web-in-group").command("web");
    expect(replies).toEqual([{ type: "text", text: "登录链接只发在私聊中。请在与「邻里」的私聊中发送 /web。" }]);
    expect(await town.db.prisma.staffSignInLink.count()).toBe(before);
  });

  it("a resident gets the staff-only answer and no link", async () => {
    const replies = await converse(town.services, { channel: "telegram", userId: "web-resident" }).command("web");
    expect(shownText(replies)).toContain("此功能仅供登记的工作人员使用");
    expect(replies.some((reply) => reply.type === "link")).toBe(false);
  });

  it("an admin revoking a member with /staff signs them out of the web console everywhere", async () => {
    const admin = await bindStaff("web-revoking-admin", { role: "ADMIN", label: "网页管理员", districtCodes: [], roadCommitteeCodes: [] });
    const clerk = await bindStaff("web-leaver", {
      role: "DISTRICT_STAFF",
      label: "网页离职员",
      districtCodes: ["d2"],
      roadCommitteeCodes: [],
    });
    const sessions = [];
    for (const device of ["phone", "desk"]) {
      const signedIn = await town.services.signIn.redeem(tokenOf(await clerk.command("web")));
      if (signedIn.type !== "signedIn") throw new Error(`${device}: ${signedIn.type}`);
      sessions.push(signedIn.session.sessionId);
    }
    for (const sessionId of sessions) expect(await town.services.signIn.session(sessionId)).toBeDefined();

    const leaving = lastChoices(await admin.command("staff")).find((option) => option.label.startsWith("网页离职员"))!;
    await admin.choose(leaving.value);
    expect(shownText(await admin.choose("yes"))).toContain("已撤销");
    for (const sessionId of sessions) expect(await town.services.signIn.session(sessionId)).toBeUndefined();
    expect(shownText(await clerk.command("web"))).toContain("此功能仅供登记的工作人员使用");
  });
});
