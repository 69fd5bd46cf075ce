import { randomBytes } from "node:crypto";
import type { ChoiceOption, OutboundMessage } from "../../../flows/kit/messages.ts";
import { ANSWERED_BUTTON_KEY } from "./inbound.ts";
import { toWecomMarkdown } from "./robot.ts";

/** A button_interaction template card holds at most six buttons. */
export const MAX_CARD_BUTTONS = 6;
/** WeCom cuts a card's main title around here; the full text is in the markdown or the sub-title. */
const CARD_TITLE_CHARS = 36;
const CARD_TEXT_CHARS = 1000;

/** Said where a photo would be: the intelligent bot's replies carry no images from Linli's store. */
export const PHOTO_NOT_SHOWN_NOTE = "（照片请在网页聊天或 Telegram 中查看 / see the photo in the web chat or on Telegram）";
/** Said under a file's caption: the intelligent bot cannot send files. */
export const FILE_NOT_SENT_NOTE =
  "（企业微信机器人无法发送文件，请在网页聊天或 Telegram 中获取 / WeCom bots cannot send files; get it in the web chat or on Telegram）";

/** WeCom's button_interaction template card, as the intelligent bot sends it. */
export interface ButtonCard {
  card_type: "button_interaction";
  main_title: { title: string };
  sub_title_text?: string;
  task_id: string;
  button_list: { text: string; style: number; key: string }[];
}

/** One bundle of replies in the forms WeCom can carry. */
export interface RenderedReply {
  /** Everything as one markdown text, choices as numbered lines; "" when there is nothing to say. */
  markdown: string;
  /** The bundle's last choice as a card with buttons, when it has 1–6 options. */
  card: ButtonCard | undefined;
  /** The card's choice is the bundle's only content besides photos, so the card alone says everything. */
  cardStandsAlone: boolean;
  /** The last choice's options, which typed numbers ("1", "2") select until the next reply. */
  numbered: ChoiceOption[];
}

/** A fresh card task id: WeCom wants it unique per bot, of letters, digits and `_-@`. */
export function newTaskId(): string {
  return `linli_${randomBytes(12).toString("hex")}`;
}

/**
 * Renders a flow's replies for the intelligent bot. The text goes into one
 * markdown message through the robot renderer (escaped, numbered choices,
 * within 4096 bytes), with photos and files reduced to their captions and a
 * note, because the bot's replies carry neither. The last choice also becomes
 * a button card; its numbers stay valid as typed answers either way.
 */
export function renderReply(messages: readonly OutboundMessage[], taskId: string = newTaskId()): RenderedReply {
  const flattened = messages.map((message): OutboundMessage => {
    if (message.type === "photo")
      return { type: "text", text: [message.caption, PHOTO_NOT_SHOWN_NOTE].filter((line) => line !== undefined).join("\n") };
    if (message.type === "document") return { type: "text", text: `${message.caption}\n${FILE_NOT_SENT_NOTE}` };
    return message;
  });
  const markdown = toWecomMarkdown(flattened);
  const lastChoice = [...messages].reverse().find((message) => message.type === "choices" || message.type === "replace");
  const choice = lastChoice?.type === "choices" || lastChoice?.type === "replace" ? lastChoice : undefined;
  if (!choice || choice.options.length === 0) return { markdown, card: undefined, cardStandsAlone: false, numbered: [] };
  const photos = messages.filter((message) => message.type === "photo").length;
  const cardStandsAlone = messages.every((message) => message === choice || message.type === "photo");
  const card =
    choice.options.length <= MAX_CARD_BUTTONS
      ? choiceCard(choice.text, choice.options, taskId, photos > 0 && cardStandsAlone ? PHOTO_NOT_SHOWN_NOTE : undefined)
      : undefined;
  return { markdown, card, cardStandsAlone: card !== undefined && cardStandsAlone, numbered: choice.options };
}

/** A card for one choice: its first line as title, the rest as sub-title, a button per option whose key is the option's value. */
export function choiceCard(text: string, options: readonly ChoiceOption[], taskId: string, note?: string): ButtonCard {
  const [first = "", ...rest] = text.split("\n");
  const subtitle = [...rest, ...(note ? [note] : [])].join("\n");
  return {
    card_type: "button_interaction",
    main_title: { title: clip(first, CARD_TITLE_CHARS) },
    ...(subtitle.trim() ? { sub_title_text: clip(subtitle, CARD_TEXT_CHARS) } : {}),
    task_id: taskId,
    button_list: options.map((option, index) => ({ text: `${index + 1}. ${option.label}`, style: index === 0 ? 1 : 2, key: option.value })),
  };
}

/**
 * The clicked card once answered: same task, the chosen label in place of the
 * buttons, and one inert button WeCom requires, whose clicks are ignored.
 */
export function answeredCard(taskId: string, title: string, chosen: string): ButtonCard {
  return {
    card_type: "button_interaction",
    main_title: { title: clip(title, CARD_TITLE_CHARS) },
    sub_title_text: `已选择 / Chosen: ${chosen}`,
    task_id: taskId,
    button_list: [{ text: `✓ ${clip(chosen, 16)}`, style: 2, key: ANSWERED_BUTTON_KEY }],
  };
}

/** The passive reply to a message callback: a finished stream, with the card when there is one. */
export function passiveMessageReply(rendered: RenderedReply, streamId: string): object | undefined {
  if (!rendered.markdown && !rendered.card) return undefined;
  const stream = { id: streamId, finish: true, content: rendered.markdown };
  return rendered.card ? { msgtype: "stream_with_template_card", stream, template_card: rendered.card } : { msgtype: "stream", stream };
}

/** One message through a `response_url`, which takes exactly one: the card when it says everything, else the markdown. */
export function pushMessage(rendered: RenderedReply): { body: object; card: ButtonCard | undefined } | undefined {
  if (rendered.card && rendered.cardStandsAlone)
    return { body: { msgtype: "template_card", template_card: rendered.card }, card: rendered.card };
  if (!rendered.markdown) return undefined;
  return { body: { msgtype: "markdown", markdown: { content: rendered.markdown } }, card: undefined };
}

function clip(text: string, chars: number): string {
  const characters = [...text];
  return characters.length <= chars ? text : `${characters.slice(0, chars - 1).join("")}…`;
}
