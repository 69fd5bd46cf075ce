import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { catalogFor } from "../../src/flows/i18n/catalog.ts";
import { feedbackChoices } from "../../src/flows/feedback/feedback-flow.ts";
import { converse, lastChoices, shownText } from "../support/conversation.ts";
import { declining, openSampleServices, type SampleServices } from "../support/town.ts";

let town: SampleServices;
const now = new Date("2026-06-01T09:00:00+08:00");

beforeAll(async () => {
  town = await openSampleServices({ clock: () => now });
});
afterAll(async () => {
  await town.close();
});

const staff = { staffId: "s1", label: "工作人员" };

async function resolvedReport(userId: string) {
  const result = await town.reports.submit(
    {
      categoryCode: "noise",
      place: { roadCode: "heqing", houseNumber: Math.floor(Math.random() * 300) + 1 },
      description: "半夜装修声音很大",
      photoIds: [],
      contactAllowed: false,
    },
    { channel: "web", userId, chatId: userId, locale: "zh" },
    declining(),
  );
  if (result.type !== "created") throw new Error(result.type);
  await town.reports.acknowledge(result.reference, staff);
  await town.reports.resolve(result.reference, staff, "已处理");
  return result.reference;
}

describe("feedback after resolution", () => {
  it("the reporter confirms it is fixed and rates the handling with the buttons sent with the update", async () => {
    const reference = await resolvedReport("fb-happy");
    const chat = converse(town.services, { userId: "fb-happy", now: () => now });
    const [fixed] = feedbackChoices(reference, catalogFor("zh"));
    const replies = await chat.choose(fixed!.value);
    expect(shownText(replies)).toContain("请为这次处理打分");
    expect(lastChoices(replies)).toHaveLength(5);
    expect(shownText(await chat.text("9"))).toContain("请为这次处理打分");
    expect(shownText(await chat.choose(lastChoices(replies)[4]!.value))).toContain("谢谢您的评价");
    expect((await town.db.prisma.report.findUniqueOrThrow({ where: { reference } })).rating).toBe(5);
  });

  it("'not fixed' reopens the case, and someone else pressing the button is refused", async () => {
    const reference = await resolvedReport("fb-unhappy");
    const [, notFixed] = feedbackChoices(reference, catalogFor("zh"));
    expect(shownText(await converse(town.services, { userId: "stranger" }).choose(notFixed!.value))).toContain(
      "只有提交这份举报的居民可以评价",
    );
    expect(shownText(await converse(town.services, { userId: "fb-unhappy" }).choose(notFixed!.value))).toContain(
      `已将 ${reference} 重新交给工作人员处理`,
    );
    expect((await town.db.prisma.report.findUniqueOrThrow({ where: { reference } })).status).toBe("IN_PROGRESS");
  });
});
