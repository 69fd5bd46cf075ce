import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderOutboxRow } from "../../src/bot/notify/render.ts";
import { MERCHANT_REPORT_KIND, MERCHANT_STATUS_KIND } from "../../src/domain/reports/merchant-answers.ts";
import type { OutboundMessage } from "../../src/flows/kit/messages.ts";
import { shopReportChoice } from "../../src/flows/shop-reports/shop-reports-flow.ts";
import { converse, lastChoices, shownText } from "../support/conversation.ts";
import { bindShop, reportFiler, withStaffGroups } from "../support/shop-reports.ts";
import { openSampleServices, TINY_PNG, type SampleServices, TOWN_TIME_ZONE } from "../support/town.ts";

let town: SampleServices;
let file: ReturnType<typeof reportFiler>;
const STAFF = { staffId: "staff-1", label: "第一路管会网格员" };
// Everything that would identify the reporter, and would give them away to the shop.
const REPORTER = { channel: "telegram", userId: "tg-880022", chatId: "tg-chat-990033", displayName: "司马光明", locale: "zh" as const };
const FORBIDDEN = ["司马光明", "880022", "990033", "13912345678", "1391234"];

beforeAll(async () => {
  town = await openSampleServices();
  await withStaffGroups(town);
  await bindShop(town.db.prisma, "yd-noodles", { channel: "web", userId: "noodle-owner", chatId: "noodle-owner" });
  file = reportFiler(town);
});
afterAll(async () => {
  await town.close();
});

const merchantChat = (locale: "zh" | "en" = "zh") => converse(town.services, { channel: "web", userId: "noodle-owner", locale });

async function outboxMessages(reference: string, kind: string): Promise<OutboundMessage[]> {
  const rows = await town.db.prisma.outboxMessage.findMany({ where: { kind, payload: { path: ["reference"], equals: reference } } });
  return rows.flatMap((row) => renderOutboxRow(row, TOWN_TIME_ZONE) ?? []);
}

describe("/shopreports for a merchant", () => {
  it("explains to anyone not bound to a shop how to bind, in either language", async () => {
    const stranger = converse(town.services, { userId: "just-a-resident" });
    expect(shownText(await stranger.command("shopreports"))).toContain("请使用吴泾镇工作人员提供的商户邀请码");
    const english = converse(town.services, { userId: "just-a-resident-en", locale: "en" });
    expect(shownText(await english.command("shopreports"))).toContain("merchant invitation code");
    expect(shownText(await stranger.choose(shopReportChoice("rectify", "WJ-2026-000001")))).toContain("商户邀请码");
  });

  it("never shows the shop who reported, in the notice, the list, the view, the answers or the closing notice", async () => {
    const reference = await file("yd-noodles", REPORTER, {
      description: "面馆又在门口摆桌子，我的电话13912345678，可以找我",
      place: { roadCode: "yongde", houseNumber: 12 },
    });
    const seen: OutboundMessage[] = [];
    const notice = await outboxMessages(reference, MERCHANT_REPORT_KIND);
    expect(shownText(notice)).toContain("139****5678");
    seen.push(...notice);

    const chat = merchantChat();
    const list = await chat.command("shopreports");
    seen.push(...list);
    expect(shownText(list)).toContain(reference);
    const viewButton = lastChoices(list).find((option) => option.label.startsWith(reference))!;
    const view = await chat.choose(viewButton.value);
    seen.push(...view);
    expect(shownText(view)).toContain("地点：永德路12号");
    expect(shownText(view)).toContain("举报人身份依规定不向商户公开");
    expect(lastChoices(view).map((option) => option.label)).toEqual(["✅ 已整改", "❓ 有异议", "⬅️ 返回列表"]);

    // The notice's own button, pressed later, starts the answer.
    const noticeButtons = lastChoices(notice);
    seen.push(...(await chat.choose(noticeButtons.find((option) => option.label === "✅ 已整改")!.value)));
    const photo = await chat.send({ type: "photo", fileId: await town.uploadPhoto(TINY_PNG(91)), mimeType: "image/png" });
    seen.push(...photo);
    expect(shownText(photo)).toContain("照片已收到");
    const rectified = await chat.text("桌子已经收进店里了");
    seen.push(...rectified);
    expect(shownText(rectified)).toContain(`已记录您对 ${reference} 的整改反馈`);

    seen.push(...(await chat.choose(shopReportChoice("dispute", reference))));
    const disputed = await chat.text("门口是我们自己的场地");
    seen.push(...disputed);
    expect(shownText(disputed)).toContain(`已记录您对 ${reference} 的异议`);

    const after = await chat.command("shopreports", reference);
    seen.push(...after);
    expect(shownText(after)).toContain("商户反馈已整改（商户）：桌子已经收进店里了");
    expect(shownText(after)).toContain("商户提出异议（商户）：门口是我们自己的场地");

    await town.reports.acknowledge(reference, STAFF);
    await town.reports.resolve(reference, STAFF, "已联系举报人司马光明（13912345678）核实");
    const closing = await outboxMessages(reference, MERCHANT_STATUS_KIND);
    expect(shownText(closing)).toContain("已办结：已解决");
    seen.push(...closing);
    const closedView = await chat.command("shopreports", reference);
    seen.push(...closedView, ...(await merchantChat("en").command("shopreports")), ...(await chat.command("shopreports")));
    expect(lastChoices(closedView).map((option) => option.label)).toEqual(["⬅️ 返回列表"]);

    const everything = shownText(seen) + JSON.stringify(seen);
    for (const secret of FORBIDDEN) expect(everything).not.toContain(secret);

    // The reporter reads the shop's answers in their own timeline.
    const resident = converse(town.services, { channel: "telegram", userId: REPORTER.userId, chatId: REPORTER.chatId });
    const timeline = shownText(await resident.command("report", reference));
    expect(timeline).toContain("商户反馈已整改（商户）：桌子已经收进店里了");
    expect(timeline).toContain("商户提出异议（商户）");
  });

  it("asks again for a note of the wrong length, goes back to the report, and cancels without answering", async () => {
    const reference = await file("yd-noodles", REPORTER, { place: { roadCode: "yongde", houseNumber: 40 } });
    const chat = merchantChat();
    const asked = await chat.choose(shopReportChoice("dispute", reference));
    expect(shownText(asked)).toContain(`请说明您对 ${reference} 有异议的理由`);
    expect(shownText(await chat.text("不"))).toContain("说明请在 2 到 500 字之间");
    const back = await chat.choose(lastChoices(asked).find((option) => option.label === "⬅️ 返回")!.value);
    expect(shownText(back)).toContain(`举报 ${reference} · 已提交`);
    await chat.choose(shopReportChoice("rectify", reference));
    expect(shownText(await chat.choose(lastChoices(asked).find((option) => option.label === "❌ 取消")!.value))).toContain("已取消");
    expect(shownText(await chat.text("桌子收了"))).not.toContain("已记录");
    expect(await town.db.prisma.reportEvent.count({ where: { report: { reference }, actorKind: "MERCHANT" } })).toBe(0);
  });

  it("lists open reports oldest first and closed ones after, and refuses an answer to a closed case", async () => {
    await file("yd-noodles", REPORTER, { place: { roadCode: "yongde", houseNumber: 100 } });
    const closed = await file("yd-noodles", REPORTER, { place: { roadCode: "yongde", houseNumber: 70 } });
    await town.reports.reject(closed, STAFF, "INVALID", "现场核实无占道");
    const text = shownText(await merchantChat().command("shopreports"));
    const open = text.slice(text.indexOf("待处理"), text.indexOf("最近办结"));
    expect(open).toMatch(/WJ-\d{4}-\d{6}[\s\S]*WJ-\d{4}-\d{6}/);
    const references = [...open.matchAll(/· (WJ-\d{4}-\d{6})/g)].map((match) => match[1]);
    expect(references).toEqual([...references].sort());
    expect(text.slice(text.indexOf("最近办结"))).toContain(closed);
    expect(shownText(await merchantChat().choose(shopReportChoice("rectify", closed)))).toContain(`${closed} 已办结（未受理）`);
  });

  it("staff reading the case in /case see that the shop has not signed the compact in force", async () => {
    const reference = await file("yd-noodles", REPORTER, { place: { roadCode: "yongde", houseNumber: 130 } });
    const invite = await town.staff.invite("bootstrap", {
      role: "DISTRICT_STAFF",
      label: "第二片区网格员",
      districtCodes: ["d2"],
      roadCommitteeCodes: [],
    });
    if (invite.type !== "created") throw new Error(invite.type);
    const staff = converse(town.services, { channel: "telegram", userId: "staff-d2" });
    await staff.command("join", invite.code);
    expect(shownText(await staff.command("case", reference))).toContain("🏪 涉及商户：永德路示例面馆（未签署现行公约）");
  });

  it("is for private chats only", async () => {
    const group = converse(town.services, { channel: "web", userId: "noodle-owner", chatId: "some-group", chatType: "group" });
    expect(shownText(await group.command("shopreports"))).toContain("私聊");
  });
});
