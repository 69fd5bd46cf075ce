import { randomBytes } from "node:crypto";
import { z } from "zod";
import type { ChoiceOption, InboundPayload, OutboundMessage } from "../../../flows/kit/messages.ts";
import type { Logger } from "../../../log.ts";
import { httpRequest } from "../../http/client.ts";
import type { HttpRequest, HttpResponse } from "../../http/route.ts";
import type { MountedRoute } from "../../http/server.ts";
import type { ChannelSender, SendResult } from "../../notify/outbox-worker.ts";
import { LockTimeoutError, SessionStoreUnavailableError, type SessionStore } from "../../sessions/store.ts";
import type { UpdateHandler } from "../../update-handler.ts";
import { createWecomCrypto } from "./crypto.ts";
import { callbackSchema, parseCallback, type CallbackOrigin } from "./inbound.ts";
import { answeredCard, choiceCard, passiveMessageReply, pushMessage, renderReply, type ButtonCard } from "./render.ts";

/** What the composition root passes: the bot's configuration and the shared services. */
export interface WecomBotChannelOptions {
  token: string;
  encodingAesKey: string;
  receiveId: string;
  callbackPath: string;
  timestampWindowSeconds: number;
  handler: UpdateHandler;
  /** Nonce and msgid marks, remembered choices, response URLs and undelivered pushes live here (Redis with several instances). */
  store: SessionStore;
  /**
   * Where pushes wait that no response_url can carry, until the chat's next
   * message; shared with the web chat's inbox (main.ts passes it), ids here
   * are prefixed `wecom:` so they never meet a browser's.
   */
  inbox: PendingInbox;
  logger: Logger;
  now?: () => Date;
  /** Upper bound of one call to a response_url or an image download; default 15 s. */
  timeoutMs?: number;
}

/** A store of messages per chat id that are handed out once, oldest first (the web chat's inbox has this shape). */
export interface PendingInbox {
  deliver(id: string, messages: OutboundMessage[]): Promise<void>;
  take(id: string): Promise<OutboundMessage[]>;
}

/** The intelligent bot's parts: its callback routes and its outbox sender. */
export interface WecomBotChannel {
  routes: MountedRoute[];
  sender: ChannelSender;
}

/** Callbacks are small JSON; an image arrives as a URL, never in the body. */
export const WECOM_CALLBACK_MAX_BODY_BYTES = 64 * 1024;
/** WeCom lets a response_url be used once within an hour; a little less leaves room for clock skew. */
const RESPONSE_URL_TTL_MS = 55 * 60_000;
/** Longer than WeCom's retries of one callback. */
const MSGID_TTL_MS = 26 * 60 * 60_000;
/**
 * How long the answer to a message is kept for WeCom's redeliveries of it.
 * WeCom waits about five seconds for an answer, then delivers the message
 * again, up to three times; ten minutes covers that with room to spare, and
 * replies (which may quote a report) are not kept longer than needed.
 */
const FIRST_ANSWER_TTL_MS = 10 * 60_000;
/** How long typed numbers keep meaning the options of the last choice, and a card's buttons their labels. */
const CHOICES_TTL_MS = 24 * 60 * 60_000;

const QUERY = z.object({
  msg_signature: z.string().regex(/^[0-9A-Fa-f]{40}$/),
  timestamp: z.string().regex(/^\d{1,12}$/),
  nonce: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
});
const ENVELOPE = z.object({ encrypt: z.string().min(1).max(WECOM_CALLBACK_MAX_BODY_BYTES) });
const rememberedChoices = z.array(z.object({ label: z.string(), value: z.string() }));
const rememberedCard = z.object({ title: z.string(), options: rememberedChoices });
const pushAnswer = z.looseObject({ errcode: z.number().optional() });
/** The plain passive reply a message got (null: answered with an empty body), kept for its redeliveries. */
const firstAnswer = z.object({ reply: z.record(z.string(), z.unknown()).nullable() });

const plain = (status: number, body: string): HttpResponse => ({
  status,
  headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" },
  body,
});

/** Where a chat's undelivered pushes wait; the prefix keeps WeCom ids apart from web-chat client ids in the shared inbox. */
const inboxId = (chatId: string) => `wecom:${chatId}`;
const pushKey = (chatId: string) => `wecombot:push:${chatId}`;
const choicesKey = (origin: Pick<CallbackOrigin, "chatId" | "userId">) => `wecombot:choices:${origin.chatId}:${origin.userId}`;
const cardKey = (taskId: string) => `wecombot:card:${taskId}`;
const answerKey = (msgid: string) => `wecombot:answer:${msgid}`;

/**
 * The WeCom intelligent bot (智能机器人) in API mode, at one callback path:
 * `GET` verifies the URL (answers the decrypted `echostr`), `POST` takes
 * encrypted messages and card clicks. Every request passes, in this order:
 * query and envelope shape (400), signature in constant time (401), timestamp
 * within the window (401), decryption and receive id (400/403), nonce not seen
 * before (409), callback JSON (400). Only then is anything handled, so a
 * forged, stale, replayed or broken request changes nothing and learns nothing.
 * A msgid seen before is WeCom delivering again a message whose answer it did
 * not get in time: it waits for the first delivery to finish (under the
 * msgid's lock, bounded by the store's lock wait) and gets the first answer
 * again, handled once; after the redelivery window it gets 409.
 *
 * Replies: a message gets the encrypted passive reply (a finished stream, plus
 * a button card for the last choice). Its response_url stays unused and is kept
 * for the outbox's next push to that chat. A card click gets the clicked card
 * updated in place (with the flow's `replace` of it, or marked answered) and
 * the flow's other replies through the click's own response_url. A push with
 * no fresh response_url waits in the chat's inbox and is delivered with the
 * next reply in that chat (see docs/decisions/0004-wecom-intelligent-bot.md).
 */
export function createWecomBotChannel(options: WecomBotChannelOptions): WecomBotChannel {
  const { handler, store, inbox, logger } = options;
  const crypto = createWecomCrypto(options);
  const now = options.now ?? (() => new Date());
  const timeoutMs = options.timeoutMs ?? 15_000;

  /** Shape, signature, time and replay checks shared by both methods; the decrypted plaintext or the answer to give. */
  const authenticate = async (
    request: HttpRequest,
    ciphertext: string | undefined,
  ): Promise<{ ok: true; plaintext: string } | { ok: false; response: HttpResponse }> => {
    const query = QUERY.safeParse(Object.fromEntries(request.query));
    if (!query.success || ciphertext === undefined) return { ok: false, response: plain(400, "bad request") };
    const { msg_signature: signature, timestamp, nonce } = query.data;
    if (!crypto.signatureMatches(signature, timestamp, nonce, ciphertext)) return { ok: false, response: plain(401, "bad signature") };
    if (Math.abs(now().getTime() / 1000 - Number(timestamp)) > options.timestampWindowSeconds)
      return { ok: false, response: plain(401, "stale timestamp") };
    const opened = crypto.open(ciphertext);
    if (!opened.ok)
      return { ok: false, response: opened.reason === "receiveId" ? plain(403, "wrong receive id") : plain(400, "bad ciphertext") };
    const fresh = await store.withLock(`wecombot:nonce:${nonce}`, async () => {
      const mark = `wecombot:nonce:${nonce}`;
      if (await store.wasProcessed(mark)) return false;
      await store.markProcessed(mark, options.timestampWindowSeconds * 2 * 1000);
      return true;
    });
    if (!fresh) return { ok: false, response: plain(409, "replayed nonce") };
    return { ok: true, plaintext: opened.plaintext };
  };

  /** A store that is down or a lock that is stuck is WeCom's to retry later; the msgid mark makes the retry count once. */
  const unlessStoreDown = async (fn: () => Promise<HttpResponse>): Promise<HttpResponse> => {
    try {
      return await fn();
    } catch (error) {
      if (!(error instanceof SessionStoreUnavailableError || error instanceof LockTimeoutError)) throw error;
      logger.warn("wecom callback deferred: session store busy or down", { error });
      return plain(503, "try again");
    }
  };

  const sealed = (reply: object | undefined): HttpResponse => {
    if (!reply) return plain(200, "");
    return {
      status: 200,
      headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
      body: JSON.stringify(crypto.seal(JSON.stringify(reply), now())),
    };
  };

  const readJson = async <T>(key: string, schema: z.ZodType<T>): Promise<T | undefined> => {
    const raw = await store.read(key);
    if (raw === undefined) return undefined;
    try {
      const parsed = schema.safeParse(JSON.parse(raw));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  };

  /** Typed numbers select the last choice's options until the next reply in this conversation replaces them. */
  const rememberNumbers = async (origin: Pick<CallbackOrigin, "chatId" | "userId">, numbered: ChoiceOption[]) => {
    if (numbered.length === 0) await store.delete(choicesKey(origin));
    else await store.write(choicesKey(origin), JSON.stringify(numbered.map(({ label, value }) => ({ label, value }))), CHOICES_TTL_MS);
  };

  const rememberCard = async (card: ButtonCard | undefined, options: readonly ChoiceOption[]) => {
    if (card) await store.write(cardKey(card.task_id), JSON.stringify({ title: card.main_title.title, options }), CHOICES_TTL_MS);
  };

  const numberToChoice = async (origin: CallbackOrigin, payload: InboundPayload): Promise<InboundPayload> => {
    if (payload.type !== "text") return payload;
    const number = /^\s*(\d{1,2})\s*$/.exec(payload.text);
    if (!number) return payload;
    const option = (await readJson(choicesKey(origin), rememberedChoices))?.[Number(number[1]) - 1];
    return option ? { type: "choice", value: option.value } : payload;
  };

  /** POSTs one message to a response_url; true when WeCom took it. */
  const postToResponseUrl = async (url: string, body: object): Promise<boolean> => {
    try {
      const response = await httpRequest(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
        timeoutMs,
      });
      if (!response.ok) {
        await response.body.dump();
        return false;
      }
      const answer = pushAnswer.safeParse(await response.body.json().catch(() => ({})));
      return answer.success && (answer.data.errcode ?? 0) === 0;
    } catch {
      return false;
    }
  };

  /** Sends replies through a response_url, or keeps them in the chat's inbox when that is impossible. */
  const push = async (chatId: string, url: string | undefined, messages: OutboundMessage[]): Promise<string | undefined> => {
    const rendered = renderReply(messages);
    const message = pushMessage(rendered);
    if (!message) return undefined;
    if (url && (await postToResponseUrl(url, message.body))) {
      await rememberCard(message.card, rendered.numbered);
      return message.card?.task_id;
    }
    await inbox.deliver(inboxId(chatId), messages);
    return undefined;
  };

  const handleMessage = async (
    msgid: string,
    origin: CallbackOrigin,
    payloads: InboundPayload[],
    responseUrl: string | undefined,
  ): Promise<object | undefined> => {
    const waiting = await inbox.take(inboxId(origin.chatId));
    const replies: OutboundMessage[] = [...waiting];
    for (const [index, payload] of payloads.entries()) {
      const messageId = index === 0 ? `wecom:${msgid}` : `wecom:${msgid}:${index}`;
      replies.push(...(await handler.handle({ channel: "wecom", ...origin, messageId, payload: await numberToChoice(origin, payload) })));
    }
    const rendered = renderReply(replies);
    await rememberNumbers(origin, rendered.numbered);
    await rememberCard(rendered.card, rendered.numbered);
    if (responseUrl) await store.write(pushKey(origin.chatId), JSON.stringify({ url: responseUrl }), RESPONSE_URL_TTL_MS);
    return passiveMessageReply(rendered, randomBytes(8).toString("hex"));
  };

  const handleClick = async (
    msgid: string,
    origin: CallbackOrigin,
    key: string,
    taskId: string,
    responseUrl: string | undefined,
  ): Promise<object> => {
    const card = await readJson(cardKey(taskId), rememberedCard);
    const replies = await handler.handle({
      channel: "wecom",
      ...origin,
      messageId: `wecom:${msgid}`,
      payload: { type: "choice", value: key },
    });
    // The flow's new version of the clicked card (an alert after an action) replaces it in place, like an edit on Telegram.
    const replacement = replies.findLast((message) => message.type === "replace" && message.messageRef === taskId);
    const others = replies.filter((message) => message !== replacement);
    let updated: ButtonCard;
    if (replacement?.type === "replace" && replacement.options.length > 0 && replacement.options.length <= 6) {
      updated = choiceCard(replacement.text, replacement.options, taskId);
      await rememberCard(updated, replacement.options);
    } else {
      const chosen = card?.options.find((option) => option.value === key)?.label ?? key;
      updated = answeredCard(taskId, card?.title ?? chosen, chosen);
      if (replacement) others.unshift(replacement);
    }
    if (others.length > 0) {
      const rendered = renderReply(others);
      await rememberNumbers(origin, rendered.numbered);
      await push(origin.chatId, responseUrl, others);
    }
    return { response_type: "update_template_card", template_card: updated };
  };

  const verify: MountedRoute = {
    method: "GET",
    path: options.callbackPath,
    maxBodyBytes: WECOM_CALLBACK_MAX_BODY_BYTES,
    handle: (request) =>
      unlessStoreDown(async () => {
        const checked = await authenticate(request, request.query.get("echostr") ?? undefined);
        return checked.ok ? plain(200, checked.plaintext) : checked.response;
      }),
  };

  const callback: MountedRoute = {
    method: "POST",
    path: options.callbackPath,
    maxBodyBytes: WECOM_CALLBACK_MAX_BODY_BYTES,
    handle: (request) =>
      unlessStoreDown(async () => {
        let envelope: z.infer<typeof ENVELOPE> | undefined;
        try {
          const parsed = ENVELOPE.safeParse(JSON.parse(request.body.toString("utf8")));
          envelope = parsed.success ? parsed.data : undefined;
        } catch {
          envelope = undefined;
        }
        const checked = await authenticate(request, envelope?.encrypt);
        if (!checked.ok) return checked.response;
        let json: unknown;
        try {
          json = JSON.parse(checked.plaintext);
        } catch {
          return plain(400, "not a callback");
        }
        const parsed = callbackSchema.safeParse(json);
        if (!parsed.success) return plain(400, "not a callback");
        const message = parsed.data;
        const action = parseCallback(message);
        const mark = `wecombot:msg:${message.msgid}`;
        return await store.withLock(mark, async () => {
          if (await store.wasProcessed(mark)) {
            const first = await readJson(answerKey(message.msgid), firstAnswer);
            return first ? sealed(first.reply ?? undefined) : plain(409, "already processed");
          }
          let reply: object | undefined;
          if (action.type === "events") reply = await handleMessage(message.msgid, action.origin, action.payloads, message.response_url);
          else if (action.type === "click")
            reply = await handleClick(message.msgid, action.origin, action.key, action.taskId, message.response_url);
          await store.write(answerKey(message.msgid), JSON.stringify({ reply: reply ?? null }), FIRST_ANSWER_TTL_MS);
          await store.markProcessed(mark, MSGID_TTL_MS);
          return sealed(reply);
        });
      }),
  };

  const sender: ChannelSender = {
    perDestinationPerMinute: 20,
    perSecondOverall: 50,
    async send(chatId, messages): Promise<SendResult> {
      try {
        // Taken, not read: a response_url takes one message, so two workers must not both use it.
        const url = await store.withLock(pushKey(chatId), async () => {
          const stored = await readJson(pushKey(chatId), z.object({ url: z.string() }));
          if (stored) await store.delete(pushKey(chatId));
          return stored?.url;
        });
        const ref = await push(chatId, url, messages);
        return ref ? { type: "sent", ref } : { type: "sent" };
      } catch (error) {
        return {
          type: "failed",
          error: `WeCom bot push could not be stored or sent: ${error instanceof Error ? error.name : "unknown error"}`,
        };
      }
    },
  };

  return { routes: [verify, callback], sender };
}

/**
 * The outbox's sender for channel "wecom", which has two kinds of address: a
 * group robot's webhook URL (alerts configured in the town data) and an
 * intelligent-bot chat (a user id or group chat id, from people who talk to
 * the bot). A URL goes to the robot sender, anything else to the bot's; with
 * the bot off, such rows fail like any undeliverable row and are retried.
 */
export function createWecomSender(senders: { robot: ChannelSender; bot: ChannelSender | undefined }): ChannelSender {
  const { robot, bot } = senders;
  return {
    perDestinationPerMinute: robot.perDestinationPerMinute,
    perSecondOverall: robot.perSecondOverall,
    async send(chatId, messages) {
      if (/^https?:\/\//i.test(chatId)) return robot.send(chatId, messages);
      if (!bot) return { type: "failed", error: "the WeCom intelligent bot is not configured on this instance" };
      return bot.send(chatId, messages);
    },
  };
}
