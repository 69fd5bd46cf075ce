import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A Bot API server for load, not for assertions. test/support/fake-telegram.ts
 * is the faithful fake (it keeps every call, every message and every file, and
 * scans them linearly), which is right for a test of a dozen updates and wrong
 * for a run of a hundred thousand: its memory and its own CPU would grow with the
 * run and slow the very thing being measured. This one answers the methods the
 * bot calls with the real response shapes, keeps only the messages a simulated
 * user has not read yet, and serves one photo's bytes for any file id.
 */
export interface LoadBotApi {
  url: string;
  /** The bot messages sent to `chatId` since the last call, oldest first; reading empties the inbox. */
  takeInbox(chatId: number): BotMessage[];
  /** How many calls of each method the bot made, those in its answers to webhook requests included. */
  counts(): Record<string, number>;
  /** Performs the call the bot put in its answer to a webhook request (JSON with its `method`), as Telegram does. */
  performWebhookReply(body: string): void;
  close(): Promise<void>;
}

/** A message the bot sent, as far as a simulated user needs it. */
export interface BotMessage {
  message_id: number;
  date: number;
  chat: { id: number; type: "private" | "group" | "supergroup"; first_name?: string; title?: string };
  from: { id: number; is_bot: true; first_name: string; username: string };
  text?: string;
  caption?: string;
  reply_markup?: { inline_keyboard?: { text: string; callback_data?: string }[][] };
}

const BOT = { id: 424242, is_bot: true as const, first_name: "Linli Bench", username: "linli_bench_bot" };

/** Starts the server on a free loopback port; `photo(fileId)` gives the bytes a download of that file answers with. */
export async function startLoadBotApi(token: string, photo: (fileId: string) => Buffer): Promise<LoadBotApi> {
  const inboxes = new Map<number, BotMessage[]>();
  const counts: Record<string, number> = {};
  let nextMessageId = 1;

  const chatOf = (chatId: number): BotMessage["chat"] =>
    chatId < 0 ? { id: chatId, type: "supergroup", title: "group" } : { id: chatId, type: "private", first_name: "resident" };
  const message = (params: Record<string, unknown>): BotMessage => {
    const chatId = Number(params.chat_id);
    const sent: BotMessage = {
      message_id: nextMessageId++,
      date: Math.floor(Date.now() / 1000),
      chat: chatOf(chatId),
      from: BOT,
      ...(typeof params.text === "string" ? { text: params.text } : {}),
      ...(typeof params.caption === "string" ? { caption: params.caption } : {}),
      ...(params.reply_markup && typeof params.reply_markup === "object"
        ? { reply_markup: params.reply_markup as BotMessage["reply_markup"] }
        : {}),
    };
    // Group chats are staff alerts nobody in the benchmark reads.
    if (chatId > 0) {
      const inbox = inboxes.get(chatId);
      if (inbox) inbox.push(sent);
      else inboxes.set(chatId, [sent]);
    }
    return sent;
  };

  const methods: Record<string, (params: Record<string, unknown>) => unknown> = {
    getMe: () => ({ ...BOT, can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false }),
    setMyCommands: () => true,
    setWebhook: () => true,
    deleteWebhook: () => true,
    sendMessage: message,
    sendPhoto: (params) => ({
      ...message(params),
      photo: [{ file_id: `sent-${nextMessageId}`, file_unique_id: `u${nextMessageId}`, width: 16, height: 16 }],
    }),
    sendDocument: (params) => ({ ...message(params), document: { file_id: `doc-${nextMessageId}`, file_unique_id: `d${nextMessageId}` } }),
    editMessageText: (params) => ({ ...message(params), message_id: Number(params.message_id) }),
    editMessageReplyMarkup: () => true,
    answerCallbackQuery: () => true,
    sendChatAction: () => true,
    getFile: (params) => ({
      file_id: params.file_id,
      file_unique_id: `u-${String(params.file_id)}`,
      file_size: photo(String(params.file_id)).length,
      file_path: `photos/${String(params.file_id)}.jpg`,
    }),
  };

  const serve = async (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? "/", "http://bot.api");
    const download = /^\/file\/bot([^/]+)\/photos\/(.+)\.jpg$/.exec(url.pathname);
    if (download && download[1] === token) {
      const bytes = photo(decodeURIComponent(download[2] ?? ""));
      response.writeHead(200, { "content-type": "image/jpeg", "content-length": bytes.length });
      response.end(bytes);
      return;
    }
    const call = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
    const method = call?.[2] ?? "";
    const handler = methods[method];
    if (!call || call[1] !== token || !handler) return json(response, 404, { ok: false, error_code: 404, description: "Not Found" });
    counts[method] = (counts[method] ?? 0) + 1;
    const body = await readBody(request);
    const params: Record<string, unknown> = Object.fromEntries(url.searchParams);
    // grammY sends JSON unless it uploads a file; an upload's fields are not needed here.
    if ((request.headers["content-type"] ?? "").startsWith("application/json") && body.length > 0)
      Object.assign(params, JSON.parse(body.toString("utf8")));
    else if ((request.headers["content-type"] ?? "").startsWith("multipart/"))
      Object.assign(params, multipartFields(body, request.headers["content-type"] ?? ""));
    json(response, 200, { ok: true, result: handler(params) });
  };

  const server: Server = createServer((request, response) => {
    serve(request, response).catch((error: unknown) => json(response, 500, { ok: false, error_code: 500, description: String(error) }));
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    takeInbox(chatId) {
      const inbox = inboxes.get(chatId) ?? [];
      inboxes.delete(chatId);
      return inbox;
    },
    counts: () => ({ ...counts }),
    performWebhookReply(body) {
      const { method, ...params } = JSON.parse(body) as Record<string, unknown>;
      const handler = typeof method === "string" ? methods[method] : undefined;
      if (typeof method !== "string" || !handler)
        throw new Error(`the bot answered a webhook request with an unknown method: ${String(method)}`);
      counts[method] = (counts[method] ?? 0) + 1;
      handler(params);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The plain (non-file) fields of a multipart body: chat_id, caption and reply_markup of a photo upload. */
function multipartFields(body: Buffer, contentType: string): Record<string, unknown> {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(contentType);
  const marker = boundary?.[1] ?? boundary?.[2];
  if (!marker) return {};
  const fields: Record<string, unknown> = {};
  for (const part of body.toString("latin1").split(`--${marker}`)) {
    const field = /name="([^"]+)"\r\n\r\n([\s\S]*)\r\n$/.exec(part);
    if (!field?.[1] || /filename=/.test(part)) continue;
    const value = Buffer.from(field[2] ?? "", "latin1").toString("utf8");
    fields[field[1]] = field[1] === "reply_markup" ? JSON.parse(value) : value;
  }
  return fields;
}

function json(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  response.end(text);
}
