import { describe, expect, it } from "vitest";
import {
  CALLBACK_ANSWER_LIMIT,
  choiceKeyboard,
  planReplies,
  splitText,
  takeNotices,
  TEXT_LIMIT,
} from "../../../../src/bot/channels/telegram/outbound.ts";

describe("rendering replies for Telegram", () => {
  it("cuts a single line longer than the limit between code points, never inside an emoji", () => {
    const line = "😀".repeat(3000);
    const pieces = splitText(line);

    expect(pieces.join("")).toBe(line);
    expect(pieces.every((piece) => piece.length <= TEXT_LIMIT && !/[\ud800-\udbff]$/.test(piece))).toBe(true);
    expect(pieces).toHaveLength(2);
  });

  it("drops whitespace-only pieces, which Telegram would refuse as empty messages", () => {
    const text = `${"甲".repeat(TEXT_LIMIT)}\n${" ".repeat(TEXT_LIMIT)}\n乙`;

    expect(splitText(text)).toEqual(["甲".repeat(TEXT_LIMIT), "乙"]);
  });

  it("puts each choice on its own row when a label is too wide for half a phone screen", () => {
    const keyboard = choiceKeyboard([
      { label: "虹梅新苑第二居民区（第一片区）", value: "lk:a" },
      { label: "是", value: "lk:b" },
    ]);

    expect(keyboard.inline_keyboard).toEqual([
      [{ text: "虹梅新苑第二居民区（第一片区）", callback_data: "lk:a" }],
      [{ text: "是", callback_data: "lk:b" }],
    ]);
  });

  it("attaches the keyboard of an over-long choices message to its last piece", () => {
    const sends = planReplies(
      [{ type: "choices", text: `${"甲".repeat(4000)}\n${"乙".repeat(200)}`, options: [{ label: "好", value: "ok" }] }],
      { isPrivate: false },
    );

    expect(sends).toEqual([
      { method: "sendMessage", text: "甲".repeat(4000) },
      { method: "sendMessage", text: "乙".repeat(200), replyMarkup: { inline_keyboard: [[{ text: "好", callback_data: "ok" }]] } },
    ]);
  });

  it("renders a link as text with a URL button and a photo with a long caption as photo then text", () => {
    const caption = "说明".repeat(600);
    const sends = planReplies(
      [
        { type: "link", text: "报名入口", url: "https://example.org/enrol", label: "打开" },
        { type: "photo", mediaId: "0b8f8a4e-5d43-4d1f-9d0a-3c2f1b7e9a61", caption },
      ],
      { isPrivate: true },
    );

    expect(sends).toEqual([
      { method: "sendMessage", text: "报名入口", replyMarkup: { inline_keyboard: [[{ text: "打开", url: "https://example.org/enrol" }]] } },
      { method: "sendPhoto", mediaId: "0b8f8a4e-5d43-4d1f-9d0a-3c2f1b7e9a61" },
      { method: "sendMessage", text: caption, replyMarkup: { remove_keyboard: true } },
    ]);
  });

  it("keeps the location button for texts that follow the request in the same batch", () => {
    const sends = planReplies(
      [
        { type: "locationRequest", text: "请发送位置", buttonLabel: "📍 发送位置" },
        { type: "text", text: "也可以直接输入小区名" },
      ],
      { isPrivate: true },
    );

    expect(sends.map((send) => (send.method === "sendMessage" ? send.replyMarkup : undefined))).toEqual([
      { keyboard: [[{ text: "📍 发送位置", request_location: true }]], one_time_keyboard: true, resize_keyboard: true },
      undefined,
    ]);
  });

  it("edits the message a replace names, with its options as the new keyboard, and removes the keyboard when it has none", () => {
    const sends = planReplies(
      [
        { type: "replace", messageRef: "42", text: "WJ-2026-000001 处理中", options: [{ label: "已解决", value: "case:resolve" }] },
        { type: "replace", messageRef: "43", text: "WJ-2026-000002 已解决", options: [] },
      ],
      { isPrivate: false },
    );

    expect(sends).toEqual([
      {
        method: "editMessageText",
        messageId: 42,
        text: "WJ-2026-000001 处理中",
        replyMarkup: { inline_keyboard: [[{ text: "已解决", callback_data: "case:resolve" }]] },
      },
      { method: "editMessageText", messageId: 43, text: "WJ-2026-000002 已解决" },
    ]);
  });

  it("sends a replace whose ref is not a Telegram message id as a new message, and a notice outside a button press as text", () => {
    const sends = planReplies(
      [
        { type: "replace", messageRef: "https://qyapi.example/robot", text: "状态更新", options: [] },
        { type: "notice", text: "已认领" },
      ],
      { isPrivate: false },
    );

    expect(sends).toEqual([
      { method: "sendMessage", text: "状态更新" },
      { method: "sendMessage", text: "已认领" },
    ]);
  });

  it("takes the notices out of a reply to a button press, one a line, cut to Telegram's 200-character pop-up", () => {
    const { notice, replies } = takeNotices([
      { type: "notice", text: "已认领" },
      { type: "text", text: "案件详情" },
      { type: "notice", text: "长".repeat(300) },
    ]);

    expect(replies).toEqual([{ type: "text", text: "案件详情" }]);
    expect(notice?.startsWith("已认领\n长")).toBe(true);
    expect(notice?.length).toBeLessThanOrEqual(CALLBACK_ANSWER_LIMIT);
    expect(takeNotices([{ type: "text", text: "x" }]).notice).toBeUndefined();
  });
});
