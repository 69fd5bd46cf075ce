import { Api, GrammyError, HttpError } from "grammy";
import type { OutboundMessage } from "../../../flows/kit/messages.ts";
import type { Logger } from "../../../log.ts";
import { botApiFetch } from "../../http/client.ts";
import type { ChannelSender, SendResult } from "../../notify/outbox-worker.ts";
import type { MediaReader } from "../../media/store.ts";
import { loadPhotos, performSend, type LoadedPhotos } from "./calls.ts";
import { planReplies } from "./outbound.ts";

/**
 * Telegram's published broadcast limits: about 30 messages a second overall and
 * 20 a minute into one group. The per-chat limit applies to every chat because
 * the worker's limit is per destination; private chats could take more, but
 * queued updates to one resident never come in bursts that would need it.
 */
export const TELEGRAM_SEND_LIMITS = { perDestinationPerMinute: 20, perSecondOverall: 30 } as const;

/**
 * Upper bound for one Bot API call from the outbox. A hung call is a failed
 * attempt (retried with backoff); keep it well under the worker's lease.
 */
const SEND_TIMEOUT_SECONDS = 20;
/** Used when a 429 comes without `retry_after` (Telegram always sends it; a proxy might not). */
const DEFAULT_RETRY_AFTER_SECONDS = 5;

/** How the outbox reaches Telegram. */
export interface TelegramSenderOptions {
  token: string;
  /** Bot API root without a trailing slash, e.g. `https://api.telegram.org`. */
  apiRoot: string;
  /**
   * Where queued photos (alert photos, by media id) are read from. Without it
   * every photo counts as missing, which suits senders that never send one.
   */
  media?: MediaReader | undefined;
  logger: Logger;
}

/**
 * Maps a failed Bot API call to the worker's vocabulary: 429 waits as long as
 * Telegram says, 403 (blocked by the user, user deactivated, bot kicked) means
 * the recipient is gone, everything else (5xx, other 4xx, network, timeout) is
 * a failure to retry. The token never appears in the text: grammY puts it in
 * the URLs of some network errors.
 */
function toSendResult(error: unknown, token: string): SendResult {
  const scrub = (text: string) => text.split(token).join("[token]");
  if (error instanceof GrammyError) {
    const text = scrub(`${error.method}: ${error.error_code} ${error.description}`);
    if (error.error_code === 429) return { type: "retryAfter", seconds: error.parameters.retry_after ?? DEFAULT_RETRY_AFTER_SECONDS };
    if (error.error_code === 403) return { type: "recipientGone", error: text };
    return { type: "failed", error: text };
  }
  if (error instanceof HttpError) {
    const cause = error.error instanceof Error ? error.error.message : String(error.error);
    return { type: "failed", error: scrub(`${error.message} ${cause}`) };
  }
  return { type: "failed", error: scrub(error instanceof Error ? `${error.name}: ${error.message}` : String(error)) };
}

/** Telegram chat ids are integers (negative for groups); `@channelname` strings are passed through. */
function chatTarget(chatId: string): number | string {
  return /^-?\d+$/.test(chatId) ? Number(chatId) : chatId;
}

/**
 * Creates the outbox's Telegram sender: renders queued messages with the same
 * {@link planReplies} the conversation uses and sends them one call after
 * another, stopping at the first failure (the worker retries the row as a
 * whole). Chats with a positive id are private chats, as Telegram numbers them.
 *
 * Photos are read from the media store before the first call. A photo the
 * store does not have makes the whole row a failed send naming the media id,
 * with nothing sent, so the retries that follow never repeat a half-sent alert
 * and the dead letter says which file was lost. A `replace` edits the earlier
 * message (see `performSend`). `ref` of a sent row is the id of the first
 * message it delivered, edited or new: the message to edit next time.
 */
export function createTelegramSender(options: TelegramSenderOptions): ChannelSender {
  const { token, media } = options;
  const logger = options.logger.child({ channel: "telegram", component: "sender" });
  const api = new Api(token, { apiRoot: options.apiRoot.replace(/\/+$/, ""), timeoutSeconds: SEND_TIMEOUT_SECONDS, fetch: botApiFetch });

  return {
    ...TELEGRAM_SEND_LIMITS,
    async send(chatId: string, messages: OutboundMessage[]): Promise<SendResult> {
      const chat = chatTarget(chatId);
      const isPrivate = typeof chat === "number" && chat > 0;
      const plan = planReplies(messages, { isPrivate });
      let loaded: LoadedPhotos;
      try {
        loaded = await loadPhotos(media, plan);
      } catch (error) {
        return {
          type: "failed",
          error: `could not read a photo from the media store: ${error instanceof Error ? error.message : String(error)}`,
        };
      }
      if (loaded.missing.length > 0) return { type: "failed", error: `photo ${loaded.missing.join(", ")} is not in the media store` };
      let ref: string | undefined;
      for (const request of plan) {
        try {
          const messageId = await performSend(api, { chatId: chat }, request, loaded.photos);
          ref ??= messageId === undefined ? undefined : String(messageId);
        } catch (error) {
          const result = toSendResult(error, token);
          logger.debug("telegram outbox send did not go through", { chatId, method: request.method, result });
          return result;
        }
      }
      return ref === undefined ? { type: "sent" } : { type: "sent", ref };
    },
  };
}
