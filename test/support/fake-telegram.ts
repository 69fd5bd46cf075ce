import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { isDeepStrictEqual } from "node:util";

/**
 * A fake Telegram Bot API server for tests. It speaks the real protocol on a
 * local port (`POST|GET /bot<token>/<method>`, JSON, form-urlencoded or
 * multipart bodies, `{ ok, result }` / `{ ok: false, error_code, description }`
 * answers), so the code under test runs its real HTTP client against it. It keeps
 * the state Telegram would (chats, messages, keyboards, pending updates, the
 * webhook) and offers helpers that act as a user in a Telegram client. Files
 * users send can be made downloadable (`getFile`, then
 * `GET /file/bot<token>/<file_path>`) with bytes the test chooses; photos the
 * bot uploads (multipart) are kept byte for byte ({@link FakeTelegram.photoBytes}).
 *
 * With `rateLimits: true` it enforces Telegram's published broadcast limits the
 * way a bot meets them: more than 20 messages in any 60 seconds into one group
 * (negative chat id), or more than 30 in any second overall, is answered 429
 * with `parameters.retry_after` (whole seconds until the call would be
 * accepted). Sends and edits count; only calls Telegram accepted use up the
 * allowance. Time comes from `now`, so a test with a controllable clock
 * drives the limits too.
 *
 * It deliberately does not import grammY: it must catch our mistakes, not share them.
 */

/** A Telegram user as it appears in updates. */
export interface FakeUser {
  id: number;
  is_bot?: boolean;
  first_name: string;
  username?: string;
  language_code?: string;
}

/** A chat as it appears in updates and messages. */
export interface FakeChat {
  id: number;
  type: "private" | "group" | "supergroup";
  title?: string;
  first_name?: string;
}

/** Inline and reply keyboards as the bot sends them. */
export interface FakeReplyMarkup {
  inline_keyboard?: { text: string; callback_data?: string; url?: string }[][];
  keyboard?: ({ text: string; request_location?: boolean } | string)[][];
  remove_keyboard?: true;
  one_time_keyboard?: boolean;
  resize_keyboard?: boolean;
}

/** A message, either sent by a user (inside updates) or by the bot (recorded here). */
export interface FakeMessage {
  message_id: number;
  date: number;
  chat: FakeChat;
  from?: FakeUser;
  text?: string;
  entities?: { type: string; offset: number; length: number }[];
  caption?: string;
  photo?: { file_id: string; file_unique_id: string; width: number; height: number; file_size?: number }[];
  document?: { file_id: string; file_unique_id: string; file_name?: string; file_size?: number };
  sticker?: {
    file_id: string;
    file_unique_id: string;
    type: "regular";
    width: number;
    height: number;
    is_animated: boolean;
    is_video: boolean;
    emoji?: string;
  };
  location?: { latitude: number; longitude: number };
  reply_to_message?: FakeMessage;
  reply_markup?: FakeReplyMarkup;
  message_thread_id?: number;
}

/** An update as getUpdates returns it or a webhook receives it. */
export interface FakeUpdate {
  update_id: number;
  message?: FakeMessage;
  callback_query?: { id: string; from: FakeUser; message: FakeMessage; chat_instance: string; data: string };
}

/** One Bot API request the bot made, with its parameters decoded as Telegram would. */
export interface FakeCall {
  method: string;
  params: Record<string, unknown>;
  ok: boolean;
  /** When the fake received the call, on its clock (`now`). */
  at: number;
  /** Made by answering a webhook request rather than by a request of its own. */
  viaWebhookReply?: true;
}

/**
 * How the fake answers a send it was told to fail: 429 with `retry_after`, a
 * 500, a connection closed without an answer, 403 "bot was blocked by the
 * user", or no answer at all until the server closes (a hung request).
 */
export type FakeSendFailure =
  | { type: "retryAfter"; seconds: number }
  | { type: "serverError" }
  | { type: "dropConnection" }
  | { type: "blocked" }
  | { type: "hang" };

/** Bot API methods that put a message into a chat: the ones {@link FakeTelegram.failNextSends} affects and the rate limits count. */
const SEND_METHODS = new Set(["sendMessage", "sendPhoto", "sendDocument", "editMessageText"]);

/** Telegram's broadcast limits: per group and minute, and overall per second. */
export const FAKE_TELEGRAM_LIMITS = { perGroupPerMinute: 20, perSecondOverall: 30 } as const;

/** Options for {@link startFakeTelegram}. */
export interface FakeTelegramOptions {
  /** The only token the server accepts; any other gets 401 like Telegram. */
  token: string;
  /** The bot's identity as getMe reports it. */
  botUsername?: string;
  /**
   * Enforce {@link FAKE_TELEGRAM_LIMITS} (see {@link FakeTelegram}). Off by
   * default so tests about something else (or that raise a worker's own limits
   * on purpose) are not slowed down by them.
   */
  rateLimits?: boolean;
  /** The clock the rate limits use, in milliseconds; `Date.now` by default. */
  now?: () => number;
}

/** Thrown inside a method to answer `{ ok: false, error_code, description }`. */
class BotApiError extends Error {
  constructor(
    readonly errorCode: number,
    readonly description: string,
  ) {
    super(description);
    this.name = "BotApiError";
  }
}

const badRequest = (what: string) => new BotApiError(400, `Bad Request: ${what}`);

/** Form fields Telegram decodes as JSON when they arrive as strings. */
const JSON_FIELDS = new Set([
  "reply_markup",
  "commands",
  "scope",
  "allowed_updates",
  "entities",
  "caption_entities",
  "link_preview_options",
  "reply_parameters",
]);

const MAX_TEXT = 4096;
const FILE_ID_PREFIX = "AgAC-fake-file-";
const MAX_CAPTION = 1024;
const MAX_CALLBACK_DATA_BYTES = 64;
const MAX_CALLBACK_ANSWER = 200;
/** Telegram takes photos up to 10 MB by upload. */
const MAX_UPLOAD_PHOTO_BYTES = 10 * 1024 * 1024;
const CHAT_ACTIONS = new Set([
  "typing",
  "upload_photo",
  "record_video",
  "upload_video",
  "record_voice",
  "upload_voice",
  "upload_document",
  "choose_sticker",
  "find_location",
  "record_video_note",
  "upload_video_note",
]);

type Waiter<T> = { accept: (item: T) => boolean; resolve: (item: T) => void };

/** A file users sent. Without bytes it can be referred to but not downloaded, like an expired file. */
interface FakeFile {
  fileId: string;
  fileUniqueId: string;
  path: string;
  bytes: Buffer | undefined;
  /** When false, neither getFile nor the download says how big the file is. */
  sizeKnown: boolean;
  /** Bytes written to clients downloading it so far. */
  served: number;
}

/** Telegram refuses getFile for bigger files ("file is too big"). */
const MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024;
const DOWNLOAD_CHUNK_BYTES = 64 * 1024;

/** The running fake; create it with {@link startFakeTelegram}. */
export class FakeTelegram {
  /** What to pass as the Bot API root (`TELEGRAM_API_ROOT`). */
  readonly url: string;
  /** The one token this server accepts. */
  readonly token: string;
  /** The bot as getMe describes it; its id is the token's numeric prefix, as with real tokens. */
  readonly bot: FakeUser & { username: string };

  private readonly server: Server;
  private readonly log: FakeCall[] = [];
  private readonly queue: FakeUpdate[] = [];
  private readonly pollers = new Set<() => void>();
  private readonly chats = new Map<number, FakeChat>();
  private readonly users = new Map<number, FakeUser>();
  private readonly messages = new Map<string, FakeMessage>();
  private readonly botMessages: { message: FakeMessage; taken: boolean }[] = [];
  private readonly botMessageWaiters = new Set<Waiter<FakeMessage>>();
  private readonly openCallbackQueries = new Set<string>();
  private readonly files = new Map<string, FakeFile>();
  private webhook: { url: string; secret: string | undefined } | undefined;
  private webhookRoute: string | undefined;
  private nextUpdateId = 500_000;
  private nextMessageId = 1;
  private nextFileId = 1;
  private closed = false;
  private readonly sendFailures: { failure: FakeSendFailure; chatId: number | undefined; left: number }[] = [];
  private readonly delivered = new Map<number, FakeMessage[]>();
  private readonly hung = new Set<() => void>();
  /** Methods whose calls wait, by lower-case name, until the promise settles. */
  private readonly held = new Map<string, Promise<void>>();
  private readonly rateLimits: boolean;
  private readonly now: () => number;
  /** When accepted messages were sent, overall and per group chat, newest last. */
  private readonly sentAt: number[] = [];
  private readonly sentToGroupAt = new Map<number, number[]>();
  private readonly uploads = new Map<string, Buffer>();

  /** Use {@link startFakeTelegram}. */
  constructor(server: Server, url: string, options: FakeTelegramOptions) {
    this.server = server;
    this.url = url;
    this.token = options.token;
    this.rateLimits = options.rateLimits ?? false;
    this.now = options.now ?? Date.now;
    const id = Number(options.token.split(":")[0]);
    this.bot = {
      id: Number.isSafeInteger(id) ? id : 1,
      is_bot: true,
      first_name: "Linli Test",
      username: options.botUsername ?? "linli_test_bot",
    };
  }

  /** Every successful or failed call to `method` (case-insensitive, as Telegram matches methods), oldest first. */
  calls(method: string): FakeCall[] {
    return this.log.filter((call) => call.method.toLowerCase() === method.toLowerCase());
  }

  /**
   * Makes the next `count` sends (sendMessage, sendPhoto), to `chatId` only when
   * given, fail as `failure` describes. Failures queue up: a second call takes
   * effect after the first is used up.
   */
  failNextSends(count: number, failure: FakeSendFailure, options: { chatId?: number } = {}): void {
    this.sendFailures.push({ failure, chatId: options.chatId, left: count });
  }

  /** Every message the bot delivered to `chatId`, in the order Telegram accepted them (failed sends are not in it). */
  deliveredTo(chatId: number): FakeMessage[] {
    return (this.delivered.get(chatId) ?? []).map((message) => structuredClone(message));
  }

  /** The bytes the bot uploaded for a photo message it sent, or `undefined` when it sent a file id or URL instead. */
  photoBytes(message: FakeMessage): Buffer | undefined {
    const largest = message.photo?.at(-1);
    const bytes = largest && this.uploads.get(largest.file_id);
    return bytes && Buffer.from(bytes);
  }

  /** The bytes of a document the bot uploaded, or `undefined` when the message has none. */
  documentBytes(message: FakeMessage): Buffer | undefined {
    const bytes = message.document && this.uploads.get(message.document.file_id);
    return bytes && Buffer.from(bytes);
  }

  /** Every callback query answer, with its pop-up text (`undefined`: a silent answer), oldest first. */
  callbackAnswers(): { id: string; text: string | undefined }[] {
    return this.calls("answerCallbackQuery")
      .filter((call) => call.ok)
      .map((call) => ({
        id: String(call.params.callback_query_id),
        text: typeof call.params.text === "string" ? call.params.text : undefined,
      }));
  }

  /** Someone deletes a message from the chat; editing it then fails with "message to edit not found", as in Telegram. */
  deleteMessage(chatId: number, messageId: number): void {
    this.messages.delete(`${chatId}:${messageId}`);
  }

  /**
   * Makes calls to `method` wait before they are performed, as a slow Bot API
   * does, until the returned function is called; then they go through as usual.
   */
  holdCalls(method: string): () => void {
    let release!: () => void;
    this.held.set(method.toLowerCase(), new Promise<void>((resolve) => (release = resolve)));
    return () => {
      this.held.delete(method.toLowerCase());
      release();
    };
  }

  /** Ends every hung send (see {@link FakeSendFailure}) by closing its connection, as a dying proxy would. */
  releaseHungSends(): void {
    for (const release of this.hung) release();
  }

  /** Makes a chat known, as a group the bot was added to or a user who started the bot; sends to unknown chats fail with "chat not found". */
  addChat(chat: FakeChat): void {
    this.chats.set(chat.id, chat);
  }

  /** The message as it is now, after any edits the bot made. */
  currentMessage(chatId: number, messageId: number): FakeMessage | undefined {
    const message = this.messages.get(`${chatId}:${messageId}`);
    return message && structuredClone(message);
  }

  /** The registered webhook, if the bot called setWebhook. */
  webhookInfo(): { url: string; secret: string | undefined } | undefined {
    return this.webhook && { ...this.webhook };
  }

  /**
   * Delivers webhook updates to `localUrl` instead of the public URL the bot
   * registered, as a reverse proxy would in production (the registered URL is
   * usually not reachable from a test).
   */
  routeWebhookTo(localUrl: string): void {
    this.webhookRoute = localUrl;
  }

  /** Builds a text-message update from `user` without delivering it (for raw webhook tests). */
  textUpdate(user: FakeUser, text: string, options: { chat?: FakeChat; replyTo?: FakeMessage } = {}): FakeUpdate {
    return this.messageUpdate(user, options, { text, ...entitiesOf(text) });
  }

  /** `user` sends `text` (commands and @mentions get their entities, as clients add them). */
  async userSends(user: FakeUser, text: string, options: { chat?: FakeChat; replyTo?: FakeMessage } = {}): Promise<FakeUpdate> {
    return this.deliver(this.textUpdate(user, text, options));
  }

  /** `user` shares a location (the "send location" button or the attachment menu). */
  async userSharesLocation(
    user: FakeUser,
    latitude: number,
    longitude: number,
    options: { chat?: FakeChat; replyTo?: FakeMessage } = {},
  ): Promise<FakeUpdate> {
    return this.deliver(this.messageUpdate(user, options, { location: { latitude, longitude } }));
  }

  /**
   * `user` sends a photo; Telegram offers it in three sizes, smallest first.
   * With `bytes`, the largest size is downloadable with exactly those bytes and
   * reports their length as its size, unless `sizeKnown: false`: then neither
   * the message, getFile nor the download (sent chunked, without
   * Content-Length) says how big it is. Without `bytes` no size can be downloaded.
   */
  async userSendsPhoto(
    user: FakeUser,
    options: { chat?: FakeChat; caption?: string; replyTo?: FakeMessage; bytes?: Buffer; sizeKnown?: boolean } = {},
  ): Promise<FakeUpdate> {
    const sizeKnown = options.sizeKnown ?? true;
    const photo = [
      [90, 67, 1_200],
      [320, 240, 14_000],
      [1280, 960, 182_000],
    ].map(([width = 0, height = 0, size = 0], index, all) => {
      const bytes = index === all.length - 1 ? options.bytes : undefined;
      const file = this.newFile(bytes, bytes === undefined || sizeKnown);
      const reported = bytes === undefined ? size : sizeKnown ? bytes.length : undefined;
      return { ...file, width, height, ...(reported === undefined ? {} : { file_size: reported }) };
    });
    return this.deliver(
      this.messageUpdate(user, options, { photo, ...(options.caption === undefined ? {} : { caption: options.caption }) }),
    );
  }

  /** How many bytes of `fileId` were written to downloading clients so far (a cut-off download stops the count). */
  bytesServed(fileId: string): number {
    return this.files.get(fileId)?.served ?? 0;
  }

  /** `user` sends a sticker. */
  async userSendsSticker(user: FakeUser, options: { chat?: FakeChat; emoji?: string; replyTo?: FakeMessage } = {}): Promise<FakeUpdate> {
    const sticker = {
      ...this.newFile(),
      type: "regular" as const,
      width: 512,
      height: 512,
      is_animated: false,
      is_video: false,
      emoji: options.emoji ?? "👍",
    };
    return this.deliver(this.messageUpdate(user, options, { sticker }));
  }

  /**
   * A user presses the inline button carrying `callbackData` on a bot message.
   * Like a real client, it can only press buttons the message shows now; pressing
   * a removed button throws. In a private chat the presser is the chat's user.
   */
  async userPresses(message: FakeMessage, callbackData: string, by?: FakeUser): Promise<FakeUpdate> {
    const current = this.messages.get(`${message.chat.id}:${message.message_id}`);
    if (!current) throw new Error(`message ${message.message_id} in chat ${message.chat.id} does not exist`);
    const buttons = current.reply_markup?.inline_keyboard?.flat() ?? [];
    if (!buttons.some((button) => button.callback_data === callbackData)) {
      throw new Error(
        `message ${message.message_id} shows no button "${callbackData}"; it shows ${JSON.stringify(buttons.map((b) => b.callback_data))}`,
      );
    }
    const from = by ?? this.users.get(current.chat.id);
    if (!from) throw new Error(`say who presses the button in chat ${current.chat.id}`);
    const id = `cbq-${this.nextUpdateId}`;
    this.openCallbackQueries.add(id);
    return this.deliver({
      update_id: this.nextUpdateId++,
      callback_query: { id, from, message: structuredClone(current), chat_instance: `ci${current.chat.id}`, data: callbackData },
    });
  }

  /**
   * Resolves with the oldest bot message (sendMessage or sendPhoto) not yet
   * returned by this method that matches `predicate`, waiting for it up to
   * `timeoutMs`. Messages that do not match stay available for later calls.
   */
  nextBotMessage(predicate: (message: FakeMessage) => boolean = () => true, timeoutMs = 5_000): Promise<FakeMessage> {
    const waiting = this.botMessages.find((entry) => !entry.taken && predicate(entry.message));
    if (waiting) {
      waiting.taken = true;
      return Promise.resolve(structuredClone(waiting.message));
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter<FakeMessage> = {
        accept: predicate,
        resolve: (message) => {
          clearTimeout(timer);
          resolve(structuredClone(message));
        },
      };
      const timer = setTimeout(() => {
        this.botMessageWaiters.delete(waiter);
        const recent = this.log
          .slice(-8)
          .map((call) => `${call.method}${call.ok ? "" : " (failed)"} ${JSON.stringify(call.params).slice(0, 200)}`);
        reject(new Error(`no matching bot message within ${timeoutMs} ms; last calls:\n${recent.join("\n")}`));
      }, timeoutMs);
      this.botMessageWaiters.add(waiter);
    });
  }

  /**
   * POSTs `update` to a webhook the way Telegram does, with the secret header
   * when `secret` is given, and returns the answer; for testing the receiving end.
   */
  async deliverToWebhook(
    url: string,
    secret: string | undefined,
    update: FakeUpdate | string,
  ): Promise<{ status: number; body: string; contentType: string }> {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", ...(secret === undefined ? {} : { "x-telegram-bot-api-secret-token": secret }) },
      body: typeof update === "string" ? update : JSON.stringify(update),
    });
    return { status: response.status, body: await response.text(), contentType: response.headers.get("content-type") ?? "" };
  }

  /** Stops the server; pending long polls answer at once with no updates. */
  async close(): Promise<void> {
    this.closed = true;
    this.releaseHungSends();
    for (const wake of this.pollers) wake();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private newFile(bytes?: Buffer, sizeKnown = true) {
    const n = this.nextFileId++;
    const file: FakeFile = {
      fileId: `${FILE_ID_PREFIX}${n}`,
      fileUniqueId: `AQAD${n}`,
      path: `photos/file_${n}.jpg`,
      bytes,
      sizeKnown,
      served: 0,
    };
    this.files.set(file.fileId, file);
    return { file_id: file.fileId, file_unique_id: file.fileUniqueId };
  }

  /** `GET /file/bot<token>/<path>`: the bytes in chunks, honouring back-pressure and stopping when the client goes away. */
  private async serveFile(request: IncomingMessage, response: ServerResponse, token: string, filePath: string): Promise<void> {
    const file = [...this.files.values()].find((candidate) => candidate.path === filePath && candidate.bytes !== undefined);
    if (request.method !== "GET" || token !== this.token || !file?.bytes)
      return answer(response, 404, { ok: false, error_code: 404, description: "Not Found" });
    const bytes = file.bytes;
    response.writeHead(200, { "content-type": "image/jpeg", ...(file.sizeKnown ? { "content-length": bytes.length } : {}) });
    let gone = false;
    response.once("close", () => (gone = true));
    for (let offset = 0; offset < bytes.length && !gone; offset += DOWNLOAD_CHUNK_BYTES) {
      const chunk = bytes.subarray(offset, offset + DOWNLOAD_CHUNK_BYTES);
      file.served += chunk.length;
      if (!response.write(chunk)) await drained(response);
    }
    if (!gone) response.end();
  }

  private messageUpdate(user: FakeUser, options: { chat?: FakeChat; replyTo?: FakeMessage }, content: Partial<FakeMessage>): FakeUpdate {
    const chat = options.chat ?? { id: user.id, type: "private", first_name: user.first_name };
    this.chats.set(chat.id, chat);
    this.users.set(user.id, user);
    const message: FakeMessage = {
      message_id: this.nextMessageId++,
      date: Math.floor(Date.now() / 1000),
      chat,
      from: user,
      ...(options.replyTo ? { reply_to_message: structuredClone(options.replyTo) } : {}),
      ...content,
    };
    this.messages.set(`${chat.id}:${message.message_id}`, message);
    return { update_id: this.nextUpdateId++, message: structuredClone(message) };
  }

  /** Seconds until a message to `params.chat_id` would be within the limits; `undefined` when it is now (or limits are off). */
  private retryAfter(params: Record<string, unknown>): number | undefined {
    if (!this.rateLimits) return undefined;
    const now = this.now();
    const waits: number[] = [];
    const wait = (times: number[], limit: number, windowMs: number) => {
      const recent = times.filter((at) => at > now - windowMs);
      if (recent.length >= limit) waits.push(Math.max(1, Math.ceil(((recent[recent.length - limit] ?? now) + windowMs - now) / 1000)));
    };
    wait(this.sentAt, FAKE_TELEGRAM_LIMITS.perSecondOverall, 1_000);
    const chatId = Number(params.chat_id);
    if (chatId < 0) wait(this.sentToGroupAt.get(chatId) ?? [], FAKE_TELEGRAM_LIMITS.perGroupPerMinute, 60_000);
    return waits.length === 0 ? undefined : Math.max(...waits);
  }

  private countSent(params: Record<string, unknown>): void {
    const now = this.now();
    const prune = (times: number[], windowMs: number) => {
      while (times.length > 0 && (times[0] ?? now) <= now - windowMs) times.shift();
    };
    prune(this.sentAt, 1_000);
    this.sentAt.push(now);
    const chatId = Number(params.chat_id);
    if (chatId < 0) {
      const times = this.sentToGroupAt.get(chatId) ?? [];
      prune(times, 60_000);
      times.push(now);
      this.sentToGroupAt.set(chatId, times);
    }
  }

  /** The failure the next send to this chat must suffer, if the test asked for one. */
  private takeSendFailure(params: Record<string, unknown>): FakeSendFailure | undefined {
    const chatId = Number(params.chat_id);
    const entry = this.sendFailures.find((candidate) => candidate.chatId === undefined || candidate.chatId === chatId);
    if (!entry) return undefined;
    entry.left -= 1;
    if (entry.left <= 0) this.sendFailures.splice(this.sendFailures.indexOf(entry), 1);
    return entry.failure;
  }

  private async failSend(failure: FakeSendFailure, request: IncomingMessage, response: ServerResponse): Promise<void> {
    switch (failure.type) {
      case "retryAfter":
        return answer(response, 429, {
          ok: false,
          error_code: 429,
          description: `Too Many Requests: retry after ${failure.seconds}`,
          parameters: { retry_after: failure.seconds },
        });
      case "serverError":
        return answer(response, 500, { ok: false, error_code: 500, description: "Internal Server Error" });
      case "blocked":
        return answer(response, 403, { ok: false, error_code: 403, description: "Forbidden: bot was blocked by the user" });
      case "dropConnection":
        request.socket.destroy();
        return;
      case "hang":
        await new Promise<void>((resolve) => {
          const release = () => {
            this.hung.delete(release);
            resolve();
          };
          this.hung.add(release);
          response.on("close", release);
        });
        if (!response.destroyed) request.socket.destroy();
        return;
    }
  }

  /**
   * Hands an update to the bot as Telegram does: to its webhook if one is set
   * (performing the call the bot puts in its answer; any status but 200
   * throws), otherwise to the getUpdates queue. Public for redelivering an
   * update already sent, as Telegram does when it doubts the first arrived.
   */
  async deliver(update: FakeUpdate): Promise<FakeUpdate> {
    if (this.webhook) {
      const answer = await this.deliverToWebhook(this.webhookRoute ?? this.webhook.url, this.webhook.secret, update);
      if (answer.status !== 200) throw new Error(`the webhook answered ${answer.status} ${answer.body}`);
      if (answer.contentType.startsWith("application/json"))
        await this.performWebhookReply(JSON.parse(answer.body) as Record<string, unknown>);
      return update;
    }
    this.queue.push(update);
    for (const wake of this.pollers) wake();
    return update;
  }

  private recordBotMessage(message: FakeMessage) {
    const delivered = this.delivered.get(message.chat.id) ?? [];
    delivered.push(message);
    this.delivered.set(message.chat.id, delivered);
    this.messages.set(`${message.chat.id}:${message.message_id}`, message);
    for (const waiter of this.botMessageWaiters) {
      if (waiter.accept(message)) {
        this.botMessageWaiters.delete(waiter);
        this.botMessages.push({ message, taken: true });
        waiter.resolve(message);
        return;
      }
    }
    this.botMessages.push({ message, taken: false });
  }

  private knownChat(params: Record<string, unknown>): FakeChat {
    const id = integer(params, "chat_id");
    const chat = this.chats.get(id);
    if (!chat) throw badRequest("chat not found");
    return chat;
  }

  private botMessage(params: Record<string, unknown>): FakeMessage {
    const chat = this.knownChat(params);
    const message = this.messages.get(`${chat.id}:${integer(params, "message_id")}`);
    if (!message || message.from?.id !== this.bot.id) throw badRequest("message to edit not found");
    return message;
  }

  private removeWebhook(params: Record<string, unknown>): true {
    if (params.drop_pending_updates === true || params.drop_pending_updates === "true") this.queue.length = 0;
    this.webhook = undefined;
    return true;
  }

  private newBotMessage(chat: FakeChat, params: Record<string, unknown>, content: Partial<FakeMessage>): FakeMessage {
    const markup = replyMarkupOf(params);
    const thread = params.message_thread_id === undefined ? undefined : integer(params, "message_thread_id");
    const message: FakeMessage = {
      message_id: this.nextMessageId++,
      date: Math.floor(Date.now() / 1000),
      chat,
      from: this.bot,
      ...content,
      ...(markup ? { reply_markup: markup } : {}),
      ...(thread === undefined ? {} : { message_thread_id: thread }),
    };
    this.recordBotMessage(message);
    return structuredClone(message);
  }

  /** The Bot API methods, named as Telegram names them. */
  /** `response` is the HTTP request's own, absent for a call made in a webhook's answer. */
  private readonly methods: Record<string, (params: Record<string, unknown>, response: ServerResponse | undefined) => unknown> = {
    getMe: () => ({
      ...this.bot,
      can_join_groups: true,
      can_read_all_group_messages: false,
      supports_inline_queries: false,
      can_connect_to_business: false,
      has_main_web_app: false,
    }),
    getUpdates: (params, response) => {
      if (this.webhook)
        throw new BotApiError(
          409,
          "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
        );
      const offset = params.offset === undefined ? undefined : integer(params, "offset");
      const limit = Math.min(100, Math.max(1, params.limit === undefined ? 100 : integer(params, "limit")));
      const timeoutSeconds = Math.max(0, params.timeout === undefined ? 0 : integer(params, "timeout"));
      if (offset !== undefined && offset < 0) this.queue.splice(0, Math.max(0, this.queue.length + offset));
      else if (offset !== undefined) {
        while (this.queue[0] && this.queue[0].update_id < offset) this.queue.shift();
      }
      const pending = () => this.queue.slice(0, limit);
      if (pending().length > 0 || timeoutSeconds === 0 || this.closed) return pending();
      return new Promise((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.pollers.delete(wake);
          resolve(this.closed ? [] : pending());
        };
        const timer = setTimeout(wake, timeoutSeconds * 1000);
        this.pollers.add(wake);
        // The client gave up (grammY aborts its poll on stop); nobody reads this answer.
        response?.on("close", wake);
      });
    },
    sendMessage: (params) => {
      const chat = this.knownChat(params);
      const text = typeof params.text === "string" ? params.text : "";
      if (text.trim() === "") throw badRequest("message text is empty");
      if (text.length > MAX_TEXT) throw badRequest("message is too long");
      return this.newBotMessage(chat, params, { text });
    },
    sendPhoto: (params) => {
      const chat = this.knownChat(params);
      const photo = params.photo;
      if (photo === undefined || photo === "") throw badRequest("there is no photo in the request");
      if (typeof photo === "string" && !/^https?:\/\//.test(photo) && !photo.startsWith(FILE_ID_PREFIX))
        throw badRequest("wrong remote file identifier specified");
      const upload = isUpload(photo) ? photo.bytes : undefined;
      if (upload && upload.length > MAX_UPLOAD_PHOTO_BYTES) throw badRequest("file is too big");
      if (upload && !looksLikeImage(upload)) throw badRequest("IMAGE_PROCESS_FAILED");
      const caption = typeof params.caption === "string" ? params.caption : undefined;
      if (caption !== undefined && caption.length > MAX_CAPTION) throw badRequest("message caption is too long");
      const file = this.newFile(upload);
      if (upload) this.uploads.set(file.file_id, Buffer.from(upload));
      const sizes = [{ ...file, width: 320, height: 240, file_size: upload?.length ?? 12_000 }];
      return this.newBotMessage(chat, params, { photo: sizes, ...(caption === undefined ? {} : { caption }) });
    },
    sendDocument: (params) => {
      const chat = this.knownChat(params);
      const document = params.document;
      if (!isUpload(document)) throw badRequest("there is no document in the request");
      const caption = typeof params.caption === "string" ? params.caption : undefined;
      if (caption !== undefined && caption.length > MAX_CAPTION) throw badRequest("message caption is too long");
      const file = this.newFile(document.bytes);
      this.uploads.set(file.file_id, Buffer.from(document.bytes));
      return this.newBotMessage(chat, params, {
        document: { ...file, file_name: document.filename, file_size: document.bytes.length },
        ...(caption === undefined ? {} : { caption }),
      });
    },
    editMessageText: (params) => {
      const message = this.botMessage(params);
      const text = typeof params.text === "string" ? params.text : "";
      if (text.trim() === "") throw badRequest("message text is empty");
      if (text.length > MAX_TEXT) throw badRequest("message is too long");
      const markup = replyMarkupOf(params);
      if (message.text === text && isDeepStrictEqual(message.reply_markup, markup)) throw notModified();
      message.text = text;
      if (markup) message.reply_markup = markup;
      else delete message.reply_markup;
      return structuredClone(message);
    },
    editMessageReplyMarkup: (params) => {
      const message = this.botMessage(params);
      const markup = replyMarkupOf(params);
      if (markup && !markup.inline_keyboard) throw badRequest("inline keyboard expected");
      if (isDeepStrictEqual(message.reply_markup, markup)) throw notModified();
      if (markup) message.reply_markup = markup;
      else delete message.reply_markup;
      return structuredClone(message);
    },
    answerCallbackQuery: (params) => {
      const id = typeof params.callback_query_id === "string" ? params.callback_query_id : String(params.callback_query_id ?? "");
      if (typeof params.text === "string" && params.text.length > MAX_CALLBACK_ANSWER) throw badRequest("MESSAGE_TOO_LONG");
      if (!this.openCallbackQueries.delete(id)) throw badRequest("query is too old and response timeout expired or query ID is invalid");
      return true;
    },
    setMyCommands: (params) => {
      const commands = params.commands;
      if (!Array.isArray(commands)) throw badRequest("commands is empty");
      for (const entry of commands as { command?: unknown; description?: unknown }[]) {
        if (typeof entry.command !== "string" || !/^[a-z0-9_]{1,32}$/.test(entry.command)) throw badRequest("BOT_COMMAND_INVALID");
        if (typeof entry.description !== "string" || entry.description.length < 1 || entry.description.length > 256)
          throw badRequest("BOT_COMMAND_DESCRIPTION_INVALID");
      }
      const language = params.language_code;
      if (language !== undefined && (typeof language !== "string" || !/^([a-z]{2})?$/.test(language)))
        throw badRequest("invalid language code specified");
      return true;
    },
    setWebhook: (params) => {
      const url = typeof params.url === "string" ? params.url : "";
      if (url === "") return this.removeWebhook(params);
      if (!url.startsWith("https://")) throw badRequest("bad webhook: An HTTPS URL must be provided for webhook");
      const secret = params.secret_token;
      if (secret !== undefined && (typeof secret !== "string" || !/^[A-Za-z0-9_-]{1,256}$/.test(secret)))
        throw badRequest("secret token contains unallowed characters");
      if (params.drop_pending_updates === true || params.drop_pending_updates === "true") this.queue.length = 0;
      this.webhook = { url, secret: secret as string | undefined };
      for (const wake of this.pollers) wake();
      return true;
    },
    deleteWebhook: (params) => this.removeWebhook(params),
    getFile: (params) => {
      const file = typeof params.file_id === "string" ? this.files.get(params.file_id) : undefined;
      if (!file?.bytes) throw badRequest("wrong file_id or the file is temporarily unavailable");
      if (file.bytes.length > MAX_DOWNLOAD_BYTES) throw badRequest("file is too big");
      return {
        file_id: file.fileId,
        file_unique_id: file.fileUniqueId,
        ...(file.sizeKnown ? { file_size: file.bytes.length } : {}),
        file_path: file.path,
      };
    },
    sendChatAction: (params) => {
      this.knownChat(params);
      if (typeof params.action !== "string" || !CHAT_ACTIONS.has(params.action)) throw badRequest("wrong parameter action in request");
      return true;
    },
  };

  /**
   * A method call the bot put in its answer to a webhook request, performed as
   * Telegram does: logged like any call, its result and any error never reach the bot.
   */
  private async performWebhookReply(body: Record<string, unknown>): Promise<void> {
    const { method, ...params } = body;
    const name = Object.keys(this.methods).find((known) => typeof method === "string" && known.toLowerCase() === method.toLowerCase());
    const handler = name ? this.methods[name] : undefined;
    if (!name || !handler) throw new Error(`the webhook answered with an unknown method: ${String(method)}`);
    const call: FakeCall = { method: name, params, ok: false, at: this.now(), viaWebhookReply: true };
    this.log.push(call);
    try {
      await handler(params, undefined);
      call.ok = true;
    } catch (error) {
      if (!(error instanceof BotApiError)) throw error;
    }
  }

  /** Entry point of the HTTP server. */
  async serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", "http://fake.telegram");
    const download = /^\/file\/bot([^/]+)\/(.+)$/.exec(url.pathname);
    if (download) return this.serveFile(request, response, download[1] ?? "", download[2] ?? "");
    const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
    if (!match) return answer(response, 404, { ok: false, error_code: 404, description: "Not Found" });
    const [, token, requested = ""] = match;
    if (token !== this.token) return answer(response, 401, { ok: false, error_code: 401, description: "Unauthorized" });
    const name = Object.keys(this.methods).find((method) => method.toLowerCase() === requested.toLowerCase());
    const handler = name ? this.methods[name] : undefined;
    if (!name || !handler) return answer(response, 404, { ok: false, error_code: 404, description: "Not Found" });

    let params: Record<string, unknown>;
    try {
      params = { ...decodeForm(url.searchParams), ...(await readParams(request)) };
    } catch {
      return answer(response, 400, { ok: false, error_code: 400, description: "Bad Request: can't parse request body" });
    }
    await this.held.get(name.toLowerCase());
    const call: FakeCall = { method: name, params, ok: false, at: this.now() };
    this.log.push(call);
    const failure = SEND_METHODS.has(name) ? this.takeSendFailure(params) : undefined;
    if (failure) return this.failSend(failure, request, response);
    const limited = SEND_METHODS.has(name) ? this.retryAfter(params) : undefined;
    if (limited !== undefined) return this.failSend({ type: "retryAfter", seconds: limited }, request, response);
    try {
      const result = await handler(params, response);
      call.ok = true;
      if (SEND_METHODS.has(name)) this.countSent(params);
      if (!response.destroyed) answer(response, 200, { ok: true, result });
    } catch (error) {
      if (!(error instanceof BotApiError)) throw error;
      answer(response, error.errorCode, { ok: false, error_code: error.errorCode, description: error.description });
    }
  }
}

/** Waits until `response` can take more data or has gone away. */
function drained(response: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      response.off("drain", done);
      response.off("close", done);
      resolve();
    };
    response.on("drain", done);
    response.on("close", done);
  });
}

function notModified() {
  return badRequest(
    "message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message",
  );
}

function answer(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  response.end(text);
}

function integer(params: Record<string, unknown>, name: string): number {
  const value = params[name];
  const number = typeof value === "number" ? value : typeof value === "string" && /^-?\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(number)) throw badRequest(value === undefined ? `${name} is empty` : `invalid ${name} specified`);
  return number;
}

function replyMarkupOf(params: Record<string, unknown>): FakeReplyMarkup | undefined {
  const markup = params.reply_markup as FakeReplyMarkup | undefined;
  if (markup === undefined) return undefined;
  if (typeof markup !== "object" || markup === null) throw badRequest("can't parse reply keyboard markup JSON object");
  for (const button of markup.inline_keyboard?.flat() ?? []) {
    if (typeof button.text !== "string" || button.text === "") throw badRequest("text buttons are unallowed in the inline keyboard");
    if (
      button.callback_data !== undefined &&
      (Buffer.byteLength(button.callback_data) === 0 || Buffer.byteLength(button.callback_data) > MAX_CALLBACK_DATA_BYTES)
    ) {
      throw badRequest("BUTTON_DATA_INVALID");
    }
    if (button.url !== undefined && !/^(https?|tg):\/\//.test(button.url)) throw badRequest("BUTTON_URL_INVALID");
    if (button.callback_data === undefined && button.url === undefined)
      throw badRequest("text buttons are unallowed in the inline keyboard");
  }
  return markup;
}

/** Telegram adds entities for a leading bot command and for @mentions; clients rely on them. */
function entitiesOf(text: string): Pick<FakeMessage, "entities"> {
  const entities: NonNullable<FakeMessage["entities"]> = [];
  const command = /^\/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]{5,32})?/.exec(text);
  if (command) entities.push({ type: "bot_command", offset: 0, length: command[0].length });
  for (const mention of text.matchAll(/(?<![\w/@])@[A-Za-z0-9_]{5,32}/g)) {
    entities.push({ type: "mention", offset: mention.index, length: mention[0].length });
  }
  return entities.length > 0 ? { entities } : {};
}

function decodeField(key: string, value: string): unknown {
  if (!JSON_FIELDS.has(key)) return value;
  try {
    return JSON.parse(value);
  } catch {
    throw badRequest(`can't parse ${key} JSON object`);
  }
}

/** A file the bot uploaded in a multipart request, as the fake records it. */
interface FakeUpload {
  filename: string;
  size: number;
  bytes: Buffer;
}

function isUpload(value: unknown): value is FakeUpload {
  return typeof value === "object" && value !== null && Buffer.isBuffer((value as { bytes?: unknown }).bytes);
}

/** JPEG, PNG, GIF or WebP by their first bytes: what Telegram can turn into a photo. */
function looksLikeImage(bytes: Buffer): boolean {
  const head = bytes.toString("latin1", 0, 12);
  return (
    (bytes[0] === 0xff && bytes[1] === 0xd8) ||
    head.startsWith("\x89PNG") ||
    head.startsWith("GIF8") ||
    (head.startsWith("RIFF") && head.slice(8) === "WEBP")
  );
}

function decodeForm(form: URLSearchParams): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  form.forEach((value, key) => {
    params[key] = decodeField(key, value);
  });
  return params;
}

/**
 * Reads a multipart body the lenient way Telegram does: grammY writes part
 * headers without spaces and file names unquoted, which undici's strict
 * FormData parser refuses. A field `attach://<name>` names the file part
 * `<name>`, as the Bot API defines it.
 */
function decodeMultipart(body: Buffer, contentType: string): Record<string, unknown> {
  const boundary = /boundary="?([^";]+)"?/i.exec(contentType)?.[1];
  if (!boundary) throw new Error("no multipart boundary");
  const delimiter = Buffer.from(`--${boundary}`);
  const fields = new Map<string, string>();
  const files = new Map<string, FakeUpload>();
  let offset = body.indexOf(delimiter);
  while (offset !== -1) {
    const start = offset + delimiter.length;
    if (body.subarray(start, start + 2).toString("latin1") === "--") break;
    const next = body.indexOf(delimiter, start);
    if (next === -1) throw new Error("unterminated multipart body");
    const part = body.subarray(start + 2, next - 2);
    const split = part.indexOf("\r\n\r\n");
    if (split === -1) throw new Error("multipart part without headers");
    const headers = part.subarray(0, split).toString("utf8");
    const content = part.subarray(split + 4);
    const name = /name="?([^";\r\n]+)"?/i.exec(headers)?.[1];
    const filename = /filename="?([^";\r\n]+)"?/i.exec(headers)?.[1];
    if (!name) throw new Error("multipart part without a name");
    if (filename === undefined) fields.set(name, content.toString("utf8"));
    else files.set(name, { filename, size: content.length, bytes: Buffer.from(content) });
    offset = next;
  }
  const params: Record<string, unknown> = {};
  for (const [key, value] of fields) {
    const attached = /^attach:\/\/(.+)$/.exec(value)?.[1];
    params[key] = attached !== undefined ? files.get(attached) : decodeField(key, value);
  }
  for (const [key, file] of files) if (!(key in params)) params[key] = file;
  return params;
}

async function readParams(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  if (body.length === 0) return {};
  const type = request.headers["content-type"] ?? "";
  if (type.startsWith("application/json")) {
    const json: unknown = JSON.parse(body.toString("utf8"));
    if (typeof json !== "object" || json === null || Array.isArray(json)) throw new Error("not an object");
    return Object.fromEntries(
      Object.entries(json).map(([key, value]) => [key, typeof value === "string" ? decodeField(key, value) : value]),
    );
  }
  if (type.startsWith("application/x-www-form-urlencoded")) return decodeForm(new URLSearchParams(body.toString("utf8")));
  if (type.startsWith("multipart/form-data")) return decodeMultipart(body, type);
  return {};
}

/** Starts a fake Bot API server on a free local port. Close it with {@link FakeTelegram.close}. */
export async function startFakeTelegram(options: FakeTelegramOptions): Promise<FakeTelegram> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (typeof address !== "object" || address === null) throw new Error("the fake Telegram server has no address");
  const fake = new FakeTelegram(server, `http://127.0.0.1:${address.port}`, options);
  server.on("request", (request: IncomingMessage, response: ServerResponse) => {
    fake.serve(request, response).catch((error: unknown) => {
      if (!response.headersSent)
        answer(response, 500, { ok: false, error_code: 500, description: `Internal Server Error: ${String(error)}` });
    });
  });
  return fake;
}
