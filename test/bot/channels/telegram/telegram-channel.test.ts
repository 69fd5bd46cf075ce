import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { createTelegramChannel, TelegramStartError, type TelegramChannel } from "../../../../src/bot/channels/telegram/channel.ts";
import type { HttpRequest, Route } from "../../../../src/bot/http/route.ts";
import { startHttpServer } from "../../../../src/bot/http/server.ts";
import type { UpdateHandler } from "../../../../src/bot/update-handler.ts";
import { commandsFor, declaredCommands } from "../../../../src/flows/kit/commands.ts";
import type { InboundEvent, OutboundMessage } from "../../../../src/flows/kit/messages.ts";
import { FLOWS } from "../../../../src/flows/registry.ts";
import { createLogger } from "../../../../src/log.ts";
import { startFakeTelegram, type FakeChat, type FakeMessage, type FakeTelegram, type FakeUser } from "../../../support/fake-telegram.ts";
import { openMediaFixture, type MediaFixture } from "../../../support/media-fixture.ts";
import { TINY_PNG } from "../../../support/town.ts";

const MENU = commandsFor(declaredCommands(FLOWS));
const TOKEN = "123456:TEST-TOKEN-abcdefghijklmnopqrstu";
const SECRET = "webhook-secret-0123456789";
const WEBHOOK_URL = "https://linli.example.org/telegram/webhook";

const alice: FakeUser = { id: 1001, first_name: "Alice", language_code: "zh-hans" };
const bob: FakeUser = { id: 1002, first_name: "Bob", language_code: "en" };
const staffGroup: FakeChat = { id: -100200300, type: "supergroup", title: "吴泾第一片区工作群" };

/** Lines of 99 characters: 50 of them with their newlines make 4,999 characters. */
const LONG_REPLY = Array.from({ length: 50 }, (_, i) => `${String(i).padStart(2, "0")}${"长".repeat(97)}`).join("\n") + "\n尾";

/**
 * A small stand-in for the dispatcher: it records every event and answers in a
 * way that exercises each kind of rendering.
 */
function scriptedHandler() {
  const events: InboundEvent[] = [];
  const handler: UpdateHandler = {
    async handle(event) {
      events.push(event);
      const p = event.payload;
      const reply = (text: string): OutboundMessage[] => [{ type: "text", text }];
      switch (p.type) {
        case "text":
          if (p.text === "long") return reply(LONG_REPLY);
          if (p.text === "where") return [{ type: "locationRequest", text: "请发送位置", buttonLabel: "📍 发送我的位置" }];
          if (p.text === "alert")
            return [
              {
                type: "choices",
                text: "新举报 WJ-2026-000001",
                options: [
                  { label: "认领", value: "claim" },
                  { label: "驳回", value: "reject" },
                ],
              },
            ];
          if (p.text === "oversized choice")
            return [{ type: "choices", text: "选一个", options: [{ label: "太长", value: "x".repeat(70) }] }];
          if (p.text.startsWith("say ")) return reply(p.text.slice(4));
          return [
            { type: "text", text: `收到：${p.text}` },
            {
              type: "choices",
              text: "是这个吗？",
              options: [
                { label: "是", value: "yes" },
                { label: "不是", value: "no" },
                { label: "都不是", value: "none" },
              ],
            },
          ];
        case "choice":
          if (p.value === "claim") return [{ type: "notice", text: "已认领" }];
          if (p.value === "reject")
            return [
              { type: "notice", text: "只有本片区工作人员可以操作" },
              { type: "notice", text: "请联系管理员" },
              { type: "text", text: "驳回需要理由" },
            ];
          return reply(`选择了 ${p.value}`);
        case "command":
          return reply(`命令 ${p.command} ${p.args}`.trim());
        case "location":
          return reply(`位置 ${p.latitude},${p.longitude}`);
        case "photo":
          return reply("照片");
        case "unsupported":
          return reply(`不支持 ${p.kind}`);
      }
    },
  };
  return { handler, events };
}

function capturingLogger() {
  const lines: string[] = [];
  return { logger: createLogger({ level: "debug", sink: (line) => lines.push(line) }), lines };
}

const toChat = (chatId: number) => (message: FakeMessage) => message.chat.id === chatId;

describe("the Telegram channel in polling mode", () => {
  let fake: FakeTelegram;
  let channel: TelegramChannel;
  let events: InboundEvent[];
  let lines: string[];

  beforeEach(async () => {
    fake = await startFakeTelegram({ token: TOKEN });
    const scripted = scriptedHandler();
    const captured = capturingLogger();
    events = scripted.events;
    lines = captured.lines;
    channel = createTelegramChannel({ token: TOKEN, apiRoot: fake.url, menu: MENU, handler: scripted.handler, logger: captured.logger });
    await channel.start();
  });

  afterEach(async () => {
    await channel.stop();
    await fake.close();
  });

  it("serves no HTTP routes, because updates are fetched with long polling", () => {
    expect(channel.routes).toEqual([]);
    expect(fake.calls("deleteWebhook")).toHaveLength(1);
  });

  it("passes a text message to the handler as text with the sender's ids, a tg: message id and the client's locale", async () => {
    const update = await fake.userSends(alice, "紫竹半岛");
    const first = await fake.nextBotMessage(toChat(alice.id));

    expect(events).toEqual([
      {
        channel: "telegram",
        userId: "1001",
        chatId: "1001",
        chatType: "private",
        messageId: `tg:${update.update_id}`,
        localeHint: "zh",
        payload: { type: "text", text: "紫竹半岛" },
      },
    ]);
    expect(first.text).toBe("收到：紫竹半岛");
    const sent = fake.calls("sendMessage").map((call) => call.params);
    expect(sent.every((params) => params.parse_mode === undefined)).toBe(true);
  });

  it("renders choices as an inline keyboard, two short labels a row, after the text before them", async () => {
    await fake.userSends(alice, "虹梅");
    const text = await fake.nextBotMessage(toChat(alice.id));
    const choices = await fake.nextBotMessage(toChat(alice.id));

    expect(text.text).toBe("收到：虹梅");
    expect(choices.text).toBe("是这个吗？");
    expect(choices.reply_markup?.inline_keyboard).toEqual([
      [
        { text: "是", callback_data: "yes" },
        { text: "不是", callback_data: "no" },
      ],
      [{ text: "都不是", callback_data: "none" }],
    ]);
  });

  it("parses a command addressed to the bot by name, with its arguments, and gives an English client the en hint", async () => {
    await fake.userSends(bob, "/lang@linli_test_bot en");
    const reply = await fake.nextBotMessage(toChat(bob.id));

    expect(events[0]?.payload).toEqual({ type: "command", command: "lang", args: "en" });
    expect(events[0]?.localeHint).toBe("en");
    expect(reply.text).toBe("命令 lang en");
  });

  it("passes a pressed inline button on as a choice, answers the press and removes that keyboard", async () => {
    await fake.userSends(alice, "虹梅");
    await fake.nextBotMessage(toChat(alice.id));
    const question = await fake.nextBotMessage(toChat(alice.id));

    const press = await fake.userPresses(question, "no");
    const answer = await fake.nextBotMessage(toChat(alice.id));

    expect(events.at(-1)).toMatchObject({
      messageId: `tg:${press.update_id}`,
      chatId: "1001",
      userId: "1001",
      payload: { type: "choice", value: "no" },
    });
    expect(answer.text).toBe("选择了 no");
    expect(fake.calls("answerCallbackQuery").map((call) => call.params.callback_query_id)).toEqual([press.callback_query?.id]);
    expect(fake.currentMessage(alice.id, question.message_id)?.reply_markup).toBeUndefined();
    await expect(fake.userPresses(question, "yes")).rejects.toThrow(/shows no button/);
  });

  it("keeps a group message's keyboard when a button is pressed, for the other staff, and answers the press once", async () => {
    await fake.userSends(alice, "@linli_test_bot alert", { chat: staffGroup });
    const alertMessage = await fake.nextBotMessage(toChat(staffGroup.id));

    const press = await fake.userPresses(alertMessage, "reject", bob);
    const answer = await fake.nextBotMessage(toChat(staffGroup.id));

    expect(answer.text).toBe("驳回需要理由");
    expect(fake.currentMessage(staffGroup.id, alertMessage.message_id)?.reply_markup).toEqual(alertMessage.reply_markup);
    expect(fake.calls("editMessageReplyMarkup")).toEqual([]);
    expect(fake.callbackAnswers()).toEqual([{ id: press.callback_query?.id, text: "只有本片区工作人员可以操作\n请联系管理员" }]);
    // Another member of staff can still press the same alert.
    await fake.userPresses(alertMessage, "claim", alice);
  });

  it("shows a notice as the pressed button's pop-up instead of a message", async () => {
    await fake.userSends(alice, "@linli_test_bot alert", { chat: staffGroup });
    const alertMessage = await fake.nextBotMessage(toChat(staffGroup.id));

    const press = await fake.userPresses(alertMessage, "claim", bob);
    await vi.waitFor(() => expect(fake.callbackAnswers()).toHaveLength(1));

    expect(fake.callbackAnswers()).toEqual([{ id: press.callback_query?.id, text: "已认领" }]);
    expect(events.at(-1)?.payload).toEqual({ type: "choice", value: "claim" });
    expect(fake.deliveredTo(staffGroup.id)).toHaveLength(1);
  });

  it("answers a press without a notice exactly once, with no pop-up text", async () => {
    await fake.userSends(alice, "虹梅");
    await fake.nextBotMessage(toChat(alice.id));
    const question = await fake.nextBotMessage(toChat(alice.id));

    await fake.userPresses(question, "yes");
    await fake.nextBotMessage(toChat(alice.id));

    expect(fake.callbackAnswers().map((answer) => answer.text)).toEqual([undefined]);
  });

  it("passes a sticker on as unsupported, naming the kind", async () => {
    await fake.userSendsSticker(alice);
    const reply = await fake.nextBotMessage(toChat(alice.id));

    expect(events[0]?.payload).toEqual({ type: "unsupported", kind: "sticker" });
    expect(reply.text).toBe("不支持 sticker");
  });

  it("passes a shared location and the largest size of a photo on", async () => {
    await fake.userSharesLocation(alice, 31.0215, 121.4536);
    await fake.nextBotMessage(toChat(alice.id));
    const photo = await fake.userSendsPhoto(alice);
    await fake.nextBotMessage(toChat(alice.id));

    const largest = photo.message?.photo?.at(-1);
    expect(events.map((event) => event.payload)).toEqual([
      { type: "location", latitude: 31.0215, longitude: 121.4536 },
      { type: "photo", fileId: largest?.file_id, sizeBytes: largest?.file_size },
    ]);
  });

  it("splits a 5,000-character reply on a line boundary into two messages that together keep every line", async () => {
    await fake.userSends(alice, "long");
    const first = await fake.nextBotMessage(toChat(alice.id));
    const second = await fake.nextBotMessage(toChat(alice.id));

    expect(LONG_REPLY.length).toBeGreaterThan(4096);
    expect(first.text?.length).toBeLessThanOrEqual(4096);
    expect(`${first.text}\n${second.text}`).toBe(LONG_REPLY);
    expect(first.text?.endsWith("长")).toBe(true);
    expect(fake.calls("sendMessage")).toHaveLength(2);
  });

  it("publishes the command menu in Chinese for Chinese clients and in English for everyone else", () => {
    const published = fake.calls("setMyCommands").map((call) => call.params);

    expect(published).toEqual([
      { commands: MENU.map((entry) => ({ command: entry.name, description: entry.description.en })) },
      { commands: MENU.map((entry) => ({ command: entry.name, description: entry.description.zh })), language_code: "zh" },
    ]);
  });

  it("asks for a location with a one-time button in a private chat and takes the button away with the next text reply", async () => {
    await fake.userSends(alice, "where");
    const request = await fake.nextBotMessage(toChat(alice.id));
    await fake.userSends(alice, "say 好的");
    const next = await fake.nextBotMessage(toChat(alice.id));

    expect(request.reply_markup).toEqual({
      keyboard: [[{ text: "📍 发送我的位置", request_location: true }]],
      one_time_keyboard: true,
      resize_keyboard: true,
    });
    expect(next.text).toBe("好的");
    expect(next.reply_markup).toEqual({ remove_keyboard: true });
  });

  it("in a group answers only commands, mentions and replies to the bot, and asks for a location in plain text", async () => {
    await fake.userSends(alice, "大家好", { chat: staffGroup });
    await fake.userSends(alice, "/start@some_other_bot", { chat: staffGroup });
    await fake.userSends(alice, "@linli_test_bot where", { chat: staffGroup });
    const request = await fake.nextBotMessage(toChat(staffGroup.id));
    await fake.userSends(bob, "say 收到", { chat: staffGroup, replyTo: request });
    await fake.nextBotMessage(toChat(staffGroup.id));
    await fake.userSends(bob, "/help", { chat: staffGroup });
    await fake.nextBotMessage(toChat(staffGroup.id));

    expect(events.map((event) => [event.chatType, event.chatId, event.userId, event.payload])).toEqual([
      ["group", String(staffGroup.id), "1001", { type: "text", text: "where" }],
      ["group", String(staffGroup.id), "1002", { type: "text", text: "say 收到" }],
      ["group", String(staffGroup.id), "1002", { type: "command", command: "help", args: "" }],
    ]);
    expect(request.text).toBe("请发送位置");
    expect(request.reply_markup).toBeUndefined();
  });

  it("logs a reply Telegram refuses without the token and keeps answering", async () => {
    await fake.userSends(alice, "oversized choice");
    await fake.userSends(alice, "say 还在");
    const reply = await fake.nextBotMessage(toChat(alice.id));

    expect(reply.text).toBe("还在");
    const failure = lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((line) => line.message === "telegram send failed");
    expect(failure).toMatchObject({
      level: "error",
      method: "sendMessage",
      error: { errorCode: 400, message: "Bad Request: BUTTON_DATA_INVALID" },
    });
    expect(lines.join("\n")).not.toContain(TOKEN);
  });

  it("finishes an update being handled before stop() resolves", async () => {
    await channel.stop();
    let release!: () => void;
    let entered!: () => void;
    const handlerEntered = new Promise<void>((resolve) => (entered = resolve));
    const slow = createTelegramChannel({
      token: TOKEN,
      apiRoot: fake.url,
      menu: MENU,
      logger: capturingLogger().logger,
      handler: {
        async handle() {
          entered();
          await new Promise<void>((resolve) => (release = resolve));
          return [{ type: "text", text: "处理完了" }];
        },
      },
    });
    channel = slow;
    await slow.start();
    await fake.userSends(alice, "hello");
    await handlerEntered;

    const stopped = slow.stop();
    release();
    await stopped;

    expect(fake.calls("sendMessage").map((call) => call.params.text)).toEqual(["处理完了"]);
  });
});

describe("the Telegram channel in webhook mode", () => {
  let fake: FakeTelegram;
  let channel: TelegramChannel;
  let route: Route;
  let events: InboundEvent[];

  const post = (body: string, secret: string | undefined): HttpRequest => ({
    method: "POST",
    path: "/telegram/webhook",
    query: new URLSearchParams(),
    headers: { "content-type": "application/json", ...(secret === undefined ? {} : { "x-telegram-bot-api-secret-token": secret }) },
    body: Buffer.from(body),
    remoteAddress: "127.0.0.1",
  });

  beforeEach(async () => {
    fake = await startFakeTelegram({ token: TOKEN });
    const scripted = scriptedHandler();
    events = scripted.events;
    channel = createTelegramChannel({
      token: TOKEN,
      apiRoot: fake.url,
      menu: MENU,
      webhook: { url: WEBHOOK_URL, secret: SECRET },
      handler: scripted.handler,
      logger: capturingLogger().logger,
    });
    const [only] = channel.routes;
    if (!only) throw new Error("webhook mode must contribute a route");
    route = only;
  });

  afterEach(async () => {
    await channel.stop();
    await fake.close();
  });

  it("registers its webhook with the secret, keeping pending updates, and serves POST /telegram/webhook", async () => {
    await channel.start();

    expect(channel.routes.map((r) => [r.method, r.path])).toEqual([["POST", "/telegram/webhook"]]);
    expect(fake.webhookInfo()).toEqual({ url: WEBHOOK_URL, secret: SECRET });
    expect(fake.calls("setWebhook")[0]?.params).toMatchObject({
      drop_pending_updates: false,
      allowed_updates: ["message", "callback_query"],
    });
    expect(fake.calls("getUpdates")).toEqual([]);
  });

  it("answers 503 before start() so Telegram delivers the update again later", async () => {
    const response = await route.handle(post(JSON.stringify(fake.textUpdate(alice, "早")), SECRET));

    expect(response.status).toBe(503);
    expect(events).toEqual([]);
  });

  it("rejects a wrong or missing secret with 401 without calling the handler", async () => {
    await channel.start();
    const body = JSON.stringify(fake.textUpdate(alice, "紫竹半岛"));

    const wrong = await route.handle(post(body, "webhook-secret-0123456788"));
    const missing = await route.handle(post(body, undefined));
    const wrongLength = await route.handle(post(body, "short"));

    expect([wrong.status, missing.status, wrongLength.status]).toEqual([401, 401, 401]);
    expect(events).toEqual([]);
    expect(fake.calls("sendMessage")).toEqual([]);
  });

  it("answers 400 to a body that is not JSON or not an update", async () => {
    await channel.start();

    const malformed = await route.handle(post('{ "update_id": 1, ', SECRET));
    const notAnUpdate = await route.handle(post(JSON.stringify({ hello: "world" }), SECRET));

    expect([malformed.status, notAnUpdate.status]).toEqual([400, 400]);
    expect(events).toEqual([]);
  });

  it("puts one call in its answer to each webhook request: a button press's answer, otherwise the last text reply, after every request before it", async () => {
    await channel.start();
    const http = await startHttpServer({ host: "127.0.0.1", port: 0, routes: channel.routes, logger: capturingLogger().logger });
    fake.routeWebhookTo(`${http.url}/telegram/webhook`);
    try {
      await fake.userSends(alice, "虹梅");
      const answer = await fake.nextBotMessage(toChat(alice.id));
      const question = await fake.nextBotMessage(toChat(alice.id));
      expect([answer.text, question.text]).toEqual(["收到：虹梅", "是这个吗？"]);

      const press = await fake.userPresses(question, "no");

      expect((await fake.nextBotMessage(toChat(alice.id))).text).toBe("选择了 no");
      expect(fake.calls("answerCallbackQuery")).toEqual([
        {
          method: "answerCallbackQuery",
          params: { callback_query_id: press.callback_query?.id },
          ok: true,
          viaWebhookReply: true,
          at: expect.any(Number),
        },
      ]);
      // The message's first reply is a request and its last rides in the answer; the press's answer took that
      // place, so its reply and the keyboard removal are requests of their own.
      expect(fake.calls("sendMessage").map((call) => [call.params.text, call.viaWebhookReply ?? false])).toEqual([
        ["收到：虹梅", false],
        ["是这个吗？", true],
        ["选择了 no", false],
      ]);
      expect(fake.calls("editMessageReplyMarkup")).toHaveLength(1);
    } finally {
      await http.close();
    }
  });

  it("sends every reply as a request of its own for a while after Telegram refused one with 429, so none goes unseen and unretried in a webhook answer", async () => {
    await channel.start();
    const http = await startHttpServer({ host: "127.0.0.1", port: 0, routes: channel.routes, logger: capturingLogger().logger });
    fake.routeWebhookTo(`${http.url}/telegram/webhook`);
    try {
      fake.failNextSends(1, { type: "retryAfter", seconds: 1 }, { chatId: alice.id });
      await fake.userSends(alice, "虹梅");
      await fake.userSends(alice, "紫竹");

      expect(fake.deliveredTo(alice.id).map((message) => message.text)).toEqual(["收到：虹梅", "是这个吗？", "收到：紫竹", "是这个吗？"]);
      expect(fake.calls("sendMessage").map((call) => [call.params.text, call.ok, call.viaWebhookReply ?? false])).toEqual([
        ["收到：虹梅", false, false],
        ["收到：虹梅", true, false],
        ["是这个吗？", true, false],
        ["收到：紫竹", true, false],
        ["是这个吗？", true, false],
      ]);
    } finally {
      await http.close();
    }
  });

  it("hands an update delivered twice to the handler twice with the same messageId, leaving dedupe to the dispatcher", async () => {
    await channel.start();
    const update = fake.textUpdate(alice, "紫竹半岛");
    const body = JSON.stringify(update);

    const first = await route.handle(post(body, SECRET));
    const second = await route.handle(post(body, SECRET));

    expect([first.status, second.status]).toEqual([200, 200]);
    expect(events.map((event) => event.messageId)).toEqual([`tg:${update.update_id}`, `tg:${update.update_id}`]);
    const reply = await fake.nextBotMessage(toChat(alice.id));
    expect(reply.text).toBe("收到：紫竹半岛");
  });
});

describe("starting the Telegram channel", () => {
  it("fails with a TelegramStartError naming getMe, and not the token, when Telegram rejects the token", async () => {
    const fake = await startFakeTelegram({ token: TOKEN });
    const revoked = "123456:REVOKED-TOKEN-abcdefghijklmnop";
    const channel = createTelegramChannel({
      token: revoked,
      apiRoot: fake.url,
      menu: MENU,
      handler: scriptedHandler().handler,
      logger: capturingLogger().logger,
    });
    try {
      const failure = await channel.start().then(
        () => undefined,
        (error: unknown) => error,
      );

      expect(failure).toBeInstanceOf(TelegramStartError);
      expect(failure).toMatchObject({ step: "getMe", detail: { errorCode: 401, message: "Unauthorized" } });
      expect(String((failure as Error).message)).not.toContain(revoked);
      expect(fake.calls("getMe")).toEqual([]);
    } finally {
      await channel.stop();
      await fake.close();
    }
  });
});

describe("the Telegram channel's photo replies", () => {
  let fake: FakeTelegram;
  let media: MediaFixture;
  let channel: TelegramChannel;
  let photoId: string;
  const lostId = "9d1e5a8c-0b7f-4a3e-8c2d-5f6a7b8c9d0e";

  beforeAll(async () => {
    media = await openMediaFixture({ maxBytes: 1024 * 1024 });
    const stored = await media.store.put(TINY_PNG(77));
    if (!stored.ok) throw new Error(stored.reason);
    photoId = stored.mediaId;
  });
  afterAll(async () => {
    await media.close();
  });
  beforeEach(async () => {
    fake = await startFakeTelegram({ token: TOKEN });
    channel = createTelegramChannel({
      token: TOKEN,
      apiRoot: fake.url,
      menu: MENU,
      media: media.store,
      logger: capturingLogger().logger,
      handler: {
        handle: async (event) =>
          event.payload.type === "text" && event.payload.text === "lost"
            ? [{ type: "photo", mediaId: lostId, caption: "照片已丢失" }]
            : [{ type: "photo", mediaId: photoId, caption: "现场照片" }],
      },
    });
    await channel.start();
  });
  afterEach(async () => {
    await channel.stop();
    await fake.close();
  });

  it("uploads a stored photo with its caption", async () => {
    await fake.userSends(alice, "photo");
    const photo = await fake.nextBotMessage(toChat(alice.id));

    expect(photo.caption).toBe("现场照片");
    expect(fake.photoBytes(photo)?.equals(TINY_PNG(77))).toBe(true);
  });

  it("sends the caption as text when the media store has lost the photo", async () => {
    await fake.userSends(alice, "lost");
    const reply = await fake.nextBotMessage(toChat(alice.id));

    expect(reply.text).toBe("照片已丢失");
    expect(fake.calls("sendPhoto")).toEqual([]);
  });
});
