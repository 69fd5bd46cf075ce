import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FlowServices } from "../../src/flows/kit/flow.ts";
import { converse, lastChoices, shownText } from "../support/conversation.ts";
import { openSampleServices, type SampleServices } from "../support/town.ts";

let town: SampleServices;
let services: FlowServices;

beforeAll(async () => {
  town = await openSampleServices();
  services = town.services;
});
afterAll(async () => {
  await town.close();
});

describe("who runs my district (谁管我这片)", () => {
  it("a resident asking 紫竹半岛归哪个片区管？ gets the district, its committee, the residents' committee and the road committee", async () => {
    const chat = converse(services);
    const shown = shownText(await chat.text("紫竹半岛归哪个片区管？"));
    expect(shown).toContain("紫竹半岛居民区 属于【第四片区】");
    expect(shown).toContain("第四片区治理委员会");
    expect(shown).toContain("主任：第四片区治理委员会主任");
    expect(shown).toContain("专职副主任：第四片区治理委员会专职副主任");
    expect(shown).toContain("执法力量");
    expect(shown).toContain("管理力量");
    expect(shown).toMatch(/办公电话：021-0000-0104/);
    expect(shown).toContain("紫竹半岛居民区居委会");
    expect(shown).toContain("路管会：");
    expect(shown).toContain("示例数据");
  });

  it("the answer is one message with what to do next under it, and looking up another place asks again", async () => {
    const chat = converse(services);
    const replies = await chat.text("紫竹半岛");
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatchObject({
      type: "choices",
      text: expect.stringMatching(/^📍 紫竹半岛居民区 属于【第四片区】[\s\S]*\n\n还需要查别的地方吗？$/),
    });
    const options = lastChoices(replies);
    expect(options.map((option) => option.label)).toEqual(["🔎 再查一个地方", "🏠 主菜单"]);
    expect(shownText(await chat.choose(options[0]!.value))).toContain("请告诉我您所在的小区或居民区名称");
  });

  it("names match with or without 居民区/小区 suffixes and through aliases", async () => {
    for (const query of ["紫竹半岛居民区", "紫竹半岛小区", "我住在紫竹半岛", "虹梅新苑二居"]) {
      const shown = shownText(await converse(services).text(query));
      expect(shown, query).toMatch(/属于【第[一二三四]片区】/);
    }
    expect(shownText(await converse(services).text("虹梅新苑二居"))).toContain("虹梅新苑第二居民区 属于【第一片区】");
  });

  it("a name with one wrong character is still found", async () => {
    // A bare typo reads as nothing clear with nothing in progress (Linli asks what is meant), so the lookup is asked for.
    const chat = converse(services);
    await chat.command("lookup");
    expect(shownText(await chat.text("紫竹半到"))).toContain("紫竹半岛居民区 属于【第四片区】");
    expect(shownText(await converse(services).text("紫竹伴岛归哪个片区管"))).toContain("紫竹半岛居民区 属于【第四片区】");
  });

  it("a partial name that fits several places offers them as choices, and pressing one answers", async () => {
    const chat = converse(services);
    const replies = await chat.text("虹梅新苑");
    const options = lastChoices(replies);
    expect(options.map((option) => option.label)).toEqual(expect.arrayContaining(["虹梅新苑第一居民区", "虹梅新苑第二居民区"]));
    const second = options.find((option) => option.label === "虹梅新苑第二居民区")!;
    expect(shownText(await chat.choose(second.value))).toContain("虹梅新苑第二居民区 属于【第一片区】");
  });

  it("a road and house number find the district of that stretch, its neighbourhood and road committee", async () => {
    const even = shownText(await converse(services).text("永德路12号"));
    expect(even).toContain("永德路12号 属于【第二片区】");
    expect(even).toContain("景洪居民区");
    expect(even).toMatch(/路管会：第.路管会/);
    expect(shownText(await converse(services).text("永德路 350 号归谁管"))).toContain("永德路350号 属于【第一片区】");
  });

  it("a road crossing districts without a house number offers its stretches", async () => {
    const chat = converse(services);
    const options = lastChoices(await chat.text("永德路"));
    expect(options.length).toBeGreaterThan(1);
    expect(options.some((option) => option.label.includes("第一片区"))).toBe(true);
    expect(options.some((option) => option.label.includes("第二片区"))).toBe(true);
    const shown = shownText(await chat.choose(options.find((option) => option.label.includes("第一片区"))!.value));
    expect(shown).toContain("永德路 属于【第一片区】");
  });

  it("a house number the road does not have is said so, with the road's stretches to pick from", async () => {
    const replies = await converse(services).text("永德路9999号");
    expect(shownText(replies)).toContain("永德路没有9999号的记录");
    expect(lastChoices(replies).length).toBeGreaterThan(1);
  });

  it("a place that does not exist is said so, with the town office to contact, and the resident can try again", async () => {
    const chat = converse(services);
    await chat.command("lookup");
    const shown = shownText(await chat.text("火星基地"));
    expect(shown).toContain("没有找到“火星基地”");
    expect(shown).toContain("021-0000-0100");
    expect(shownText(await chat.text("紫竹半岛"))).toContain("紫竹半岛居民区 属于【第四片区】");
  });

  it("after a miss, the closest names are offered, and a suggested road still asks which stretch", async () => {
    const chat = converse(services);
    await chat.command("lookup");
    const replies = await chat.text("德永");
    expect(shownText(replies)).toContain("您要找的是不是");
    const road = lastChoices(replies).find((option) => option.label === "永德路");
    expect(road).toBeDefined();
    const stretches = lastChoices(await chat.choose(road!.value));
    expect(stretches.map((option) => option.label)).toEqual(
      expect.arrayContaining([expect.stringContaining("第一片区"), expect.stringContaining("第二片区")]),
    );
  });

  it("a shared location inside a district boundary finds that district; one outside the town is told so", async () => {
    const chat = converse(services);
    await chat.command("lookup");
    expect(shownText(await chat.location(31.05, 121.42))).toContain("您发送的位置属于【第一片区】");
    const outside = converse(services);
    await outside.command("lookup");
    expect(shownText(await outside.location(31.2304, 121.4737))).toContain("不在吴泾镇的范围内");
  });

  it("a sticker or photo where a name is expected gets a polite hint and the lookup goes on", async () => {
    const chat = converse(services);
    await chat.command("lookup");
    expect(shownText(await chat.send({ type: "unsupported", kind: "sticker" }))).toContain("请用文字输入小区名或路名");
    expect(shownText(await chat.send({ type: "photo", fileId: "p1" }))).toContain("请用文字输入小区名或路名");
    expect(shownText(await chat.text("紫竹半岛"))).toContain("属于【第四片区】");
  });

  it("a 4,000-character text is refused politely and the lookup goes on", async () => {
    const chat = converse(services);
    await chat.command("lookup");
    expect(shownText(await chat.text("紫".repeat(4000)))).toContain("输入太长了");
    expect(shownText(await chat.text("紫竹半岛"))).toContain("属于【第四片区】");
  });

  it("emoji and zero-width characters around a name do not stop it being found; emoji alone asks for a name", async () => {
    expect(shownText(await converse(services).text("🏠 紫竹\u200b半岛\u200d？？"))).toContain("紫竹半岛居民区 属于【第四片区】");
    const chat = converse(services);
    await chat.command("lookup");
    expect(shownText(await chat.text("😀😀\u200b"))).toContain("没有看到文字内容");
  });

  it("an English-speaking resident gets the whole answer in English", async () => {
    const chat = converse(services, { locale: "en" });
    const shown = shownText(await chat.text("Zizhu Peninsula"));
    expect(shown).toContain("Zizhu Peninsula Neighbourhood belongs to【District 4】");
    expect(shown).toContain("Director: Director, District 4 Governance Committee");
    expect(shown).toContain("sample data");
  });

  it("a lookup button pressed after the lookup ended is answered as expired, not misread", async () => {
    const chat = converse(services);
    const options = lastChoices(await chat.text("虹梅新苑"));
    await chat.choose(options[0]!.value);
    const shown = shownText(await chat.choose(options[0]!.value));
    expect(shown).toContain("这个按钮已经过期了");
  });
});
