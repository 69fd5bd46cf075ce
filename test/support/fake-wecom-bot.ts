import { createCipheriv, randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { decrypt, encrypt, getSignature } from "@wecom/crypto";

/** A person talking to the bot: a single chat unless `chatid` names a group. */
export interface FakeWecomUser {
  userid: string;
  chatid?: string;
}

/** A button card as the bot sent it. */
export interface FakeCard {
  card_type: string;
  task_id: string;
  main_title?: { title?: string };
  sub_title_text?: string;
  button_list: { text: string; key: string; style?: number }[];
}

/** What a callback got back: HTTP status, and the decrypted passive reply when there was one. */
export interface FakeCallbackResult {
  status: number;
  text: string;
  reply: Record<string, unknown> | undefined;
  /** The response_url this callback carried, to find what the app pushed through it. */
  responseCode: string;
}

/** One message the app POSTed to a response_url. */
export interface FakePush {
  code: string;
  body: { msgtype: string; markdown?: { content: string }; template_card?: FakeCard };
}

/** Options of a single callback, for the bad-input tests. */
export interface CallbackOptions {
  timestamp?: number;
  nonce?: string;
  /** Replaces the signature the fake would compute. */
  signature?: string;
  /** Replaces the `encrypt` field (already encrypted or garbage). */
  encrypt?: string;
  /** Encrypts with this receive id instead of the bot's. */
  receiveId?: string;
}

/** The simulated WeCom side of an intelligent bot in API mode. */
export interface FakeWecomBot {
  /** The fake's own base URL: response_urls and image downloads live here. */
  url: string;
  token: string;
  encodingAesKey: string;
  /** Points the fake at the app's callback URL. */
  target(callbackUrl: string): void;
  /** Signs and sends a callback whose plaintext is `payload` (JSON-encoded unless a string). */
  callback(payload: object | string, options?: CallbackOptions): Promise<FakeCallbackResult>;
  /** The URL verification WeCom does when the callback URL is saved. */
  verifyUrl(echo: string, options?: CallbackOptions): Promise<{ status: number; text: string }>;
  /** POSTs a raw body with a given query string, exactly as given. */
  raw(query: string, body: string, method?: "GET" | "POST"): Promise<{ status: number; text: string }>;
  /** The user sends a text (a group text gets the "@bot " mention WeCom writes). */
  userSends(user: FakeWecomUser, text: string): Promise<FakeCallbackResult>;
  /** The user sends an image: the fake serves it encrypted at a URL, as WeCom does. */
  userSendsImage(user: FakeWecomUser, bytes: Buffer): Promise<FakeCallbackResult>;
  /**
   * Delivers a callback as WeCom does when the app is slow: a try that gets no
   * answer within `answerWithinMs` is given up (its connection closed) and the
   * same message is delivered again with a fresh timestamp and nonce, at most
   * `attempts` times in all. Resolves with the answer of the last try, or
   * undefined when no try was answered in time, and how many were given up.
   * `via` lists callback URLs taken in turn, try by try, as a load balancer in
   * front of several instances would; the target set by {@link target} otherwise.
   */
  deliverWithRetries(
    payload: object,
    options: { answerWithinMs: number; attempts: number; via?: string[] },
  ): Promise<{ abandoned: number; result: FakeCallbackResult | undefined }>;
  /** Builds the payload of a user's image message (not sent), so a test can deliver it its own way. */
  imageMessage(user: FakeWecomUser, bytes: Buffer): object;
  /** Serves images only after `ms`, as a slow WeCom file server would; 0 serves them at once again. */
  delayImages(ms: number): void;
  /** Serves `bytes` encrypted the way WeCom serves an image message's picture, and returns its URL. */
  hostImage(bytes: Buffer): string;
  /** The user clicks a button of a card. */
  userClicks(user: FakeWecomUser, card: FakeCard, buttonText: string): Promise<FakeCallbackResult>;
  /** Everything pushed through response_urls so far. */
  pushes(): FakePush[];
  /** Waits for a push that satisfies `accept`. */
  nextPush(accept: (push: FakePush) => boolean, timeoutMs?: number): Promise<FakePush>;
  /** How often each image was downloaded. */
  downloads(): number;
  /** Builds a valid encrypted `encrypt` field for a plaintext. */
  seal(plaintext: string, receiveId?: string): string;
  close(): Promise<void>;
}

export const BOT_NAME = "邻里助手";
/** Fixed so tests are repeatable; 43 characters of letters and digits, as WeCom issues them. */
export const FAKE_ENCODING_AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
export const FAKE_TOKEN = "LinliTestToken42";

/** The passive reply's plaintext text for a stream reply, or "" for anything else. */
export function streamText(result: FakeCallbackResult): string {
  const stream = result.reply?.stream as { content?: string } | undefined;
  return stream?.content ?? "";
}

/** The card of a passive reply, if any. */
export function replyCard(result: FakeCallbackResult): FakeCard | undefined {
  return result.reply?.template_card as FakeCard | undefined;
}

/**
 * Starts the fake: an HTTP server for response_urls (each accepts one POST,
 * like WeCom's) and encrypted image downloads, plus a client that signs and
 * encrypts callbacks with WeCom's official `@wecom/crypto` and decrypts and
 * checks the app's passive replies (signature, receive id).
 */
export async function startFakeWecomBot(
  options: { token?: string; encodingAesKey?: string; receiveId?: string } = {},
): Promise<FakeWecomBot> {
  const token = options.token ?? FAKE_TOKEN;
  const encodingAesKey = options.encodingAesKey ?? FAKE_ENCODING_AES_KEY;
  const receiveId = options.receiveId ?? "";
  const key = Buffer.from(`${encodingAesKey}=`, "base64");
  const images = new Map<string, Buffer>();
  const usedCodes = new Set<string>();
  const pushes: FakePush[] = [];
  let downloads = 0;
  let callbackUrl = "";
  let counter = 0;
  let imageDelayMs = 0;

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://fake");
      const [, kind, id = ""] = url.pathname.split("/");
      if (kind === "media" && req.method === "GET" && images.has(id)) {
        downloads++;
        setTimeout(() => {
          res.writeHead(200, { "content-type": "application/octet-stream" });
          res.end(images.get(id));
        }, imageDelayMs);
        return;
      }
      if (kind === "response" && req.method === "POST") {
        res.writeHead(200, { "content-type": "application/json" });
        if (usedCodes.has(id)) {
          res.end(JSON.stringify({ errcode: 600_039, errmsg: "response_url already used" }));
          return;
        }
        usedCodes.add(id);
        pushes.push({ code: id, body: JSON.parse(Buffer.concat(chunks).toString("utf8")) as FakePush["body"] });
        res.end(JSON.stringify({ errcode: 0, errmsg: "ok" }));
        return;
      }
      res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const hostImage = (bytes: Buffer) => {
    const id = randomBytes(8).toString("hex");
    const pad = 32 - (bytes.length % 32);
    const cipher = createCipheriv("aes-256-cbc", key, key.subarray(0, 16));
    cipher.setAutoPadding(false);
    images.set(id, Buffer.concat([cipher.update(Buffer.concat([bytes, Buffer.alloc(pad, pad)])), cipher.final()]));
    return `${base}/media/${id}`;
  };

  const seal = (plaintext: string, id = receiveId) => encrypt(encodingAesKey, plaintext, id);

  const raw = async (query: string, body: string, method: "GET" | "POST" = "POST", signal?: AbortSignal) => {
    const response = await fetch(
      `${callbackUrl}?${query}`,
      method === "POST" ? { method, body, headers: { "content-type": "application/json" }, signal } : { method, signal },
    );
    return { status: response.status, text: await response.text() };
  };

  const signedQuery = (ciphertext: string, options: CallbackOptions) => {
    const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
    const nonce = options.nonce ?? randomBytes(6).toString("hex");
    const signature = options.signature ?? getSignature(token, timestamp, nonce, ciphertext);
    return new URLSearchParams({ msg_signature: signature, timestamp, nonce });
  };

  const openReply = (text: string): Record<string, unknown> | undefined => {
    if (text === "") return undefined;
    const envelope = JSON.parse(text) as { encrypt: string; msgsignature: string; timestamp: number; nonce: string };
    if (getSignature(token, envelope.timestamp, envelope.nonce, envelope.encrypt) !== envelope.msgsignature)
      throw new Error("the passive reply's signature is wrong");
    const opened = decrypt(encodingAesKey, envelope.encrypt);
    if (opened.id !== receiveId) throw new Error(`the passive reply carries receive id "${opened.id}"`);
    return JSON.parse(opened.message) as Record<string, unknown>;
  };

  const callback = async (payload: object | string, options: CallbackOptions = {}, signal?: AbortSignal): Promise<FakeCallbackResult> => {
    const plaintext = typeof payload === "string" ? payload : JSON.stringify(payload);
    const ciphertext = options.encrypt ?? seal(plaintext, options.receiveId);
    const result = await raw(signedQuery(ciphertext, options).toString(), JSON.stringify({ encrypt: ciphertext }), "POST", signal);
    const responseCode =
      typeof payload === "object"
        ? (String((payload as { response_url?: string }).response_url ?? "")
            .split("/")
            .pop() ?? "")
        : "";
    return { status: result.status, text: result.text, reply: result.status === 200 ? openReply(result.text) : undefined, responseCode };
  };

  const envelopeOf = (user: FakeWecomUser) => {
    counter++;
    const code = `rc${counter}_${randomBytes(4).toString("hex")}`;
    return {
      msgid: `msg${counter}_${randomBytes(6).toString("hex")}`,
      aibotid: "AIBOT_TEST",
      ...(user.chatid ? { chatid: user.chatid, chattype: "group" } : { chattype: "single" }),
      from: { userid: user.userid },
      response_url: `${base}/response/${code}`,
    };
  };

  return {
    url: base,
    token,
    encodingAesKey,
    target(url) {
      callbackUrl = url;
    },
    callback,
    async verifyUrl(echo, options = {}) {
      const echostr = options.encrypt ?? seal(echo, options.receiveId);
      const query = signedQuery(echostr, options);
      query.set("echostr", echostr);
      return raw(query.toString(), "", "GET");
    },
    raw,
    userSends(user, text) {
      return callback({ ...envelopeOf(user), msgtype: "text", text: { content: user.chatid ? `@${BOT_NAME} ${text}` : text } });
    },
    userSendsImage(user, bytes) {
      return callback({ ...envelopeOf(user), msgtype: "image", image: { url: hostImage(bytes) } });
    },
    imageMessage(user, bytes) {
      return { ...envelopeOf(user), msgtype: "image", image: { url: hostImage(bytes) } };
    },
    async deliverWithRetries(payload, { answerWithinMs, attempts, via }) {
      let abandoned = 0;
      for (let attempt = 0; attempt < attempts; attempt++) {
        if (via && via.length > 0) callbackUrl = via[attempt % via.length]!;
        try {
          return { abandoned, result: await callback(payload, {}, AbortSignal.timeout(answerWithinMs)) };
        } catch (error) {
          if (!(error instanceof DOMException && error.name === "TimeoutError")) throw error;
          abandoned++;
        }
      }
      return { abandoned, result: undefined };
    },
    delayImages(ms) {
      imageDelayMs = ms;
    },
    hostImage,
    userClicks(user, card, buttonText) {
      const button = card.button_list.find((b) => b.text.includes(buttonText));
      if (!button)
        throw new Error(
          `no button "${buttonText}" on card "${card.main_title?.title ?? ""}": ${card.button_list.map((b) => b.text).join(", ")}`,
        );
      return callback({
        ...envelopeOf(user),
        msgtype: "event",
        event: {
          eventtype: "template_card_event",
          template_card_event: { card_type: card.card_type, event_key: button.key, task_id: card.task_id },
        },
      });
    },
    pushes: () => [...pushes],
    async nextPush(accept, timeoutMs = 8_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = pushes.find(accept);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no matching push; pushes so far: ${JSON.stringify(pushes)}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    downloads: () => downloads,
    seal,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
