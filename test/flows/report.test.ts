import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OutboundMessage } from "../../src/flows/kit/messages.ts";
import { converse, lastChoices, shownText } from "../support/conversation.ts";
import { openSampleServices, type SampleServices, TINY_PNG, TINY_TEXT_FILE } from "../support/town.ts";

let town: SampleServices;

beforeAll(async () => {
  town = await openSampleServices();
});
afterAll(async () => {
  await town.close();
});

/** The value of the option whose label contains `label` in the last choices shown. */
function option(replies: OutboundMessage[], label: string): string {
  const found = lastChoices(replies).find((o) => o.label.includes(label));
  if (!found)
    throw new Error(
      `no option "${label}" in: ${lastChoices(replies)
        .map((o) => o.label)
        .join(" | ")}`,
    );
  return found.value;
}

/** Presses through the road picker's pages until the road is shown, then picks it. */
async function pickRoad(chat: ReturnType<typeof converse>, replies: OutboundMessage[], road: string): Promise<OutboundMessage[]> {
  for (let page = 0; page < 10; page++) {
    const found = lastChoices(replies).find((o) => o.label === road);
    if (found) return chat.choose(found.value);
    replies = await chat.choose(option(replies, "下一页"));
  }
  throw new Error(`road ${road} is on no page`);
}

/** Files a new report anyway when the bot shows open reports of the same problem nearby (earlier tests filed some). */
async function pastDuplicates(chat: ReturnType<typeof converse>, replies: OutboundMessage[]): Promise<OutboundMessage[]> {
  return shownText(replies).includes("已经有人举报") ? chat.choose(option(replies, "仍然提交")) : replies;
}

/** From the photo question to the summary: no photos, the description, no shop, no contact. */
async function skipPhotosToSummary(
  chat: ReturnType<typeof converse>,
  replies: OutboundMessage[],
  description: string,
): Promise<OutboundMessage[]> {
  await chat.choose(option(replies, "跳过"));
  replies = await chat.text(description);
  if (shownText(replies).includes("哪家商户")) replies = await chat.choose(option(replies, "不涉及"));
  return chat.choose(option(replies, "不用联系我"));
}

/** Walks a resident from /report to the summary: pavement trading at 永德路12号, no photos. */
async function toSummary(chat: ReturnType<typeof converse>) {
  let replies = await chat.command("report");
  replies = await chat.choose(option(replies, "占道经营"));
  replies = await pastDuplicates(chat, await chat.text("永德路12号"));
  return skipPhotosToSummary(chat, replies, "店门口摆了三张桌子，行人只能走机动车道");
}

describe("reporting a street problem", () => {
  it("free text names the problem and the place: the bot suggests the category and keeps the address and words", async () => {
    const chat = converse(town.services, { userId: "free-text" });
    let replies = await chat.text("永德路12号门口又在占道摆摊，行人都没法走");
    expect(shownText(replies)).toContain("看起来是「占道经营」");
    replies = await pastDuplicates(chat, await chat.choose(option(replies, "是的")));
    // Place and description came with the text, so the next question is the photos.
    expect(shownText(replies)).toContain("最多 3 张现场照片");
    replies = await chat.choose(option(replies, "跳过"));
    if (shownText(replies).includes("哪家商户")) replies = await chat.choose(option(replies, "不涉及"));
    replies = await chat.choose(option(replies, "允许联系我"));
    const summary = shownText(replies);
    expect(summary).toContain("类别：占道经营");
    expect(summary).toContain("地点：永德路12号");
    expect(summary).toContain("描述：永德路12号门口又在占道摆摊，行人都没法走");
    expect(summary).toMatch(/将提交给：第.路管会/);
    const done = shownText(await chat.choose(option(replies, "确认提交")));
    expect(done).toMatch(/已提交，编号 WJ-\d{4}-\d{6}/);
  });

  it("a resident who picks a road and types a house number gets a summary naming the committee it goes to, and submits", async () => {
    const chat = converse(town.services, { userId: "road-picker" });
    let replies = await chat.command("report");
    replies = await chat.choose(option(replies, "违规停车"));
    replies = await chat.choose(option(replies, "选择道路"));
    replies = await pickRoad(chat, replies, "永德路");
    expect(shownText(replies)).toContain("永德路的门牌号是多少");
    replies = await chat.text("十二");
    expect(shownText(replies)).toContain("门牌号请输入 1 到 99999 之间的数字");
    replies = await chat.text("9999");
    expect(shownText(replies)).toContain("永德路没有9999号的记录");
    replies = await pastDuplicates(chat, await chat.text("351"));
    expect(shownText(replies)).toContain("最多 3 张现场照片");
    replies = await skipPhotosToSummary(chat, replies, "电动车把人行道全堵了");
    expect(shownText(replies)).toContain("地点：永德路351号");
    const done = shownText(await chat.choose(option(replies, "确认提交")));
    expect(done).toMatch(/编号 (WJ-\d{4}-\d{6})/);
    const reference = /编号 (WJ-\d{4}-\d{6})/.exec(done)![1]!;
    const view = shownText(await chat.command("report", reference));
    expect(view).toContain(`举报 ${reference} · 已提交`);
    expect(view).toContain("提交举报");
  });

  it("Back returns to the previous question at every step, keeping what was answered", async () => {
    const chat = converse(town.services, { userId: "back" });
    let replies = await chat.command("report");
    replies = await chat.choose(option(replies, "噪音扰民"));
    replies = await chat.choose(option(replies, "选择道路"));
    replies = await chat.choose(option(replies, "返回"));
    expect(shownText(replies)).toContain("问题发生在哪里");
    replies = await chat.choose(option(replies, "返回"));
    expect(shownText(replies)).toContain("请选择问题类别");
    replies = await chat.choose(option(replies, "噪音扰民"));
    expect(shownText(replies)).toContain("问题发生在哪里");
  });

  it("a photo where text is expected, a sticker, and a too-short description get a clear answer and the report goes on", async () => {
    const chat = converse(town.services, { userId: "bad-input" });
    let replies = await chat.command("report");
    replies = await chat.send({ type: "unsupported", kind: "sticker" });
    expect(shownText(replies)).toContain("请点击上面的按钮选择");
    replies = await chat.choose(option(replies, "乱堆乱放"));
    replies = await chat.text("鹤庆路20号");
    replies = await chat.choose(option(replies, "跳过"));
    replies = await chat.text("好");
    expect(shownText(replies)).toContain("描述太短了");
    replies = await chat.text("x".repeat(1200));
    expect(shownText(replies)).toContain("描述太长了");
    replies = await chat.text("楼道口堆满了纸箱和旧家具");
    expect(shownText(replies)).toMatch(/哪家商户|是否允许工作人员联系您/);
  });

  it("photos: up to three are kept; a non-image and a file over the size limit are refused politely", async () => {
    const chat = converse(town.services, { userId: "photos" });
    let replies = await chat.command("report");
    replies = await chat.choose(option(replies, "环境卫生"));
    replies = await pastDuplicates(chat, await chat.text("永德路20号"));
    expect(shownText(replies)).toContain("最多 3 张现场照片");
    replies = await chat.send({ type: "photo", fileId: await town.uploadPhoto(TINY_TEXT_FILE) });
    expect(shownText(replies)).toContain("不是图片");
    replies = await chat.send({ type: "photo", fileId: "huge", sizeBytes: 10 * 1024 * 1024 });
    expect(shownText(replies)).toContain("这张照片太大了");
    for (let i = 1; i <= 3; i++) {
      replies = await chat.send({ type: "photo", fileId: await town.uploadPhoto(TINY_PNG(i)) });
      expect(shownText(replies)).toContain(`已收到第 ${i} 张照片`);
    }
    replies = await chat.send({ type: "photo", fileId: await town.uploadPhoto(TINY_PNG(4)) });
    expect(shownText(replies)).toContain("最多 3 张照片");
    replies = await chat.choose(option(replies, "完成"));
    replies = await chat.text("垃圾桶满了好几天没人清理");
    if (shownText(replies).includes("哪家商户")) replies = await chat.choose(option(replies, "不涉及"));
    replies = await chat.choose(option(replies, "不用联系我"));
    expect(shownText(replies)).toContain("照片：3 张");
  });

  it("a shared location needs consent first; refusing still lets the resident report by road", async () => {
    const chat = converse(town.services, { userId: "consent" });
    let replies = await chat.command("report");
    replies = await chat.choose(option(replies, "油烟扰民"));
    replies = await chat.location(31.05, 121.42);
    expect(shownText(replies)).toContain("同意提供精确位置吗");
    replies = await chat.choose(option(replies, "不同意"));
    expect(shownText(replies)).toContain("不使用精确位置");
    expect(shownText(replies)).toContain("请选择道路");

    const agreeing = converse(town.services, { userId: "consent-yes" });
    replies = await agreeing.command("report");
    replies = await agreeing.choose(option(replies, "油烟扰民"));
    replies = await agreeing.choose(option(replies, "发送位置"));
    replies = await agreeing.choose(option(replies, "同意"));
    expect(replies.some((reply) => reply.type === "locationRequest")).toBe(true);
    replies = await agreeing.location(31.2304, 121.4737);
    expect(shownText(replies)).toContain("不在吴泾镇范围内");
    replies = await agreeing.location(31.05, 121.42);
    expect(shownText(replies)).toContain("最多 3 张现场照片");
  });

  it("a road that does not exist is said so and the road list is offered", async () => {
    const chat = converse(town.services, { userId: "no-road" });
    let replies = await chat.command("report");
    replies = await chat.choose(option(replies, "违规停车"));
    replies = await chat.text("火星大道88号");
    expect(shownText(replies)).toContain("没有找到“火星大道88号”");
    expect(shownText(replies)).toContain("请选择道路");
    expect(lastChoices(replies).filter((o) => o.label.endsWith("路")).length).toBeGreaterThan(5);
    expect(shownText(await pickRoad(chat, replies, "永德路"))).toContain("永德路的门牌号是多少");
  });

  it("an interrupted report is kept: another command sets it aside and /report resumes it at the same step", async () => {
    const chat = converse(town.services, { userId: "resume" });
    let replies = await chat.command("report");
    replies = await chat.choose(option(replies, "破坏绿化"));
    replies = await chat.text("永德路30号");
    expect(shownText(replies)).toContain("最多 3 张现场照片");
    replies = await chat.command("lookup", "紫竹半岛");
    expect(shownText(replies)).toContain("已为您保存");
    expect(shownText(replies)).toContain("属于【第四片区】");
    replies = await chat.command("report");
    expect(shownText(replies)).toContain("最多 3 张现场照片");
  });

  it("a report left idle past the timeout is kept as a draft and resumes with /report", async () => {
    let now = new Date("2026-11-26T10:00:00Z");
    const chat = converse(town.services, { userId: "idle", now: () => now });
    let replies = await chat.command("report");
    replies = await chat.choose(option(replies, "违规停车"));
    now = new Date("2026-11-26T12:00:00Z");
    replies = await chat.text("你好");
    expect(shownText(replies)).toContain("已为您保存草稿");
    replies = await chat.command("report");
    expect(shownText(replies)).toContain("问题发生在哪里");
  });

  it("the summary can edit a step and comes back to the summary; /cancel drops the draft", async () => {
    const chat = converse(town.services, { userId: "edit" });
    let replies = await toSummary(chat);
    replies = await chat.choose(option(replies, "改描述"));
    expect(shownText(replies)).toContain("请简单描述问题");
    replies = await chat.text("桌子摆到了盲道上");
    expect(shownText(replies)).toContain("描述：桌子摆到了盲道上");
    expect(shownText(await chat.command("cancel"))).toContain("已取消");
    expect(shownText(await chat.command("report"))).toContain("请选择问题类别");
  });

  it("a second resident reporting the same problem nearby is offered to follow the open report as soon as the place is known", async () => {
    const first = converse(town.services, { userId: "dup-first" });
    let replies = await first.command("report");
    replies = await first.choose(option(replies, "违规停车"));
    replies = await pastDuplicates(first, await first.text("华宁路100号"));
    replies = await skipPhotosToSummary(first, replies, "好几辆车长期停在人行道上");
    const reference = /编号 (WJ-\d{4}-\d{6})/.exec(shownText(await first.choose(option(replies, "确认提交"))))![1]!;

    const second = converse(town.services, { userId: "dup-second" });
    replies = await second.command("report");
    replies = await second.choose(option(replies, "违规停车"));
    // Before any photo or description is asked for.
    replies = await second.text("华宁路104号");
    expect(shownText(replies)).toContain("已经有人举报");
    expect(shownText(replies)).toContain(reference);
    const followed = shownText(await second.choose(option(replies, `关注 ${reference}`)));
    expect(followed).toContain(`已为您关注 ${reference}`);
    expect(shownText(await second.command("myreports"))).toContain(`${reference}`);
  });

  it("a resident who files anyway is not asked again until the place changes, and then only about reports not yet shown", async () => {
    /** Files a noise report at the house number on 华宁路, past any report shown nearby; its reference. */
    const fileNoise = async (userId: string, houseNumber: number) => {
      const chat = converse(town.services, { userId });
      let replies = await chat.command("report");
      replies = await chat.choose(option(replies, "噪音扰民"));
      replies = await pastDuplicates(chat, await chat.text(`华宁路${houseNumber}号`));
      replies = await skipPhotosToSummary(chat, replies, "夜里施工的机器声很大");
      return /编号 (WJ-\d{4}-\d{6})/.exec(shownText(await chat.choose(option(replies, "确认提交"))))![1]!;
    };
    const reference = await fileNoise("dup-anyway-first", 200);

    const second = converse(town.services, { userId: "dup-anyway-second" });
    let replies = await second.command("report");
    replies = await second.choose(option(replies, "噪音扰民"));
    replies = await second.text("华宁路202号");
    expect(shownText(replies)).toContain(reference);
    replies = await second.choose(option(replies, "仍然提交"));
    expect(shownText(replies)).toContain("最多 3 张现场照片");
    replies = await skipPhotosToSummary(second, replies, "工地的电锯声一直到半夜");
    expect(shownText(replies)).toContain("地点：华宁路202号");
    // Meanwhile someone else reports the same noise; the resident then moves the report along the road.
    const later = await fileNoise("dup-anyway-third", 204);
    replies = await second.choose(option(replies, "改地点"));
    replies = await second.text("华宁路206号");
    expect(shownText(replies)).toContain(later);
    expect(shownText(replies)).not.toContain(reference);
    expect(shownText(await second.choose(option(replies, "仍然提交")))).toContain("地点：华宁路206号");
  });

  it("a resident who files anyway is never made a follower of a nearby report they were not shown, only of one filed after they were shown the list", async () => {
    /** Files a fumes report at the house number on 景洪路, past any report shown nearby; its reference. */
    const fileFumes = async (userId: string, houseNumber: number) => {
      const chat = converse(town.services, { userId });
      let replies = await chat.command("report");
      replies = await chat.choose(option(replies, "油烟"));
      replies = await pastDuplicates(chat, await chat.text(`景洪路${houseNumber}号`));
      replies = await skipPhotosToSummary(chat, replies, "饭店的油烟直接排到楼道里");
      return /编号 (WJ-\d{4}-\d{6})/.exec(shownText(await chat.choose(option(replies, "确认提交"))))![1]!;
    };
    const earlier = [];
    for (const [n, houseNumber] of [100, 102, 104, 106].entries()) earlier.push(await fileFumes(`declined-earlier-${n}`, houseNumber));

    /** A resident shown the nearby reports who files anyway, up to the summary; what they were shown. */
    const anyway = async (userId: string) => {
      const chat = converse(town.services, { userId });
      let replies = await chat.command("report");
      replies = await chat.choose(option(replies, "油烟"));
      replies = await chat.text("景洪路103号");
      const shown = shownText(replies);
      expect(shown).toContain("已经有人举报");
      replies = await chat.choose(option(replies, "仍然提交"));
      return { chat, shown, summary: await skipPhotosToSummary(chat, replies, "楼下饭店油烟呛得开不了窗") };
    };

    const declined = await anyway("declined-anyway");
    // Three are shown; the oldest of the four is not.
    expect(earlier.filter((reference) => declined.shown.includes(reference))).toEqual(earlier.slice(1));
    const done = shownText(await declined.chat.choose(option(declined.summary, "确认提交")));
    expect(done).toMatch(/已提交，编号 WJ-\d{4}-\d{6}/);
    expect(earlier.some((reference) => done.includes(reference))).toBe(false);
    expect(shownText(await declined.chat.command("myreports"))).not.toMatch(new RegExp(earlier.join("|")));

    const meanwhile = await anyway("declined-meanwhile");
    const later = await fileFumes("declined-later", 110);
    const folded = shownText(await meanwhile.chat.choose(option(meanwhile.summary, "确认提交")));
    expect(folded).toContain(`刚刚已有人提交了同一个问题（${later}）`);
  });

  it("/myreports lists the resident's reports and opens one with its timeline", async () => {
    const chat = converse(town.services, { userId: "mine" });
    expect(shownText(await chat.command("myreports"))).toContain("还没有提交或关注任何举报");
    const summary = await toSummary(chat);
    const reference = /编号 (WJ-\d{4}-\d{6})/.exec(shownText(await chat.choose(option(summary, "确认提交"))))![1]!;
    const list = await chat.command("myreports");
    const view = shownText(await chat.choose(option(list, reference)));
    expect(view).toContain(`举报 ${reference}`);
    expect(view).toContain("处理记录");
  });

  it("a phone number in the words is never read as a house number, whether the place comes with the first message or is typed when asked", async () => {
    const freeText = converse(town.services, { userId: "phone-in-text" });
    let replies = await freeText.text("华宁路门口天天有人摆摊占道经营，我电话13816602375");
    replies = await pastDuplicates(freeText, await freeText.choose(option(replies, "是的")));
    expect(shownText(replies)).not.toContain("13816号");
    replies = await skipPhotosToSummary(freeText, replies, "华宁路门口天天有人摆摊占道经营，我电话13816602375");
    expect(shownText(replies)).toContain("地点：华宁路\n");

    const typed = converse(town.services, { userId: "phone-in-address" });
    replies = await typed.command("report");
    replies = await typed.choose(option(replies, "违规停车"));
    replies = await pastDuplicates(typed, await typed.text("华宁路，我电话 １３８ １６６０ ２３７５"));
    expect(shownText(replies)).not.toMatch(/没有\d+号的记录/);
    expect(shownText(replies)).toContain("最多 3 张现场照片");
  });

  it("/report <reference> shows the reporter, a follower and staff the description, the house number and the history, and anyone else only the kind, the road and the status", async () => {
    const reporter = converse(town.services, { userId: "view-reporter" });
    let replies = await reporter.command("report");
    replies = await reporter.choose(option(replies, "违规停车"));
    replies = await pastDuplicates(reporter, await reporter.text("鹤庆路150号"));
    replies = await skipPhotosToSummary(reporter, replies, "白色面包车一直停在盲道上，车主电话13812345678");
    const reference = /编号 (WJ-\d{4}-\d{6})/.exec(shownText(await reporter.choose(option(replies, "确认提交"))))![1]!;
    await town.reports.acknowledge(reference, { staffId: "staff-view", label: "第二片区工作人员" });
    await town.reports.startProgress(reference, { staffId: "staff-view", label: "第二片区工作人员" }, "已通知车主挪车");
    const follower = converse(town.services, { userId: "view-follower" });
    expect(shownText(await follower.command("report", reference))).not.toContain("盲道");
    await town.reports.follow(reference, { channel: "web", userId: "view-follower", chatId: "view-follower", locale: "zh" });
    const invitation = await town.staff.invite("bootstrap", {
      role: "DISTRICT_STAFF",
      label: "第一片区工作人员",
      districtCodes: ["d1"],
      roadCommitteeCodes: [],
    });
    if (invitation.type !== "created") throw new Error("expected an invitation");
    await town.staff.redeem(invitation.code, { channel: "web", userId: "view-staff", chatId: "view-staff", locale: "zh" });

    for (const userId of ["view-reporter", "view-follower", "view-staff"]) {
      const view = shownText(await converse(town.services, { userId }).command("report", reference));
      expect(view, userId).toContain(`举报 ${reference} · 处理中`);
      expect(view, userId).toContain("地点：鹤庆路150号");
      expect(view, userId).toContain("描述：白色面包车一直停在盲道上，车主电话138****5678");
      expect(view, userId).toContain("处理记录");
      expect(view, userId).toContain("已通知车主挪车");
    }

    const stranger = shownText(await converse(town.services, { userId: "view-stranger" }).command("report", reference.toLowerCase()));
    expect(stranger).toContain(`举报 ${reference} · 处理中`);
    expect(stranger).toContain("类别：违规停车");
    expect(stranger).toContain("道路：鹤庆路");
    expect(stranger).toContain("只有举报人、关注者和工作人员可以查看");
    for (const hidden of ["150", "盲道", "5678", "处理记录：", "已通知车主挪车", "处理单位", "关注人数", "照片"])
      expect(stranger).not.toContain(hidden);
    const inEnglish = shownText(await converse(town.services, { userId: "view-stranger-en", locale: "en" }).command("report", reference));
    expect(inEnglish).toContain(`Report ${reference} · In progress`);
    expect(inEnglish).toContain("Road: Heqing Road");
    expect(inEnglish).toContain("shown only to the reporter, followers and staff");
    expect(inEnglish).not.toMatch(/150|History:|Handled by/);
  });

  it("an English-speaking resident is asked everything in English", async () => {
    const chat = converse(town.services, { userId: "english", locale: "en" });
    const replies = await chat.command("report");
    expect(shownText(replies)).toContain("Pick the kind of problem");
    expect(lastChoices(replies).map((o) => o.label)).toContain("Illegal parking");
  });
});
