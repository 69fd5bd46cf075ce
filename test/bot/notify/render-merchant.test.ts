import { describe, expect, it } from "vitest";
import { renderOutboxRow, UnreadableOutboxRowError } from "../../../src/bot/notify/render.ts";
import { shownText } from "../../support/conversation.ts";
import { TOWN_TIME_ZONE } from "../../support/town.ts";

const shop = { zh: "永德路示例面馆", en: "Sample Noodle Shop" };
const notice = {
  reference: "WJ-2026-000321",
  shop,
  category: { zh: "占道经营", en: "Pavement trading" },
  clause: { ref: "第三条", text: { zh: "不占道经营。", en: "No trading on the pavement." } },
  reportedAt: "2026-11-26T02:05:00.000Z",
  place: { zh: "永德路12号", en: "No. 12, Yongde Road" },
  description: "门口摆桌子，电话138****5678",
  locale: "zh",
};
const alert = {
  reference: "WJ-2026-000321",
  category: { zh: "占道经营", en: "Pavement trading" },
  clause: { ref: "第三条", text: { zh: "不占道经营。", en: "No trading on the pavement." } },
  place: { zh: "永德路12号（第二片区）", en: "No. 12, Yongde Road (District 2)" },
  position: null,
  description: "门口摆桌子",
  shop,
  photoIds: [],
  supporters: 0,
  route: null,
};

describe("messages about shops", () => {
  it("the notice of a new report shows what, where and when, and buttons to answer or view", () => {
    const messages = renderOutboxRow({ kind: "merchant.report", payload: notice }, TOWN_TIME_ZONE)!;
    const text = shownText(messages);
    expect(text).toContain("📣 有居民反映了与「永德路示例面馆」有关的问题（WJ-2026-000321）");
    expect(text).toContain("公约第三条：不占道经营。");
    expect(text).toContain("时间：2026/11/26 10:05");
    expect(text).toContain("地点：永德路12号");
    expect(messages[0]).toMatchObject({
      type: "choices",
      options: [
        { label: "✅ 已整改", value: "flow:shopReports:rectify:WJ-2026-000321" },
        { label: "❓ 有异议", value: "flow:shopReports:dispute:WJ-2026-000321" },
        { label: "🔎 查看", value: "flow:shopReports:view:WJ-2026-000321" },
      ],
    });
    expect(
      shownText(renderOutboxRow({ kind: "merchant.report", payload: { ...notice, locale: "en", place: null } }, TOWN_TIME_ZONE)!),
    ).toContain("Place: no place given");
  });

  it("the closing notice gives the outcome and a reject reason", () => {
    const text = shownText(
      renderOutboxRow(
        {
          kind: "merchant.status",
          payload: { reference: "WJ-2026-000321", shop, status: "REJECTED", rejectReason: "INVALID", locale: "zh" },
        },
        TOWN_TIME_ZONE,
      )!,
    );
    expect(text).toContain("与「永德路示例面馆」有关的举报 WJ-2026-000321 已办结：未受理");
    expect(text).toContain("未受理原因：信息无效");
  });

  it("staff groups read the shop's answer with its photo", () => {
    const messages = renderOutboxRow(
      {
        kind: "alert.merchantAnswer",
        payload: { reference: "WJ-2026-000321", shop, answer: "rectified", note: "已收回", photoId: "media-1", locale: "en" },
      },
      TOWN_TIME_ZONE,
    )!;
    expect(shownText(messages)).toContain("Sample Noodle Shop says WJ-2026-000321 is put right");
    expect(messages[1]).toEqual({ type: "photo", mediaId: "media-1", caption: "WJ-2026-000321: the shop's photo" });
    const disputed = renderOutboxRow(
      {
        kind: "alert.merchantAnswer",
        payload: { reference: "WJ-2026-000321", shop, answer: "disputed", note: "在店内范围", photoId: null, locale: "zh" },
      },
      TOWN_TIME_ZONE,
    )!;
    expect(disputed).toHaveLength(1);
    expect(shownText(disputed)).toContain("商户异议：永德路示例面馆 对 WJ-2026-000321 提出异议\n说明：在店内范围");
  });

  it("a payload that does not fit is refused with the reason", () => {
    expect(() => renderOutboxRow({ kind: "merchant.report", payload: { ...notice, reference: undefined } }, TOWN_TIME_ZONE)).toThrow(
      UnreadableOutboxRowError,
    );
  });

  it("a staff alert names the shop's standing with the compact when it has not signed the version in force", () => {
    expect(
      shownText(renderOutboxRow({ kind: "alert.new", payload: { ...alert, shopStanding: "none", locale: "zh" } }, TOWN_TIME_ZONE)!),
    ).toContain("🏪 涉及商户：永德路示例面馆（未签署现行公约）");
    expect(
      shownText(renderOutboxRow({ kind: "alert.new", payload: { ...alert, shopStanding: "outdated", locale: "en" } }, TOWN_TIME_ZONE)!),
    ).toContain("🏪 Shop: Sample Noodle Shop (the compact was updated and not yet signed again)");
    expect(
      shownText(renderOutboxRow({ kind: "alert.new", payload: { ...alert, shopStanding: "current", locale: "zh" } }, TOWN_TIME_ZONE)!),
    ).toContain("🏪 涉及商户：永德路示例面馆\n");
  });

  it("an alert queued before shops had a standing still reads, without the line", () => {
    const text = shownText(renderOutboxRow({ kind: "alert.new", payload: { ...alert, locale: "zh" } }, TOWN_TIME_ZONE)!);
    expect(text).toContain("🏪 涉及商户：永德路示例面馆\n");
    expect(text).not.toMatch(/未签署|尚未重新确认/);
    const update = renderOutboxRow(
      {
        kind: "alert.update",
        payload: { alert: { ...alert, locale: "zh" }, messageRef: "42", status: "ACKNOWLEDGED", actorLabel: "网格员" },
      },
      TOWN_TIME_ZONE,
    )!;
    expect(shownText(update)).toContain("🏪 涉及商户：永德路示例面馆\n");
  });
});
