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

/** One Bot API call that renders part of a reply. */
export type TelegramSend =
  | { method: "sendMessage"; text: string; replyMarkup?: InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove }
  | { method: "sendPhoto"; photo: string; caption?: string };

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
      let cut = 0;
      for (const char of rest) {
        if (cut + char.length > limit) break;
        cut += char.length;
      }
      pieces.push(rest.slice(0, cut));
      rest = rest.slice(cut);
    }
    current = rest;
  }
  flush();
  return pieces;
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
 */
export function planReplies(messages: readonly OutboundMessage[], chat: { isPrivate: boolean }): TelegramSend[] {
  const sends: TelegramSend[] = [];
  let locationRequested = false;
  const plainMarkup = () => (chat.isPrivate && !locationRequested ? REMOVE_REPLY_KEYBOARD : undefined);
  const texts = (text: string, lastMarkup?: Exclude<TelegramSend, { method: "sendPhoto" }>["replyMarkup"]) => {
    const pieces = splitText(text);
    pieces.forEach((piece, index) => {
      const replyMarkup = index === pieces.length - 1 && lastMarkup ? lastMarkup : plainMarkup();
      sends.push(replyMarkup ? { method: "sendMessage", text: piece, replyMarkup } : { method: "sendMessage", text: piece });
    });
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
          sends.push({ method: "sendPhoto", photo: message.url });
          texts(message.caption);
        } else {
          sends.push(message.caption === undefined ? { method: "sendPhoto", photo: message.url } : { method: "sendPhoto", photo: message.url, caption: message.caption });
        }
        break;
      case "link":
        texts(message.text, { inline_keyboard: [[{ text: message.label, url: message.url }]] });
        break;
    }
  }
  return sends;
}
