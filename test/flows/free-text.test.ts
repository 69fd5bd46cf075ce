import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMemoryStore } from "../../src/bot/sessions/memory-store.ts";
import type { OutboundMessage } from "../../src/flows/kit/messages.ts";
import { en } from "../../src/flows/i18n/en.ts";
import { zh } from "../../src/flows/i18n/zh.ts";
import { converse, lastChoices, shownText } from "../support/conversation.ts";
import { openSampleServices, SAMPLE_WORDS, type SampleServices } from "../support/town.ts";

// While the sample town's first class takes sign-ups.
const now = new Date("2026-12-01T02:00:00Z");
const COHORT = "talent-2027-1";
let town: SampleServices;

beforeAll(async () => {
  town = await openSampleServices({ clock: () => now });
});
afterAll(async () => {
  await town.close();
});

const resident = (userId: string) => converse(town.services, { userId, now: () => now });

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

describe("free text with nothing in progress goes where Linli reads it", () => {
  it("a question about a class's sign-up opens the class list", async () => {
    expect(shownText(await resident("intent-classes").text("社区达人精品班现在还能报名吗"))).toContain(
      zh.classes.listTitle(SAMPLE_WORDS.town),
    );
  });

  it("a question about a district is answered by the lookup", async () => {
    expect(shownText(await resident("intent-lookup").text("紫竹半岛是哪个片区的"))).toContain("紫竹半岛居民区 属于【第四片区】");
  });

  it("a question about the street compact shows how many shops on each road signed it", async () => {
    expect(shownText(await resident("intent-compact").text("永德路上有多少家店签了街区公约"))).toMatch(
      /永德路：已签署现行公约 \d+\/\d+ 家/,
    );
  });

  it("asking about one's earlier reports lists them, and a quoted reference opens that report", async () => {
    const user = { channel: "web" as const, userId: "intent-mine", chatId: "intent-mine", locale: "zh" as const };
    const filed = await town.reports.submit(
      {
        categoryCode: "pavement-trading",
        place: { roadCode: "yongde", houseNumber: 16 },
        description: "店门口摆了两张桌子卖水果",
        photoIds: [],
        contactAllowed: false,
      },
      user,
      { checkedAt: now, declined: [] },
    );
    if (filed.type !== "created") throw new Error(`expected a new report, got ${filed.type}`);
    const chat = resident("intent-mine");
    const list = await chat.text("我之前反映的占道问题处理得怎么样了");
    expect(shownText(list)).toContain(zh.myReports.title);
    expect(lastChoices(list).some((o) => o.label.includes(filed.reference))).toBe(true);
    expect(shownText(await chat.text(`${filed.reference} 这个处理到哪一步了`))).toContain(`举报 ${filed.reference}`);
  });

  it("a matter outside Linli's remit is answered politely in the resident's language with the town office's phone and hours and the 12345 hotline, then the menu", async () => {
    const replies = await resident("intent-remit").text("我家卫生间漏水，物业一直拖着不来修");
    const { office } = town.grid.index.snapshot.town;
    expect(shownText(replies)).toContain(zh.understand.outOfRemit(office.name.zh, office.phone, office.hours.zh));
    expect(shownText(replies)).toContain("12345");
    expect(replies.at(-1)).toMatchObject({ type: "choices", text: zh.menu.text });
    const english = shownText(
      await converse(town.services, { userId: "intent-remit-en", locale: "en" }).text("my water pipe is leaking at home"),
    );
    expect(english).toContain(en.understand.outOfRemit(office.name.en, office.phone, office.hours.en));
  });

  it("a greeting is answered briefly, with the main menu", async () => {
    const replies = await resident("intent-greeting").text("你好");
    expect(replies[0]).toEqual({ type: "text", text: zh.understand.greeting });
    expect(replies.at(-1)).toMatchObject({ type: "choices", text: zh.menu.text });
  });

  it("a complaint starts a report with the category suggested from the words and the place taken from them", async () => {
    const chat = resident("intent-report");
    let replies = await chat.text("投诉一下，永德路128号奶茶店在店外面支了张桌子卖东西");
    expect(shownText(replies)).toContain("看起来是「占道经营」");
    replies = await chat.choose(option(replies, "是的"));
    if (shownText(replies).includes("已经有人举报")) replies = await chat.choose(option(replies, "仍然提交"));
    // The place came with the words: the next question is the photos, not where it happened.
    expect(shownText(replies)).toContain("最多 3 张现场照片");
    expect(shownText(replies)).not.toContain("问题发生在哪里");
  });

  it("asking how to use Linli shows the help", async () => {
    expect(shownText(await resident("intent-help").text("怎么用"))).toContain(zh.help.intro);
  });

  it("asking for cases to handle lists a registered staff member's open cases, and shows a resident the main menu", async () => {
    const invitation = await town.staff.invite("bootstrap", {
      role: "DISTRICT_STAFF",
      label: "第四片区工作人员",
      districtCodes: ["d4"],
      roadCommitteeCodes: [],
    });
    if (invitation.type !== "created") throw new Error("expected an invitation");
    await town.staff.redeem(invitation.code, { channel: "web", userId: "intent-staff", chatId: "intent-staff", locale: "zh" });
    const cases = await resident("intent-staff").text("有什么要处理的案子");
    expect(cases).toEqual([expect.objectContaining({ text: expect.stringMatching(new RegExp(`^(待办案件共|${zh.staff.open.empty})`)) })]);
    const replies = await resident("intent-not-staff").text("有什么要处理的案子");
    expect(replies).toEqual([expect.objectContaining({ type: "choices", text: zh.menu.text })]);
  });
});

describe("when Linli is not sure, it asks one question", () => {
  it("an unclear message gets one question with a button per likely intent, and a button pressed after a restart acts on the original words", async () => {
    const store = createMemoryStore();
    const replies = await converse(town.services, { store, userId: "unsure" }).text("火星基地");
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatchObject({ type: "choices", text: expect.stringMatching(/^您是想：.+ \/ .+？$/) });
    const lookup = option(replies, zh.understand.intents.lookup);
    // A new dispatcher on the same store: nothing of the question survives in memory.
    const restarted = converse(town.services, { store, userId: "unsure" }).dispatcher;
    const pressed = await restarted.handle({
      channel: "web",
      userId: "unsure",
      chatId: "unsure",
      chatType: "private",
      messageId: "unsure:after-restart",
      localeHint: "zh",
      payload: { type: "choice", value: lookup },
    });
    expect(shownText(pressed)).toContain(zh.lookup.notFound("火星基地"));
  });
});

describe("text typed where a flow expects an answer", () => {
  it("我要报名 typed during a report offers to switch; carrying on keeps the report, switching keeps the draft for /report", async () => {
    const chat = resident("switch-report");
    let replies = await chat.command("report");
    replies = await chat.choose(option(replies, "破坏绿化"));
    replies = await chat.text("永德路40号");
    if (shownText(replies).includes("已经有人举报")) replies = await chat.choose(option(replies, "仍然提交"));
    expect(shownText(replies)).toContain("最多 3 张现场照片");

    replies = await chat.text("我要报名");
    expect(shownText(replies)).toContain(zh.understand.switchOffer(zh.flowNames.classes));
    expect(shownText(await chat.choose(option(replies, zh.understand.keepGoing(zh.flowNames.report))))).toContain("最多 3 张现场照片");

    replies = await chat.text("我要报名");
    replies = await chat.choose(option(replies, zh.understand.switchTo(zh.flowNames.classes)));
    expect(shownText(replies)).toContain("已为您保存");
    expect(shownText(replies)).toContain(zh.classes.listTitle(SAMPLE_WORDS.town));
    expect(shownText(await chat.command("report"))).toContain("最多 3 张现场照片");
  });

  it("a question typed at the name prompt of a class sign-up is answered with where and when the class meets, not taken as a name", async () => {
    const chat = resident("name-question");
    await chat.choose(`flow:classes:signup:${COHORT}`);
    await chat.choose("privacy:yes");
    const replies = shownText(await chat.text("这个课在哪里上？"));
    expect(replies).toContain(zh.classes.notAName);
    expect(replies).toContain("📍 地点：");
    expect(replies).not.toContain(zh.classes.askMobile);
    expect(shownText(await chat.text("王芳"))).toContain(zh.classes.askMobile);
  });

  it("words at the name prompt that read as a question are taken as the name when sent again", async () => {
    const chat = resident("name-insisted");
    await chat.choose(`flow:classes:signup:${COHORT}`);
    await chat.choose("privacy:yes");
    expect(shownText(await chat.text("这个课几点开始"))).toContain(zh.classes.nameAgain);
    expect(shownText(await chat.text("这个课几点开始"))).toContain(zh.classes.askMobile);
  });

  it("a district question typed after /shop is offered the lookup instead of being refused as a wrong code", async () => {
    const chat = resident("shop-question");
    await chat.command("shop");
    const replies = await chat.text("紫竹半岛归哪个片区管");
    expect(shownText(replies)).toContain(zh.compact.bind.notACode(zh.understand.intents.lookup));
    expect(shownText(replies)).not.toContain(zh.compact.bind.invalid);
    expect(shownText(await chat.choose(option(replies, zh.understand.intents.lookup)))).toContain("紫竹半岛居民区 属于【第四片区】");
  });
});
