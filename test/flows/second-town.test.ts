import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StaffGrant } from "../../src/domain/staff/registry.ts";
import type { OutboundMessage } from "../../src/flows/kit/messages.ts";
import { converse, lastChoices, shownText } from "../support/conversation.ts";
import { openTownServices, sampleTownWords, SECOND_TOWN_FILE, type SampleServices } from "../support/town.ts";

let town: SampleServices;
/** Every name of the sample town a resident could recognise, read from its file: none may reach another town's chat. */
let firstTownWords: string[];
/** How many replies were scanned, so a run that scanned nothing cannot pass. */
let scanned = 0;

beforeAll(async () => {
  town = await openTownServices(SECOND_TOWN_FILE);
  firstTownWords = await sampleTownWords();
});
afterAll(async () => {
  await town?.close();
});

/** The first town's words in what the replies show (texts, captions, button labels). */
function firstTownWordsIn(replies: OutboundMessage[]): string[] {
  const shown = shownText(replies);
  return firstTownWords.filter((word) => shown.includes(word));
}

type Chat = ReturnType<typeof converse>;

/**
 * A person chatting with the second town's Linli: every reply is checked for the
 * first town's words as it arrives, and a failure names the step and the reply.
 */
function person(userId: string, options: Parameters<typeof converse>[1] = {}) {
  const chat = converse(town.services, { userId, ...options });
  const checked = async (step: string, sent: Promise<OutboundMessage[]>) => {
    const replies = await sent;
    scanned += replies.length;
    expect(firstTownWordsIn(replies), `${userId} ${step} was answered with: ${shownText(replies)}`).toEqual([]);
    return replies;
  };
  return {
    text: (text: string) => checked(`typing “${text}”`, chat.text(text)),
    command: (command: string, args = "") => checked(`sending /${command} ${args}`, chat.command(command, args)),
    choose: (value: string) => checked(`pressing ${value}`, chat.choose(value)),
    location: (latitude: number, longitude: number) => checked(`sharing ${latitude},${longitude}`, chat.location(latitude, longitude)),
  } satisfies Pick<Chat, "text" | "command" | "choose" | "location">;
}

type Person = ReturnType<typeof person>;

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

/** From the question after the place to the Chinese summary, answering whatever is asked on the way (a shop when one is offered). */
async function toSummary(chat: Person, replies: OutboundMessage[], description: string): Promise<OutboundMessage[]> {
  for (let step = 0; step < 8; step++) {
    const shown = shownText(replies);
    if (shown.includes("确认提交")) return replies;
    if (shown.includes("已经有人举报")) replies = await chat.choose(option(replies, "仍然提交"));
    else if (shown.includes("现场照片")) replies = await chat.choose(option(replies, "跳过"));
    else if (shown.includes("请简单描述")) replies = await chat.text(description);
    else replies = await chat.choose(lastChoices(replies).find((o) => !o.value.endsWith(":back"))!.value);
  }
  throw new Error(`no summary after the place: ${shownText(replies)}`);
}

/** A staff member of the second town bound through a real invitation, chatting privately. */
async function staffMember(userId: string, grant: StaffGrant): Promise<Person> {
  const invite = await town.staff.invite("bootstrap", grant);
  if (invite.type !== "created") throw new Error(invite.type);
  const chat = person(userId, { channel: "telegram" });
  expect(shownText(await chat.command("join", invite.code))).toContain("登记成功");
  return chat;
}

let reference: string;

describe("a town other than the sample town, imported from its own file", () => {
  it("the check knows the sample town's words and finds them in a reply", () => {
    expect(firstTownWords).toEqual(
      expect.arrayContaining(["吴泾镇", "永德路", "紫竹半岛居民区", "WJ-", "社区达人精品班", "第一片区治理委员会"]),
    );
    expect(firstTownWordsIn([{ type: "text", text: "例如“永德路12号”" }])).toEqual(expect.arrayContaining(["永德路"]));
    expect(firstTownWordsIn([{ type: "choices", text: "请选择", options: [{ label: "紫竹半岛", value: "x" }] }])).toEqual(["紫竹半岛"]);
  });

  it("the main menu, every button on it, help and the language switch speak of this town only", async () => {
    const chat = person("menu-resident");
    const menu = lastChoices(await chat.command("start"));
    expect(menu.length).toBeGreaterThan(3);
    for (const entry of menu) {
      await chat.command("cancel");
      await chat.command("start");
      await chat.choose(entry.value);
    }
    await chat.command("lang");
    await chat.choose("lang:zh");
    expect(shownText(await chat.command("help"))).toContain("谁管我这片");
    await chat.command("lang");
    await chat.choose("lang:en");
    const english = lastChoices(await chat.command("start"));
    for (const entry of english) {
      await chat.command("cancel");
      await chat.command("start");
      await chat.choose(entry.value);
    }
    await chat.command("help");
  });

  it("who runs my district: the prompt's example, names, addresses, a location inside and one outside the town", async () => {
    const chat = person("lookup-resident");
    expect(shownText(await chat.command("lookup"))).toContain("例如“苍山路1号”");
    expect(shownText(await chat.text("稻花苑归哪个片区管？"))).toContain("青禾东片区治理委员会");
    await chat.command("lookup");
    expect(shownText(await chat.text("禾丰大道120号"))).toContain("青禾西片区治理委员会");
    await chat.command("lookup");
    expect(shownText(await chat.location(30.25, 120.15))).toContain("东片区");
    await chat.command("lookup");
    // A point in the sample town, well outside this one.
    expect(shownText(await chat.location(31.05, 121.45))).toContain("青禾镇");
    await chat.command("lookup");
    expect(shownText(await chat.text("完全没有这个地方"))).toContain("青禾镇便民服务中心");
    const english = person("lookup-english", { locale: "en" });
    expect(shownText(await english.command("lookup"))).toContain("No. 1, Cangshan Road");
    expect(shownText(await english.text("稻花苑"))).toContain("Qinghe East District Governance Committee");
  });

  it("a report from the category prompt to a reference with this town's prefix, then its view and /myreports", async () => {
    const chat = person("report-resident");
    const categories = await chat.command("report");
    expect(shownText(categories)).toContain("例如“禾丰大道菜场门口天天有人摆地摊”");
    const where = await chat.choose(option(categories, "违规停车"));
    expect(shownText(where)).toContain("例如“苍山路1号”");
    const roads = await chat.choose(option(where, "选择道路"));
    await chat.choose(option(roads, "稻香街"));
    const summary = await toSummary(chat, await chat.text("18"), "货车停在路口挡住了行人");
    expect(shownText(summary)).toContain("稻香街18号");
    const done = shownText(await chat.choose(option(summary, "确认提交")));
    expect(done).toMatch(/QH-\d{4}-\d{6}/);
    reference = /QH-\d{4}-\d{6}/.exec(done)![0];
    expect(shownText(await chat.command("report", reference))).toContain(reference);
    expect(shownText(await chat.command("myreports"))).toContain(reference);
  });

  it("a report begun in free words, about a shop, in Chinese and in English", async () => {
    const chat = person("free-text-resident");
    const suggested = await chat.text("禾丰大道12号门口有人摆摊，挡住了路");
    expect(shownText(suggested)).toContain("占道经营");
    const summary = await toSummary(chat, await chat.choose(option(suggested, "是的")), "门口摆摊");
    expect(shownText(await chat.choose(option(summary, "确认提交")))).toMatch(/QH-\d{4}-\d{6}/);

    const english = person("report-english", { locale: "en" });
    const categories = await english.command("report");
    expect(shownText(categories)).toContain("Vegetable stalls block the pavement by the market every morning");
    const where = await english.choose(lastChoices(categories)[1]!.value);
    expect(shownText(where)).toContain("No. 1, Cangshan Road");
    await english.command("cancel");
  });

  it("classes: the list, a cohort, signing up, my classes and the talent pool", async () => {
    const chat = person("class-resident");
    const list = await chat.command("classes");
    expect(shownText(list)).toContain("青禾镇的社区课程");
    expect(shownText(list)).toContain("青禾庭院种植课");
    const details = await chat.choose(lastChoices(list)[0]!.value);
    await chat.choose(option(details, "报名"));
    await chat.choose("privacy:yes");
    await chat.text("陈某");
    await chat.text("13812340001");
    const afterPlace = await chat.text("稻花苑");
    const skills = shownText(afterPlace).includes("特长") ? afterPlace : await chat.choose(lastChoices(afterPlace)[0]!.value);
    expect(shownText(await chat.choose(option(skills, "跳过")))).toContain("青禾庭院种植课");
    expect(shownText(await chat.command("myclasses"))).toContain("青禾庭院种植课");
    const talent = person("talent-resident");
    await talent.command("talent");
    await talent.choose("privacy:no");
  });

  it("the street compact: residents see this town's compact, a shop binds, reads and signs it, and sees its reports", async () => {
    const resident = person("compact-resident");
    expect(shownText(await resident.command("compact"))).toContain("禾丰大道商户公约");
    const admin = await staffMember("compact-admin", { role: "ADMIN", label: "青禾镇管理员", districtCodes: [], roadCommitteeCodes: [] });
    const created = await town.services.compact.createInvites(
      { channel: "telegram", userId: "compact-admin" },
      { merchantCode: "hf-rice" },
    );
    if (created.type !== "created") throw new Error(created.type);
    const owner = person("rice-owner");
    expect(shownText(await owner.command("shop", created.invites[0]!.code))).toContain("禾丰示例米铺");
    let page = await owner.text("店主 李某");
    for (let n = 0; n < 5 && !shownText(page).includes("我已阅读"); n++) page = await owner.choose("read:next");
    expect(shownText(await owner.choose("read:agree"))).toContain("签署成功");
    await owner.command("compact");
    await owner.command("shopreports");
    await person("not-a-shop").command("shopreports");
    const merchants = await admin.command("merchants");
    await admin.choose(lastChoices(merchants)[0]!.value);
  });

  it("staff: open cases, a case by reference, the reference prompt, staff, invitations, dead letters, group alerts, cohorts and talent search", async () => {
    const admin = await staffMember("desk-admin", { role: "ADMIN", label: "青禾镇管理员", districtCodes: [], roadCommitteeCodes: [] });
    await admin.command("open");
    expect(shownText(await admin.command("case"))).toMatch(/例如 QH-\d{4}-000123/);
    expect(shownText(await admin.text(reference))).toContain(reference);
    await admin.command("staff");
    await admin.command("invite");
    await admin.command("cancel");
    await admin.command("deadletters");
    await admin.command("cohort");
    expect(shownText(await admin.command("talents"))).toContain("/talents 摄影 稻花苑");
    const group = person("desk-admin", { channel: "telegram", chatId: "-1009000000001", chatType: "group" });
    expect(shownText(await group.command("alerts"))).toContain("青禾镇所有举报");
    expect(scanned).toBeGreaterThan(50);
  });
});
