import { z } from "zod";
import type { InboundEvent, InboundPayload } from "../../../flows/kit/messages.ts";

/** The key of the inert button an answered card shows; its clicks are ignored. */
export const ANSWERED_BUTTON_KEY = "linli:answered";

const text = z.object({ content: z.string().max(16_384) });
const image = z.object({ url: z.url({ protocol: /^https?$/ }).max(2048) });
const item = z.looseObject({ msgtype: z.string(), text: text.optional(), image: image.optional() });

/**
 * A decrypted callback of the intelligent bot (接收消息 and 事件), checked field by
 * field before anything reads it. Unknown fields are kept; an unknown
 * `msgtype` is accepted and answered as unsupported rather than refused.
 */
export const callbackSchema = z.looseObject({
  msgid: z.string().min(1).max(256),
  aibotid: z.string().max(256).optional(),
  chatid: z.string().min(1).max(256).optional(),
  chattype: z.enum(["single", "group"]),
  from: z.looseObject({ userid: z.string().min(1).max(256) }),
  response_url: z
    .url({ protocol: /^https?$/ })
    .max(2048)
    .optional(),
  msgtype: z.string().min(1).max(64),
  text: text.optional(),
  image: image.optional(),
  voice: z.looseObject({ content: z.string().max(16_384) }).optional(),
  mixed: z.looseObject({ msg_item: z.array(item).max(50) }).optional(),
  event: z
    .looseObject({
      eventtype: z.string().max(64),
      template_card_event: z
        .looseObject({ card_type: z.string().max(64).optional(), event_key: z.string().max(1024), task_id: z.string().max(256) })
        .optional(),
    })
    .optional(),
});

/** A callback that passed {@link callbackSchema}. */
export type WecomCallback = z.infer<typeof callbackSchema>;

/** Who a callback is from and where its answers go. */
export interface CallbackOrigin {
  userId: string;
  chatId: string;
  chatType: InboundEvent["chatType"];
}

/** What a callback asks of the channel. */
export type ParsedCallback =
  /** One or more events for the dispatcher, in order (a mixed message gives its text, then each image). */
  | { type: "events"; origin: CallbackOrigin; payloads: InboundPayload[] }
  /** A button of a card the bot sent was clicked. */
  | { type: "click"; origin: CallbackOrigin; key: string; taskId: string }
  /** Nothing to do: a stream refresh, a group message not addressed to the bot, an event Linli does not use. */
  | { type: "ignore" };

const COMMAND = /^\/([A-Za-z0-9_]{1,32})(?:\s+([\s\S]*))?$/;
/** WeCom writes the bot's mention into group texts as "@Name "; a name has no spaces. */
const LEADING_MENTIONS = /^(?:\s*@\S+)+\s*/;

/**
 * Maps a checked callback to what the channel does with it. A group chat's
 * text counts only when it mentions the bot (WeCom sends group messages to an
 * intelligent bot only then, so this guards against anything else); the
 * mention is removed, so "@邻里 /report" reaches the flows as `/report`.
 * Images come as encrypted URLs: the URL is the photo's file id and the
 * channel's fetcher downloads and decrypts it.
 */
export function parseCallback(callback: WecomCallback): ParsedCallback {
  const group = callback.chattype === "group";
  const origin: CallbackOrigin = {
    userId: callback.from.userid,
    chatId: group ? (callback.chatid ?? callback.from.userid) : callback.from.userid,
    chatType: group ? "group" : "private",
  };
  if (callback.msgtype === "event") {
    const click = callback.event?.template_card_event;
    if (callback.event?.eventtype !== "template_card_event" || !click || click.event_key === ANSWERED_BUTTON_KEY) return { type: "ignore" };
    return { type: "click", origin, key: click.event_key, taskId: click.task_id };
  }
  if (callback.msgtype === "stream") return { type: "ignore" };

  const texts: string[] = [];
  const payloads: InboundPayload[] = [];
  const items = callback.msgtype === "mixed" ? (callback.mixed?.msg_item ?? []) : [callback];
  for (const part of items) {
    if (part.msgtype === "text" && part.text) texts.push(part.text.content);
    else if (part.msgtype === "image" && part.image) payloads.push({ type: "photo", fileId: part.image.url });
  }
  if (callback.msgtype === "voice" && callback.voice) texts.push(callback.voice.content);

  const joined = texts.join("\n");
  if (group && texts.length > 0 && !joined.includes("@")) return { type: "ignore" };
  const cleaned = joined.replace(LEADING_MENTIONS, "").trim();
  if (cleaned.length > 0) payloads.unshift(textPayload(cleaned));
  if (payloads.length === 0) payloads.push({ type: "unsupported", kind: callback.msgtype === "file" ? "document" : callback.msgtype });
  return { type: "events", origin, payloads };
}

function textPayload(content: string): InboundPayload {
  const command = COMMAND.exec(content);
  if (!command) return { type: "text", text: content };
  return { type: "command", command: (command[1] ?? "").toLowerCase(), args: (command[2] ?? "").trim() };
}
