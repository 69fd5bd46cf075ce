import { Bot, BotError, GrammyError, HttpError } from "grammy";
import type { MaybeInaccessibleMessage, Update } from "grammy/types";
import { COMMAND_MENU } from "../../../flows/kit/commands.ts";
import type { InboundEvent, Locale } from "../../../flows/kit/messages.ts";
import type { Logger } from "../../../log.ts";
import type { Route } from "../../http/route.ts";
import type { UpdateHandler } from "../../update-handler.ts";
import { callbackToEvent, messageToEvent } from "./inbound.ts";
import { planReplies, type TelegramSend } from "./outbound.ts";
import { createWebhookRoute } from "./webhook.ts";

/** Linli only converses through messages and button presses; asking for less keeps traffic down. */
const ALLOWED_UPDATES = ["message", "callback_query"] as const;
/** Long-polling wait per getUpdates call, in seconds. */
const POLL_TIMEOUT_SECONDS = 30;
/** Upper bound for one Bot API call; above the long-poll wait so polling is never cut short. */
const API_TIMEOUT_SECONDS = 60;
/** How long start() keeps retrying getMe before giving up on an unreachable Bot API server. */
const START_TIMEOUT_MS = 30_000;

/** How to reach Telegram and whom to hand parsed updates to. */
export interface TelegramChannelOptions {
  token: string;
  /** Bot API root without a trailing slash, e.g. `https://api.telegram.org` or a self-hosted server. */
  apiRoot: string;
  /** Webhook mode when given; long polling otherwise. */
  webhook?: { url: string; secret: string } | undefined;
  handler: UpdateHandler;
  logger: Logger;
}

/** A running Telegram bot as the composition root sees it. */
export interface TelegramChannel {
  /** `POST /telegram/webhook` in webhook mode; empty in polling mode. */
  routes: Route[];
  /**
   * Checks the token (getMe), publishes the command menu, then registers the
   * webhook or starts long polling in the background. Resolves once updates can
   * flow; rejects with {@link TelegramStartError} if they cannot.
   */
  start(): Promise<void>;
  /**
   * Stops taking updates (polling ends, the webhook answers 503 so Telegram
   * retries elsewhere or later) and resolves when updates in flight are handled.
   * The webhook stays registered: other instances may still be serving it.
   */
  stop(): Promise<void>;
}

/** A Bot API failure described without the token (grammY's raw errors embed it in URLs). */
export interface TelegramErrorDetail {
  name: string;
  message: string;
  method?: string;
  errorCode?: number;
}

/** Raised by {@link TelegramChannel.start} naming the step that failed, e.g. getMe with a revoked token. */
export class TelegramStartError extends Error {
  constructor(
    readonly step: "getMe" | "setWebhook" | "polling",
    readonly apiRoot: string,
    readonly detail: TelegramErrorDetail,
  ) {
    super(`Telegram ${step} failed against ${apiRoot}: ${detail.errorCode ? `${detail.errorCode} ` : ""}${detail.message}`);
    this.name = "TelegramStartError";
  }
}

function describeError(error: unknown, token: string): TelegramErrorDetail {
  const scrub = (text: string) => text.split(token).join("[token]");
  if (error instanceof GrammyError) {
    return { name: error.name, message: scrub(error.description), method: error.method, errorCode: error.error_code };
  }
  if (error instanceof HttpError) {
    const cause = error.error instanceof Error ? error.error.message : String(error.error);
    return { name: error.name, message: scrub(`${error.message} ${cause}`) };
  }
  if (error instanceof Error) return { name: error.name, message: scrub(error.message) };
  return { name: "Error", message: scrub(String(error)) };
}

function menuIn(locale: Locale) {
  return COMMAND_MENU.map((entry) => ({ command: entry.command, description: entry.description[locale] }));
}

/** Where replies to an update go: the chat, and the forum topic when the update came from one. */
interface ReplyTarget {
  chatId: number;
  threadId: number | undefined;
}

function targetOf(message: MaybeInaccessibleMessage): ReplyTarget {
  const inTopic = message.date !== 0 && message.is_topic_message === true;
  return { chatId: message.chat.id, threadId: inTopic ? message.message_thread_id : undefined };
}

/**
 * Creates the Telegram channel: parses updates into {@link InboundEvent}s, feeds
 * them to the handler and renders its replies. This module and its siblings are
 * the only code that knows grammY.
 *
 * In polling mode grammY handles updates one after another; that keeps
 * at-least-once delivery (an update is confirmed only after it was handled) at
 * the price of throughput, which suits one town. Webhook mode, the scale-out
 * deployment, handles concurrent deliveries concurrently.
 */
export function createTelegramChannel(options: TelegramChannelOptions): TelegramChannel {
  const { token, handler, webhook } = options;
  const apiRoot = options.apiRoot.replace(/\/+$/, "");
  const logger = options.logger.child({ channel: "telegram" });
  const describe = (error: unknown) => describeError(error, token);
  const bot = new Bot(token, { client: { apiRoot, timeoutSeconds: API_TIMEOUT_SECONDS } });

  let ready = false;
  let stopping = false;
  let polling: Promise<void> | undefined;
  const inFlight = new Set<Promise<void>>();

  const reportUpdateError = (updateId: number, error: unknown) =>
    logger.error("telegram update failed", { updateId, error: describe(error) });

  const send = async (request: TelegramSend, target: ReplyTarget) => {
    const thread = target.threadId === undefined ? {} : { message_thread_id: target.threadId };
    if (request.method === "sendMessage") {
      await bot.api.sendMessage(target.chatId, request.text, { ...thread, ...(request.replyMarkup ? { reply_markup: request.replyMarkup } : {}) });
    } else {
      await bot.api.sendPhoto(target.chatId, request.photo, { ...thread, ...(request.caption === undefined ? {} : { caption: request.caption }) });
    }
  };

  const respond = async (event: InboundEvent, target: ReplyTarget) => {
    const replies = await handler.handle(event);
    for (const request of planReplies(replies, { isPrivate: event.chatType === "private" })) {
      try {
        await send(request, target);
      } catch (error) {
        const detail = describe(error);
        logger.error("telegram send failed", { method: request.method, chatId: target.chatId, messageId: event.messageId, error: detail });
        // 403: the user blocked the bot or it left the group; the rest would fail the same way.
        if (detail.errorCode === 403) return;
      }
    }
  };

  bot.on("callback_query", async (ctx) => {
    const query = ctx.callbackQuery;
    // Answer first: until answered, the user's client shows a spinner on the button.
    await bot.api.answerCallbackQuery(query.id).catch((error: unknown) => logger.warn("telegram answerCallbackQuery failed", { error: describe(error) }));
    const message = query.message;
    if (!message) return;
    if (message.reply_markup) {
      // Removing the pressed keyboard keeps an old question from being answered twice.
      await bot.api
        .editMessageReplyMarkup(message.chat.id, message.message_id)
        .catch((error: unknown) => logger.warn("telegram keyboard removal failed", { error: describe(error) }));
    }
    const event = callbackToEvent(ctx.update.update_id, query);
    if (event) await respond(event, targetOf(message));
  });

  bot.on("message", async (ctx) => {
    const event = messageToEvent(ctx.update.update_id, ctx.message, ctx.me);
    if (event) await respond(event, targetOf(ctx.message));
  });

  bot.catch((error) => reportUpdateError(error.ctx.update.update_id, error.error));

  const handleWebhookUpdate = (update: { update_id: number }) => {
    const task = bot
      .handleUpdate(update as Update)
      .catch((error: unknown) => reportUpdateError(update.update_id, error instanceof BotError ? error.error : error));
    inFlight.add(task);
    return task.finally(() => inFlight.delete(task));
  };

  const routes: Route[] = webhook
    ? [createWebhookRoute({ secret: webhook.secret, isReady: () => ready && !stopping, handle: handleWebhookUpdate })]
    : [];

  const publishCommandMenu = async () => {
    // The menu speaks the language replies will be in. Replies follow the
    // client's language_code (zh… gives Chinese, anything else English, see
    // localeFromLanguageCode), so Chinese clients get the zh menu and every
    // other client the English default, never a menu in one language and
    // answers in the other.
    try {
      await bot.api.setMyCommands(menuIn("en"));
      await bot.api.setMyCommands(menuIn("zh"), { language_code: "zh" });
    } catch (error) {
      // A missing menu is cosmetic; the commands still work when typed.
      logger.warn("telegram command menu not published", { error: describe(error) });
    }
  };

  const startPolling = () =>
    new Promise<void>((resolve, reject) => {
      let started = false;
      polling = bot
        .start({
          allowed_updates: ALLOWED_UPDATES,
          drop_pending_updates: false,
          timeout: POLL_TIMEOUT_SECONDS,
          onStart: () => {
            started = true;
            resolve();
          },
        })
        .catch((error: unknown) => {
          if (!started) reject(new TelegramStartError("polling", apiRoot, describe(error)));
          // 401 (token revoked) or 409 (another instance polls): grammY gives up; say so loudly.
          else logger.error("telegram polling stopped", { error: describe(error) });
        });
    });

  return {
    routes,
    async start() {
      try {
        // grammY types its signal with its AbortController polyfill; Node's own signal works the same at run time.
        await bot.init(AbortSignal.timeout(START_TIMEOUT_MS) as Parameters<typeof bot.init>[0]);
      } catch (error) {
        throw new TelegramStartError("getMe", apiRoot, describe(error));
      }
      await publishCommandMenu();
      if (webhook) {
        try {
          await bot.api.setWebhook(webhook.url, { secret_token: webhook.secret, drop_pending_updates: false, allowed_updates: ALLOWED_UPDATES });
        } catch (error) {
          throw new TelegramStartError("setWebhook", apiRoot, describe(error));
        }
      } else {
        await startPolling();
      }
      ready = true;
      logger.info("telegram channel started", { mode: webhook ? "webhook" : "polling", bot: bot.botInfo.username });
    },
    async stop() {
      stopping = true;
      if (polling) {
        await bot.stop().catch((error: unknown) => logger.warn("telegram polling offset not saved", { error: describe(error) }));
        await polling;
      }
      await Promise.all(inFlight);
    },
  };
}
