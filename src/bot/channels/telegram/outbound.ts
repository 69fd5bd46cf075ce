import type { InlineKeyboardButton, InlineKeyboardMarkup, ReplyKeyboardMarkup, ReplyKeyboardRemove } from "grammy/types";
import type { ChoiceOption, OutboundMessage } from "../../../flows/kit/messages.ts";

/** Telegram's limit for a message text, in UTF-16 code units (what `String#length` counts). */
export const TEXT_LIMIT = 4096;
/** Telegram's limit for a photo caption. */
export const CAPTION_LIMIT = 1024;

/**
 * Labels wider than this (CJK characters count double, as phones draw them) do
 * not fit two to a row on a phone, so such keyboards get one button per row.
 */
const TWO_PER_ROW_MAX_WIDTH = 16;

/** Telegram's limit for the text of a callback query answer (the pop-up). */
export const CALLBACK_ANSWER_LIMIT = 200;

/**
 * One Bot API call that renders part of a reply. A photo names a media-store
 * id; whoever performs the call reads its bytes and uploads them. An edit
 * names the message to replace; see `performSend` for what happens when it is gone.
 */
export type TelegramSend =
  | { method: "sendMessage"; text: string; replyMarkup?: InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove }
  | { method: "sendPhoto"; mediaId: string; caption?: string }
  | { method: "sendDocument"; fileName: string; contentBase64: string; caption: string }
  | { method: "editMessageText"; messageId: number; text: string; replyMarkup?: InlineKeyboardMarkup };

const REMOVE_REPLY_KEYBOARD: ReplyKeyboardRemove = { remove_keyboard: true };

/**
 * Splits text into pieces Telegram accepts, preferring line boundaries so a long
 * answer breaks between lines, not inside a sentence. A single line longer than
 * the limit is cut between code points so no emoji is torn in half. Pieces
 * that are only whitespace are dropped because Telegram rejects empty texts.
 */
export function splitText(text: string, limit: number = TEXT_LIMIT): string[] {
  if (text.length <= limit) return [text];
  const pieces: string[] = [];
  let current: string | undefined;
  const flush = () => {
    if (current !== undefined && current.trim() !== "") pieces.push(current);
    current = undefined;
  };
  for (const line of text.split("\n")) {
    if (current !== undefined && current.length + 1 + line.length <= limit) {
      current += `\n${line}`;
      continue;
    }
    flush();
    let rest = line;
    while (rest.length > limit) {
      const cut = codePointCut(rest, limit);
      pieces.push(rest.slice(0, cut));
      rest = rest.slice(cut);
    }
    current = rest;
  }
  flush();
  return pieces;
}

/** The longest prefix length of `text` within `limit` UTF-16 units that does not split a code point. */
function codePointCut(text: string, limit: number): number {
  let cut = 0;
  for (const char of text) {
    if (cut + char.length > limit) break;
    cut += char.length;
  }
  return cut;
}

function displayWidth(label: string): number {
  let width = 0;
  for (const char of label) width += (char.codePointAt(0) ?? 0) >= 0x2e80 ? 2 : 1;
  return width;
}

/** Inline keyboard for choices: two buttons a row while every label is short, otherwise one. */
export function choiceKeyboard(options: readonly ChoiceOption[]): InlineKeyboardMarkup {
  const perRow = options.some((option) => displayWidth(option.label) > TWO_PER_ROW_MAX_WIDTH) ? 1 : 2;
  const rows: InlineKeyboardButton[][] = [];
  options.forEach((option, index) => {
    const button: InlineKeyboardButton = { text: option.label, callback_data: option.value };
    if (index % perRow === 0) rows.push([button]);
    else rows[rows.length - 1]?.push(button);
  });
  return { inline_keyboard: rows };
}

/**
 * Plans the Bot API calls for a batch of replies, in order. Texts go out as
 * plain text (never a parse mode, so nothing a user typed can become markup).
 * A markup-carrying message that is too long is split and the markup rides on
 * its last piece, right under the text it belongs to.
 *
 * Reply keyboards (the location button) only work in private chats; groups get
 * the request as plain text. In a private chat every plain text carries
 * `remove_keyboard`, unless a location request came earlier in the same batch:
 * that way a stale location button disappears with the next answer without the
 * channel remembering per-chat state in memory (several instances may serve one
 * bot). Messages with inline keyboards cannot also remove a reply keyboard; the
 * next plain text does it.
 *
 * A `replace` edits the message its `messageRef` names, with the new keyboard
 * (none when it has no options, which removes the old one). A `notice` here is
 * plain text; the conversation path takes notices out first with
 * {@link takeNotices} when they can be a button's pop-up.
 */
export function planReplies(messages: readonly OutboundMessage[], chat: { isPrivate: boolean }): TelegramSend[] {
  const sends: TelegramSend[] = [];
  let locationRequested = false;
  const plainMarkup = () => (chat.isPrivate && !locationRequested ? REMOVE_REPLY_KEYBOARD : undefined);
  const texts = (text: string, lastMarkup?: Extract<TelegramSend, { method: "sendMessage" }>["replyMarkup"]) => {
    const pieces = splitText(text);
    pieces.forEach((piece, index) => {
      const replyMarkup = index === pieces.length - 1 && lastMarkup ? lastMarkup : plainMarkup();
      sends.push(replyMarkup ? { method: "sendMessage", text: piece, replyMarkup } : { method: "sendMessage", text: piece });
    });
  };

  // The edited message takes the first piece; a text too long for one message
  // continues in new messages, the keyboard under the last one as with choices.
  const replace = (message: Extract<OutboundMessage, { type: "replace" }>) => {
    const keyboard = message.options.length > 0 ? choiceKeyboard(message.options) : undefined;
    const messageId = /^\d+$/.test(message.messageRef) ? Number(message.messageRef) : Number.NaN;
    if (!Number.isSafeInteger(messageId)) {
      // Not a Telegram message id (say, a row written for another channel): nothing to edit.
      texts(message.text, keyboard);
      return;
    }
    const [first = "", ...rest] = splitText(message.text);
    const firstMarkup = rest.length === 0 ? keyboard : undefined;
    sends.push(
      firstMarkup
        ? { method: "editMessageText", messageId, text: first, replyMarkup: firstMarkup }
        : { method: "editMessageText", messageId, text: first },
    );
    if (rest.length > 0) texts(rest.join("\n"), keyboard);
  };

  for (const message of messages) {
    switch (message.type) {
      case "text":
        texts(message.text);
        break;
      case "choices":
        texts(message.text, message.options.length > 0 ? choiceKeyboard(message.options) : undefined);
        break;
      case "locationRequest":
        if (chat.isPrivate) {
          texts(message.text, {
            keyboard: [[{ text: message.buttonLabel, request_location: true }]],
            one_time_keyboard: true,
            resize_keyboard: true,
          });
          locationRequested = true;
        } else {
          texts(message.text);
        }
        break;
      case "photo":
        if (message.caption !== undefined && message.caption.length > CAPTION_LIMIT) {
          sends.push({ method: "sendPhoto", mediaId: message.mediaId });
          texts(message.caption);
        } else {
          sends.push(
            message.caption === undefined
              ? { method: "sendPhoto", mediaId: message.mediaId }
              : { method: "sendPhoto", mediaId: message.mediaId, caption: message.caption },
          );
        }
        break;
      case "link":
        texts(message.text, { inline_keyboard: [[{ text: message.label, url: message.url }]] });
        break;
      case "replace":
        replace(message);
        break;
      case "notice":
        texts(message.text);
        break;
      case "document":
        sends.push({
          method: "sendDocument",
          fileName: message.fileName,
          contentBase64: message.contentBase64,
          caption: message.caption.slice(0, CAPTION_LIMIT),
        });
        break;
    }
  }
  return sends;
}

/**
 * Separates the notices of a reply to a button press from the rest: Telegram
 * shows them as the pressed button's pop-up (one answer per press, so several
 * notices share it, one a line), not as messages. The pop-up holds
 * {@link CALLBACK_ANSWER_LIMIT} characters; a longer notice is cut there, so
 * flows keep notices short. `notice` is `undefined` when there is none.
 */
export function takeNotices(messages: readonly OutboundMessage[]): { notice: string | undefined; replies: OutboundMessage[] } {
  const notices: string[] = [];
  const replies: OutboundMessage[] = [];
  for (const message of messages) {
    if (message.type === "notice") notices.push(message.text);
    else replies.push(message);
  }
  if (notices.length === 0) return { notice: undefined, replies };
  const notice = notices.join("\n");
  return { notice: notice.slice(0, codePointCut(notice, CALLBACK_ANSWER_LIMIT)), replies };
}
