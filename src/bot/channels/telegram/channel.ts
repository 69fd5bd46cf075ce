import { setTimeout as sleep } from "node:timers/promises";
import { type Api, Bot, BotError, GrammyError, HttpError } from "grammy";
import type { MaybeInaccessibleMessage, Update } from "grammy/types";
import type { CommandEntry } from "../../../flows/kit/commands.ts";
import type { InboundEvent, Locale, OutboundMessage } from "../../../flows/kit/messages.ts";
import type { Logger } from "../../../log.ts";
import { botApiFetch } from "../../http/client.ts";
import type { Route } from "../../http/route.ts";
import type { MediaReader } from "../../media/store.ts";
import type { UpdateHandler } from "../../update-handler.ts";
import { loadPhotos, performSend, type LoadedPhotos, type SendTarget } from "./calls.ts";
import { callbackToEvent, messageToEvent } from "./inbound.ts";
import { planReplies, takeNotices, type TelegramSend } from "./outbound.ts";
import { createWebhookRoute } from "./webhook.ts";

/** Linli only converses through messages and button presses; asking for less keeps traffic down. */
const ALLOWED_UPDATES = ["message", "callback_query"] as const;
/** Long-polling wait per getUpdates call, in seconds. */
const POLL_TIMEOUT_SECONDS = 30;
/** Upper bound for one Bot API call; above the long-poll wait so polling is never cut short. */
const API_TIMEOUT_SECONDS = 60;
/** How long start() keeps retrying getMe before giving up on an unreachable Bot API server. */
const START_TIMEOUT_MS = 30_000;
/**
 * Longest `retry_after` a reply waits for before its one retry. Telegram's 429
 * says the message was not accepted, so retrying cannot duplicate it; a longer
 * wait would hold up every later update (polling handles them one by one), so
 * such a reply is given up and logged like any other refused send.
 */
const MAX_REPLY_RETRY_AFTER_SECONDS = 5;
/**
 * How long replies stop riding in webhook answers after Telegram refused a
 * call with 429 (longer when its `retry_after` says so). A refusal of a
 * webhook answer's call goes unseen and unretried, and rate limiting is the
 * refusal a retry would have mended.
 */
const WEBHOOK_REPLY_PAUSE_AFTER_429_MS = 60_000;

/** How to reach Telegram and whom to hand parsed updates to. */
export interface TelegramChannelOptions {
  token: string;
  /** Bot API root without a trailing slash, e.g. `https://api.telegram.org` or a self-hosted server. */
  apiRoot: string;
  /** Webhook mode when given; long polling otherwise. */
  webhook?: { url: string; secret: string } | undefined;
  handler: UpdateHandler;
  /**
   * Where photos in replies are read from, by media id. Without it (or when
   * the store has lost a file) a photo is replaced by its caption as text.
   */
  media?: MediaReader | undefined;
  /** The commands to publish as the bot's menu, in order (`commandsFor(declaredCommands(FLOWS))`). */
  menu: readonly CommandEntry[];
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
  /** The bot's @username as getMe reported it; only valid after {@link TelegramChannel.start} resolved. */
  username(): string;
  /**
   * Whether updates flow: {@link TelegramChannel.start} finished (the webhook
   * is registered or polling runs) and {@link TelegramChannel.stop} was not
   * called. Until then the webhook answers 503.
   */
  ready(): boolean;
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

function menuIn(menu: readonly CommandEntry[], locale: Locale) {
  return menu.map((entry) => ({ command: entry.name, description: entry.description[locale] }));
}

/** Where replies to an update go: the chat, and the forum topic when the update came from one. */
function targetOf(message: MaybeInaccessibleMessage): SendTarget {
  const inTopic = message.date !== 0 && message.is_topic_message === true;
  return { chatId: message.chat.id, threadId: inTopic ? message.message_thread_id : undefined };
}

/**
 * Creates the Telegram channel: parses updates into {@link InboundEvent}s, feeds
 * them to the handler and renders its replies. This module and its siblings are
 * the only code that knows grammY.
 *
 * A button press is answered once, after the handler ran, with the reply's
 * `notice`s as the pop-up text (an empty answer when there is none or the
 * handler failed). In private chats the pressed keyboard is removed first; in
 * groups it stays, since several staff use one alert's buttons.
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
  let webhookRepliesPausedUntil = 0;
  // In webhook mode one call per update can travel in the webhook's own answer instead of a request
  // of its own (grammY does this for ctx.api only, and for the first call that qualifies): answering
  // a button press, or else the last text message of the replies (see `render`), unless Telegram
  // has lately been limiting the bot's rate.
  const canUseWebhookReply = (method: string) =>
    method === "answerCallbackQuery" || (method === "sendMessage" && Date.now() >= webhookRepliesPausedUntil);
  const bot = new Bot(token, { client: { apiRoot, timeoutSeconds: API_TIMEOUT_SECONDS, canUseWebhookReply, fetch: botApiFetch } });
  // Without this a reply refused with 429 was lost: the resident never saw the answer to what they sent.
  bot.api.config.use(async (call, method, payload, signal) => {
    const response = await call(method, payload, signal);
    const retryAfter = response.ok ? undefined : response.parameters?.retry_after;
    if (retryAfter === undefined) return response;
    webhookRepliesPausedUntil = Math.max(
      webhookRepliesPausedUntil,
      Date.now() + Math.max(WEBHOOK_REPLY_PAUSE_AFTER_429_MS, retryAfter * 1000),
    );
    if (retryAfter > MAX_REPLY_RETRY_AFTER_SECONDS) return response;
    await sleep(retryAfter * 1000);
    return call(method, payload, signal);
  });

  let ready = false;
  let stopping = false;
  let polling: Promise<void> | undefined;
  const inFlight = new Set<Promise<void>>();

  const reportUpdateError = (updateId: number, error: unknown) =>
    logger.error("telegram update failed", { updateId, error: describe(error) });

  const photosFor = async (plan: readonly TelegramSend[], messageId: string): Promise<LoadedPhotos> => {
    try {
      const loaded = await loadPhotos(options.media, plan);
      if (loaded.missing.length > 0)
        logger.error("photos of a reply are not in the media store; sending their captions", { messageId, mediaIds: loaded.missing });
      return loaded;
    } catch (error) {
      logger.error("could not read the photos of a reply; sending their captions", { messageId, error: describe(error) });
      return { photos: new Map(), missing: [] };
    }
  };

  /**
   * Sends the replies in order. `updateApi` is the update's own `ctx.api`: the
   * last request goes through it when it is a text message, so in webhook mode
   * it rides in the webhook's answer (unless a button press's answer already
   * took that place), which Telegram performs after every request before it.
   * Its outcome is then unknown here, as with any webhook reply: a refusal is
   * neither logged nor retried, which is why the answer is not used while
   * Telegram limits the bot's rate (see WEBHOOK_REPLY_PAUSE_AFTER_429_MS); a
   * resident who blocked the bot misses nothing either way. Only the last
   * message qualifies, and only plain text: a photo needs an upload, and an
   * edit's failure is answered by sending a new message instead.
   */
  const render = async (replies: readonly OutboundMessage[], event: InboundEvent, target: SendTarget, updateApi: Api) => {
    const plan = planReplies(replies, { isPrivate: event.chatType === "private" });
    const { photos } = await photosFor(plan, event.messageId);
    for (const [index, request] of plan.entries()) {
      const api = index === plan.length - 1 && request.method === "sendMessage" ? updateApi : bot.api;
      try {
        await performSend(api, target, request, photos);
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
    let answered = false;
    // Every press is answered exactly once: until then the client shows a spinner on the button.
    const answer = async (text: string | undefined) => {
      if (answered) return;
      answered = true;
      await ctx.api
        .answerCallbackQuery(query.id, text === undefined ? {} : { text })
        .catch((error: unknown) => logger.warn("telegram answerCallbackQuery failed", { error: describe(error) }));
    };
    try {
      const message = query.message;
      if (!message) return;
      if (message.chat.type === "private" && message.reply_markup) {
        // Removing the pressed keyboard keeps an old question from being answered twice. Group
        // keyboards stay: an alert's buttons serve every staff member, and the flow replaces the
        // message when its status changes.
        await bot.api
          .editMessageReplyMarkup(message.chat.id, message.message_id)
          .catch((error: unknown) => logger.warn("telegram keyboard removal failed", { error: describe(error) }));
      }
      const event = callbackToEvent(ctx.update.update_id, query);
      if (!event) return;
      const { notice, replies } = takeNotices(await handler.handle(event));
      await answer(notice);
      await render(replies, event, targetOf(message), ctx.api);
    } finally {
      await answer(undefined);
    }
  });

  bot.on("message", async (ctx) => {
    const event = messageToEvent(ctx.update.update_id, ctx.message, ctx.me);
    if (event) await render(await handler.handle(event), event, targetOf(ctx.message), ctx.api);
  });

  bot.catch((error) => reportUpdateError(error.ctx.update.update_id, error.error));

  const handleWebhookUpdate = async (update: { update_id: number }): Promise<string | undefined> => {
    let reply: string | undefined;
    const task = bot
      .handleUpdate(update as Update, {
        send: async (payload) => {
          reply = payload;
        },
      })
      .catch((error: unknown) => reportUpdateError(update.update_id, error instanceof BotError ? error.error : error));
    inFlight.add(task);
    await task.finally(() => inFlight.delete(task));
    return reply;
  };

  const isReady = () => ready && !stopping;
  const routes: Route[] = webhook ? [createWebhookRoute({ secret: webhook.secret, isReady, handle: handleWebhookUpdate })] : [];

  const publishCommandMenu = async () => {
    // The menu speaks the language replies will be in. Replies follow the
    // client's language_code (zh… gives Chinese, anything else English, see
    // localeFromLanguageCode), so Chinese clients get the zh menu and every
    // other client the English default, never a menu in one language and
    // answers in the other.
    try {
      await bot.api.setMyCommands(menuIn(options.menu, "en"));
      await bot.api.setMyCommands(menuIn(options.menu, "zh"), { language_code: "zh" });
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
    username: () => bot.botInfo.username,
    ready: isReady,
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
          await bot.api.setWebhook(webhook.url, {
            secret_token: webhook.secret,
            drop_pending_updates: false,
            allowed_updates: ALLOWED_UPDATES,
          });
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
