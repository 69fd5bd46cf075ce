import { z } from "zod";
import { MAX_CHOICE_VALUE_BYTES, type InboundEvent, type InboundPayload, type Locale } from "../../../flows/kit/messages.ts";

/** Longest text the API accepts, in UTF-16 code units (what `String.length` counts). */
export const MAX_TEXT_LENGTH = 4096;

const ID_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;

/**
 * The browser's own random id (the page keeps it in `localStorage`): the user
 * and chat of every event, and the key of the per-client rate limit. Shared by
 * the chat body and the upload endpoint's `x-client-id` header.
 */
export const clientIdSchema = z.string().regex(ID_PATTERN);

/**
 * The body of `POST /api/chat`, the web chat's trust boundary. Anything the
 * browser (or anyone with curl) sends is checked here before it can reach the
 * dispatcher.
 */
export const chatRequestSchema = z.object({
  clientId: clientIdSchema,
  messageId: z.string().regex(ID_PATTERN),
  locale: z.enum(["zh", "en"]).optional(),
  message: z.discriminatedUnion("type", [
    z.object({ type: z.literal("text"), text: z.string().min(1).max(MAX_TEXT_LENGTH) }),
    z.object({
      type: z.literal("choice"),
      value: z
        .string()
        .min(1)
        .refine((value) => Buffer.byteLength(value) <= MAX_CHOICE_VALUE_BYTES),
    }),
    z.object({
      type: z.literal("location"),
      latitude: z.number().min(-90).max(90),
      longitude: z.number().min(-180).max(180),
    }),
    // The `fileId` that `POST /api/upload` answered: the image is already in the media store.
    z.object({ type: z.literal("photo"), fileId: z.uuid() }),
  ]),
});

/** A request that passed {@link chatRequestSchema}. */
export type ChatRequest = z.infer<typeof chatRequestSchema>;

// Field by field, because a bilingual sentence per field tells a developer
// exactly what to fix, which zod's generic English message does not.
const ID_RULE = { zh: "须为 8–64 个字符，只能包含字母、数字、_ 和 -", en: "must be 8–64 characters of A–Z, a–z, 0–9, _ and -" };
const WHOLE_BODY_RULE = { zh: "请求体须为 JSON 对象", en: "the body must be a JSON object" };
const FIELD_RULES: Record<string, Record<Locale, string>> = {
  clientId: ID_RULE,
  messageId: ID_RULE,
  locale: { zh: '只能是 "zh" 或 "en"', en: 'must be "zh" or "en"' },
  message: {
    zh: "须为对象，type 为 text、choice、location 或 photo",
    en: "must be an object whose type is text, choice, location or photo",
  },
  "message.type": { zh: "须为 text、choice、location 或 photo", en: "must be text, choice, location or photo" },
  "message.text": { zh: `须为 1–${MAX_TEXT_LENGTH} 个字符的文字`, en: `must be a text of 1–${MAX_TEXT_LENGTH} characters` },
  "message.value": { zh: `须为 1–${MAX_CHOICE_VALUE_BYTES} 字节的文字`, en: `must be a text of 1–${MAX_CHOICE_VALUE_BYTES} bytes` },
  "message.latitude": { zh: "须为 -90 到 90 之间的数字", en: "must be a number from -90 to 90" },
  "message.longitude": { zh: "须为 -180 到 180 之间的数字", en: "must be a number from -180 to 180" },
  "message.fileId": { zh: "须为 /api/upload 返回的 fileId", en: "must be a fileId returned by /api/upload" },
};

/** Turns the first problem zod found into a field name and a bilingual sentence about it. */
export function describeChatRequestError(error: z.ZodError): { field: string; message: Record<Locale, string> } {
  const field = (error.issues[0]?.path ?? []).map(String).join(".");
  const rule = Object.hasOwn(FIELD_RULES, field) ? FIELD_RULES[field] : undefined;
  return {
    field,
    message: rule
      ? { zh: `请求格式不正确：${field} ${rule.zh}。`, en: `The request is not valid: ${field} ${rule.en}.` }
      : { zh: `请求格式不正确：${WHOLE_BODY_RULE.zh}。`, en: `The request is not valid: ${WHOLE_BODY_RULE.en}.` },
  };
}

// A command name as Telegram defines it; anything else after a slash (say, "/路")
// is ordinary text.
const COMMAND = /^\/([A-Za-z0-9_]{1,32})(?:\s+([\s\S]*))?$/;

/**
 * Maps a validated request to the dispatcher's event. The client id is both
 * user and chat (the web chat has private chats only) and prefixes the message
 * id, so two browsers can never collide in the dispatcher's dedupe. `origin`
 * names the client's address: a client id is free to make up, an address is not.
 */
export function toInboundEvent(request: ChatRequest, origin: string): InboundEvent {
  return {
    channel: "web",
    userId: request.clientId,
    chatId: request.clientId,
    chatType: "private",
    messageId: `web:${request.clientId}:${request.messageId}`,
    origin,
    ...(request.locale ? { localeHint: request.locale } : {}),
    payload: toPayload(request.message),
  };
}

function toPayload(message: ChatRequest["message"]): InboundPayload {
  if (message.type !== "text") return message;
  const command = COMMAND.exec(message.text.trim());
  if (!command) return { type: "text", text: message.text };
  return { type: "command", command: (command[1] ?? "").toLowerCase(), args: (command[2] ?? "").trim() };
}
