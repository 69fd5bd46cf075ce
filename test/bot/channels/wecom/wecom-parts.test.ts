import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWecomSender } from "../../../../src/bot/channels/wecom/channel.ts";
import { createWecomImageFetcher } from "../../../../src/bot/channels/wecom/files.ts";
import { ANSWERED_BUTTON_KEY, callbackSchema, parseCallback } from "../../../../src/bot/channels/wecom/inbound.ts";
import {
  FILE_NOT_SENT_NOTE,
  PHOTO_NOT_SHOWN_NOTE,
  passiveMessageReply,
  pushMessage,
  renderReply,
} from "../../../../src/bot/channels/wecom/render.ts";
import { ChannelFileError } from "../../../../src/bot/media/photo-saver.ts";
import type { ChannelSender } from "../../../../src/bot/notify/outbox-worker.ts";
import type { OutboundMessage } from "../../../../src/flows/kit/messages.ts";
import { startFakeWecomBot, type FakeWecomBot } from "../../../support/fake-wecom-bot.ts";
import { TINY_PNG } from "../../../support/town.ts";

const base = {
  msgid: "m1",
  aibotid: "AIBOT",
  from: { userid: "lisi" },
  response_url: "https://qyapi.weixin.qq.com/cgi-bin/aibot/response?response_code=X",
};
const parse = (callback: object) => parseCallback(callbackSchema.parse(callback));
const options = (n: number) => Array.from({ length: n }, (_, i) => ({ label: `选项${i + 1}`, value: `v${i + 1}` }));

describe("reading WeCom intelligent-bot callbacks", () => {
  it("a single-chat text is a text event, a slash command is a command, and the chat is the user", () => {
    expect(parse({ ...base, chattype: "single", msgtype: "text", text: { content: "紫竹半岛" } })).toEqual({
      type: "events",
      origin: { userId: "lisi", chatId: "lisi", chatType: "private" },
      payloads: [{ type: "text", text: "紫竹半岛" }],
    });
    expect(parse({ ...base, chattype: "single", msgtype: "text", text: { content: "/report WJ-2026-000123" } })).toMatchObject({
      payloads: [{ type: "command", command: "report", args: "WJ-2026-000123" }],
    });
  });

  it("in a group only a message that mentions the bot counts, and the mention is removed", () => {
    const group = { ...base, chattype: "group", chatid: "wrk123" };
    expect(parse({ ...group, msgtype: "text", text: { content: "@邻里助手 /open" } })).toEqual({
      type: "events",
      origin: { userId: "lisi", chatId: "wrk123", chatType: "group" },
      payloads: [{ type: "command", command: "open", args: "" }],
    });
    expect(parse({ ...group, msgtype: "text", text: { content: "大家好" } })).toEqual({ type: "ignore" });
  });

  it("a mixed message gives its text and then each image; a voice message its transcript; a file is unsupported", () => {
    const parsed = parse({
      ...base,
      chattype: "single",
      msgtype: "mixed",
      mixed: {
        msg_item: [
          { msgtype: "text", text: { content: "门口堆满了纸箱" } },
          { msgtype: "image", image: { url: "https://example.com/img1" } },
        ],
      },
    });
    expect(parsed).toMatchObject({
      payloads: [
        { type: "text", text: "门口堆满了纸箱" },
        { type: "photo", fileId: "https://example.com/img1" },
      ],
    });
    expect(parse({ ...base, chattype: "single", msgtype: "voice", voice: { content: "永德路12号" } })).toMatchObject({
      payloads: [{ type: "text", text: "永德路12号" }],
    });
    expect(parse({ ...base, chattype: "single", msgtype: "file", file: { url: "https://example.com/f" } })).toMatchObject({
      payloads: [{ type: "unsupported", kind: "document" }],
    });
  });

  it("a card click carries the button key and the card's task; the answered card's inert button and stream refreshes are ignored", () => {
    const click = (key: string) => ({
      ...base,
      chattype: "single",
      msgtype: "event",
      event: { eventtype: "template_card_event", template_card_event: { card_type: "button_interaction", event_key: key, task_id: "t1" } },
    });
    expect(parse(click("report:yes"))).toMatchObject({ type: "click", key: "report:yes", taskId: "t1" });
    expect(parse(click(ANSWERED_BUTTON_KEY))).toEqual({ type: "ignore" });
    expect(parse({ ...base, chattype: "single", msgtype: "stream", stream: { id: "s1" } })).toEqual({ type: "ignore" });
  });

  it("refuses a callback whose image URL is not http(s)", () => {
    expect(callbackSchema.safeParse({ ...base, chattype: "single", msgtype: "image", image: { url: "file:///etc/passwd" } }).success).toBe(
      false,
    );
  });
});

describe("rendering replies for the intelligent bot", () => {
  it("text and the last choice become a finished stream with a button card; numbers stay valid for the choice", () => {
    const rendered = renderReply(
      [
        { type: "text", text: "已收到。" },
        { type: "choices", text: "请选择类别\n（可稍后修改）", options: options(3) },
      ],
      "task_1",
    );
    expect(rendered.markdown).toContain("1. 选项1");
    expect(rendered.card).toMatchObject({
      card_type: "button_interaction",
      task_id: "task_1",
      main_title: { title: "请选择类别" },
      sub_title_text: "（可稍后修改）",
    });
    expect(rendered.card?.button_list.map((b) => b.key)).toEqual(["v1", "v2", "v3"]);
    expect(rendered.numbered.map((o) => o.value)).toEqual(["v1", "v2", "v3"]);
    expect(passiveMessageReply(rendered, "s1")).toMatchObject({ msgtype: "stream_with_template_card", stream: { id: "s1", finish: true } });
    // A response_url takes one message: the markdown says everything, the card alone would drop the text.
    expect(pushMessage(rendered)?.body).toMatchObject({ msgtype: "markdown" });
  });

  it("more than six options stay numbered text without a card; a lone choice is pushed as its card", () => {
    expect(renderReply([{ type: "choices", text: "哪家商户？", options: options(7) }]).card).toBeUndefined();
    const alone = renderReply([
      { type: "choices", text: "新举报 WJ-2026-000001", options: options(2) },
      { type: "photo", mediaId: "m1" },
    ]);
    expect(pushMessage(alone)?.body).toMatchObject({ msgtype: "template_card", template_card: { sub_title_text: PHOTO_NOT_SHOWN_NOTE } });
  });

  it("photos and files degrade to their captions with a note, links to markdown links, and nothing at all gives no reply", () => {
    const messages: OutboundMessage[] = [
      { type: "photo", mediaId: "m1", caption: "照片 1/1" },
      { type: "document", fileName: "roster.csv", mimeType: "text/csv", contentBase64: "", caption: "花名册" },
      { type: "link", text: "地图", url: "https://example.com/map", label: "打开地图" },
    ];
    const { markdown } = renderReply(messages);
    expect(markdown).toContain("照片 1/1");
    expect(markdown).toContain("花名册");
    expect(markdown).toContain("[打开地图](https://example.com/map)");
    expect(markdown).toContain("网页聊天");
    expect(FILE_NOT_SENT_NOTE).toContain("文件");
    expect(passiveMessageReply(renderReply([]), "s")).toBeUndefined();
  });
});

describe("WeCom delivery parts", () => {
  let fake: FakeWecomBot;
  beforeAll(async () => {
    fake = await startFakeWecomBot();
  });
  afterAll(() => fake.close());

  it("downloads and decrypts an image message's picture, refuses one over the limit, and says so when it does not decrypt", async () => {
    const fetcher = createWecomImageFetcher({ token: fake.token, encodingAesKey: fake.encodingAesKey, receiveId: "" });
    const photo = TINY_PNG(5);
    expect(await fetcher(fake.hostImage(photo), { maxBytes: 1024 * 1024 })).toEqual(photo);
    expect(await fetcher(fake.hostImage(Buffer.alloc(200_000, 1)), { maxBytes: 100_000 })).toBe("tooLarge");
    const other = createWecomImageFetcher({
      token: fake.token,
      encodingAesKey: "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut",
      receiveId: "",
    });
    await expect(other(fake.hostImage(photo), { maxBytes: 1024 * 1024 })).rejects.toBeInstanceOf(ChannelFileError);
    await expect(fetcher(`${fake.url}/media/missing`, { maxBytes: 1024 })).rejects.toThrow("HTTP 404");
  });

  it("the outbox's WeCom sender sends robot webhook URLs to the robot and everything else to the intelligent bot", async () => {
    const seen: string[] = [];
    const recording = (name: string): ChannelSender => ({
      perDestinationPerMinute: 20,
      perSecondOverall: 50,
      send: async (chatId) => (seen.push(`${name}:${chatId}`), { type: "sent" }),
    });
    const sender = createWecomSender({ robot: recording("robot"), bot: recording("bot") });
    await sender.send("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", []);
    await sender.send("lisi", []);
    expect(seen).toEqual(["robot:https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", "bot:lisi"]);
    expect(await createWecomSender({ robot: recording("robot"), bot: undefined }).send("lisi", [])).toMatchObject({ type: "failed" });
  });
});
