import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTelegramSender } from "../../../../src/bot/channels/telegram/sender.ts";
import type { ChannelSender } from "../../../../src/bot/notify/outbox-worker.ts";
import type { OutboundMessage } from "../../../../src/flows/kit/messages.ts";
import { testLogger } from "../../../support/logs.ts";
import { FAKE_TELEGRAM_LIMITS, startFakeTelegram, type FakeTelegram } from "../../../support/fake-telegram.ts";
import { openMediaFixture, type MediaFixture } from "../../../support/media-fixture.ts";
import { TINY_PNG } from "../../../support/town.ts";

const TOKEN = "777001:SENDER-TEST-token-abcdefghijklmn";
const GROUP = -100_500;
const ALICE = 2_001;
const logger = testLogger();

const alert = (text: string): OutboundMessage => ({
  type: "choices",
  text,
  options: [{ label: "认领", value: "case:claim:WJ-2026-000001" }],
});

let media: MediaFixture;
let fake: FakeTelegram;
let now: number;
let sender: ChannelSender;

beforeAll(async () => {
  media = await openMediaFixture({ maxBytes: 1024 * 1024 });
});
afterAll(async () => {
  await media.close();
});
beforeEach(async () => {
  now = Date.parse("2026-11-27T02:00:00.000Z");
  fake = await startFakeTelegram({ token: TOKEN, rateLimits: true, now: () => now });
  fake.addChat({ id: GROUP, type: "supergroup", title: "吴泾第一片区工作群" });
  fake.addChat({ id: ALICE, type: "private", first_name: "Alice" });
  sender = createTelegramSender({ token: TOKEN, apiRoot: fake.url, media: media.store, logger });
});
afterEach(async () => {
  await fake.close();
});

describe("the Telegram outbox sender", () => {
  it("uploads an alert's photo from the media store after its text and reports the text's message id as ref", async () => {
    const bytes = TINY_PNG(301);
    const stored = await media.store.put(bytes);
    if (!stored.ok) throw new Error(stored.reason);

    const result = await sender.send(String(GROUP), [
      alert("新举报 WJ-2026-000001"),
      { type: "photo", mediaId: stored.mediaId, caption: "WJ-2026-000001 照片 1/1" },
    ]);

    const [text, photo] = fake.deliveredTo(GROUP);
    expect(result).toEqual({ type: "sent", ref: String(text?.message_id) });
    expect(text?.text).toBe("新举报 WJ-2026-000001");
    expect(photo?.caption).toBe("WJ-2026-000001 照片 1/1");
    expect(photo && fake.photoBytes(photo)?.equals(bytes)).toBe(true);
  });

  it("sends a document with its file name, caption and exact bytes (a roster CSV with its BOM)", async () => {
    const csv = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from("姓名,手机\r\n王芳,13812345678\r\n")]);

    const result = await sender.send(String(ALICE), [
      { type: "document", fileName: "roster.csv", mimeType: "text/csv", contentBase64: csv.toString("base64"), caption: "学员名单" },
    ]);

    const [message] = fake.deliveredTo(ALICE);
    expect(result).toEqual({ type: "sent", ref: String(message?.message_id) });
    expect([message?.document?.file_name, message?.caption]).toEqual(["roster.csv", "学员名单"]);
    expect(message && fake.documentBytes(message)?.equals(csv)).toBe(true);
  });

  it("fails a row whose photo is not in the media store before sending anything, naming the media id", async () => {
    const lost = "6f1c1a52-2f0e-4c57-a1d2-0c9d3f6b8e11";

    const result = await sender.send(String(GROUP), [alert("新举报 WJ-2026-000002"), { type: "photo", mediaId: lost }]);

    expect(result).toEqual({ type: "failed", error: `photo ${lost} is not in the media store` });
    expect(fake.deliveredTo(GROUP)).toEqual([]);
  });

  it("edits an alert in place with its new buttons, and an edit that changes nothing still counts as sent", async () => {
    const first = await sender.send(String(GROUP), [alert("新举报 WJ-2026-000003")]);
    if (first.type !== "sent" || first.ref === undefined) throw new Error("the alert was not sent");
    const update: OutboundMessage = {
      type: "replace",
      messageRef: first.ref,
      text: "WJ-2026-000003 已认领：张三",
      options: [{ label: "已解决", value: "case:resolve:WJ-2026-000003" }],
    };

    expect(await sender.send(String(GROUP), [update])).toEqual({ type: "sent", ref: first.ref });
    expect(await sender.send(String(GROUP), [update])).toEqual({ type: "sent", ref: first.ref });

    const current = fake.currentMessage(GROUP, Number(first.ref));
    expect(current?.text).toBe("WJ-2026-000003 已认领：张三");
    expect(current?.reply_markup?.inline_keyboard).toEqual([[{ text: "已解决", callback_data: "case:resolve:WJ-2026-000003" }]]);
    expect(fake.calls("editMessageText").map((call) => call.ok)).toEqual([true, false]);
    expect(fake.deliveredTo(GROUP)).toHaveLength(1);
  });

  it("sends a replacement as a new message when the alert was deleted, and reports the new message's id", async () => {
    const first = await sender.send(String(GROUP), [alert("新举报 WJ-2026-000004")]);
    if (first.type !== "sent" || first.ref === undefined) throw new Error("the alert was not sent");
    fake.deleteMessage(GROUP, Number(first.ref));

    const result = await sender.send(String(GROUP), [
      { type: "replace", messageRef: first.ref, text: "WJ-2026-000004 已解决", options: [] },
    ]);

    const latest = fake.deliveredTo(GROUP).at(-1);
    expect(latest?.text).toBe("WJ-2026-000004 已解决");
    expect(latest?.reply_markup).toBeUndefined();
    expect(result).toEqual({ type: "sent", ref: String(latest?.message_id) });
    expect(latest?.message_id).not.toBe(Number(first.ref));
  });
});

describe("the fake Bot API's rate limits", () => {
  it("refuse the 21st message in a minute into one group with 429 and the seconds until the oldest one ages out", async () => {
    for (let n = 1; n <= FAKE_TELEGRAM_LIMITS.perGroupPerMinute; n++) {
      expect(await sender.send(String(GROUP), [{ type: "text", text: `alert ${n}` }])).toMatchObject({ type: "sent" });
      now += 2_000;
    }
    // 40 s after the first message: 20 seconds to go.
    expect(await sender.send(String(GROUP), [{ type: "text", text: "alert 21" }])).toEqual({ type: "retryAfter", seconds: 20 });
    const refused = fake.calls("sendMessage").at(-1);
    expect(refused?.ok).toBe(false);

    now += 20_000;
    expect(await sender.send(String(GROUP), [{ type: "text", text: "alert 21" }])).toMatchObject({ type: "sent" });
    expect(fake.deliveredTo(GROUP)).toHaveLength(21);
  });

  it("refuse the 31st message within a second overall, and only group chats have the per-minute limit", async () => {
    for (let n = 1; n <= FAKE_TELEGRAM_LIMITS.perSecondOverall; n++) {
      expect(await sender.send(String(ALICE), [{ type: "text", text: `update ${n}` }])).toMatchObject({ type: "sent" });
    }
    expect(await sender.send(String(ALICE), [{ type: "text", text: "update 31" }])).toEqual({ type: "retryAfter", seconds: 1 });

    now += 1_000;
    expect(await sender.send(String(ALICE), [{ type: "text", text: "update 31" }])).toMatchObject({ type: "sent" });
    expect(fake.deliveredTo(ALICE)).toHaveLength(31);
  });
});
