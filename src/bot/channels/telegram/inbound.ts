import type { CallbackQuery, Chat, Message, MessageEntity } from "grammy/types";
import type { InboundEvent, InboundPayload, Locale } from "../../../flows/kit/messages.ts";

/** What parsing needs to know about the bot itself: its id (replies to it) and username (mentions, `/cmd@name`). */
export interface BotIdentity {
  id: number;
  username: string;
}

/**
 * Content kinds a person can send that Linli does not understand. They are passed
 * on as `unsupported` so a flow can say what it expects instead of staying silent.
 * `animation` comes before `document` because Telegram sets both for GIFs.
 */
const UNSUPPORTED_KINDS = [
  "sticker",
  "voice",
  "video_note",
  "video",
  "animation",
  "audio",
  "document",
  "contact",
  "poll",
  "dice",
  "game",
  "story",
] as const;

/**
 * Maps Telegram's `language_code` (an IETF tag such as `zh-hans`) to a Linli
 * locale. An absent code yields no hint, so the dispatcher's default (Chinese
 * first) applies rather than guessing English.
 */
export function localeFromLanguageCode(code: string | undefined): Locale | undefined {
  if (!code) return undefined;
  return code.toLowerCase().startsWith("zh") ? "zh" : "en";
}

/** `private` or `group` for chats Linli talks in; channels (broadcast chats) are not conversations. */
function chatTypeOf(chat: Chat): InboundEvent["chatType"] | undefined {
  if (chat.type === "private") return "private";
  if (chat.type === "group" || chat.type === "supergroup") return "group";
  return undefined;
}

function sameUsername(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function mentionsOf(text: string, entities: readonly MessageEntity[] | undefined, me: BotIdentity): MessageEntity[] {
  return (entities ?? []).filter(
    (entity) =>
      (entity.type === "mention" && sameUsername(text.slice(entity.offset + 1, entity.offset + entity.length), me.username)) ||
      (entity.type === "text_mention" && entity.user.id === me.id),
  );
}

/** Removes the bot's own mentions so "@linli_bot XX小区" reaches the flow as "XX小区". */
function withoutMentions(text: string, mentions: readonly MessageEntity[]): string {
  let out = text;
  for (const entity of [...mentions].sort((a, b) => b.offset - a.offset)) {
    out = out.slice(0, entity.offset) + out.slice(entity.offset + entity.length).replace(/^ /, "");
  }
  return out.trim();
}

type CommandParse = { kind: "command"; payload: InboundPayload } | { kind: "otherBot" } | { kind: "none" };

/**
 * Telegram marks a leading `/word` or `/word@botname` with a `bot_command`
 * entity. A command addressed to another bot is not ours to answer.
 */
function parseCommand(text: string, entities: readonly MessageEntity[] | undefined, me: BotIdentity): CommandParse {
  const entity = entities?.find((e) => e.type === "bot_command" && e.offset === 0);
  if (!entity) return { kind: "none" };
  const [name = "", target] = text.slice(1, entity.length).split("@");
  if (target !== undefined && !sameUsername(target, me.username)) return { kind: "otherBot" };
  return { kind: "command", payload: { type: "command", command: name.toLowerCase(), args: text.slice(entity.length).trim() } };
}

function largestPhoto(message: Message): InboundPayload | undefined {
  const sizes = message.photo ?? [];
  if (sizes.length === 0) return undefined;
  const largest = sizes.reduce((best, size) => (size.width * size.height > best.width * best.height ? size : best));
  return { type: "photo", fileId: largest.file_id, ...(largest.file_size === undefined ? {} : { sizeBytes: largest.file_size }) };
}

function contentOf(message: Message): InboundPayload {
  if (message.location) return { type: "location", latitude: message.location.latitude, longitude: message.location.longitude };
  const photo = largestPhoto(message);
  if (photo) return photo;
  const kind = UNSUPPORTED_KINDS.find((k) => message[k] !== undefined) ?? "other";
  return { type: "unsupported", kind };
}

/**
 * Turns a message into an {@link InboundEvent}, or `undefined` when Linli must not
 * answer it: messages from bots, broadcast channels, commands for other bots, and
 * in group chats anything that neither is a command, mentions the bot, nor
 * replies to it (a bot that reacts to every group message is noise).
 * `messageId` is derived from `update_id` because Telegram re-delivers an update
 * under the same id, which is what deduplication needs.
 */
export function messageToEvent(updateId: number, message: Message, me: BotIdentity): InboundEvent | undefined {
  const from = message.from;
  const chatType = chatTypeOf(message.chat);
  if (!from || from.is_bot || !chatType) return undefined;

  const text = message.text ?? message.caption ?? "";
  const entities = message.text !== undefined ? message.entities : message.caption_entities;
  const command = message.text !== undefined ? parseCommand(message.text, entities, me) : { kind: "none" as const };
  if (command.kind === "otherBot" && chatType === "group") return undefined;
  const mentions = mentionsOf(text, entities, me);

  let payload: InboundPayload;
  if (command.kind === "command") {
    payload = command.payload;
  } else {
    const addressed = mentions.length > 0 || message.reply_to_message?.from?.id === me.id;
    if (chatType === "group" && !addressed) return undefined;
    payload = message.text !== undefined ? { type: "text", text: withoutMentions(message.text, mentions) } : contentOf(message);
  }

  const localeHint = localeFromLanguageCode(from.language_code);
  return {
    channel: "telegram",
    userId: String(from.id),
    chatId: String(message.chat.id),
    chatType,
    messageId: `tg:${updateId}`,
    ...(localeHint ? { localeHint } : {}),
    payload,
  };
}

/**
 * Turns a pressed inline button into a `choice` event. Buttons on inline-mode
 * messages (no `message`) and game buttons (no `data`) are never sent by Linli,
 * so they yield `undefined`.
 */
export function callbackToEvent(updateId: number, query: CallbackQuery): InboundEvent | undefined {
  if (query.data === undefined || !query.message || query.from.is_bot) return undefined;
  const chatType = chatTypeOf(query.message.chat);
  if (!chatType) return undefined;
  const localeHint = localeFromLanguageCode(query.from.language_code);
  return {
    channel: "telegram",
    userId: String(query.from.id),
    chatId: String(query.message.chat.id),
    chatType,
    messageId: `tg:${updateId}`,
    ...(localeHint ? { localeHint } : {}),
    payload: { type: "choice", value: query.data },
  };
}
