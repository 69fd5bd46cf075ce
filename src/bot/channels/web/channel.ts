import type { CommandEntry } from "../../../flows/kit/commands.ts";
import type { Logger } from "../../../log.ts";
import type { HttpRequest, HttpResponse } from "../../http/route.ts";
import { jsonError, type MountedRoute } from "../../http/server.ts";
import type { MediaStore } from "../../media/store.ts";
import type { UpdateHandler } from "../../update-handler.ts";
import type { WebInbox } from "./inbox.ts";
import { chatRequestSchema, clientIdSchema, describeChatRequestError, toInboundEvent } from "./chat-request.ts";
import { loadChatPage, type ChatPageTown } from "./page.ts";
import {
  createMemoryLimiter,
  limitOn,
  retryAfterSeconds,
  type LimitDecision,
  type RateLimiter,
  type WindowRule,
} from "../../limits/limiter.ts";

/** What the web chat needs from the composition root. */
export interface WebChannelOptions {
  handler: UpdateHandler;
  /** Where uploaded photos go; its `maxBytes` is also the upload route's body limit. */
  media: MediaStore;
  /** Where report updates wait until the page polls `GET /api/updates`. */
  inbox: WebInbox;
  /** The commands the page's help lists, in order (`commandsFor(declaredCommands(FLOWS))`). */
  menu: readonly CommandEntry[];
  logger: Logger;
  /** The town's words the page shows, read each time the page is served (see chatPageTown). */
  town(): ChatPageTown;
  /** Where the per-client and per-address windows are counted: shared by all processes (Redis) when there are several. Default: this process's memory. */
  limiter?: RateLimiter;
  /**
   * The budget of new client ids per address. A client id is whatever the
   * browser sends, so without it one address could make up any number of
   * residents; `isKnown` says whether an id already has a conversation.
   * Without this option new ids cost nothing.
   */
  newClients?: { isKnown(clientId: string): Promise<boolean>; perAddressPerHour: number };
}

const HOUR_MS = 60 * 60_000;

/** Per browser: a person typing and pressing buttons stays far below this. */
export const CLIENT_RATE_LIMIT: WindowRule = { limit: 20, windowMs: 10_000 };
/** Per peer address: room for a household or office behind one NAT, not for a script. */
export const ADDRESS_RATE_LIMIT: WindowRule = { limit: 120, windowMs: 10_000 };
/** Polls for updates per browser: the page asks every 15 seconds while it is visible. */
export const UPDATES_CLIENT_RATE_LIMIT: WindowRule = { limit: 12, windowMs: 60_000 };

/**
 * Photo downloads per peer address: the page loads each image of a reply once
 * (the browser keeps it, see {@link MEDIA_CACHE_CONTROL}); this only stops a
 * script from pulling large files in a loop.
 */
export const MEDIA_ADDRESS_RATE_LIMIT: WindowRule = { limit: 120, windowMs: 60_000 };

/**
 * A media id names fixed content, so browsers may keep an image for a week;
 * `private` because report photos must not sit in shared caches.
 */
export const MEDIA_CACHE_CONTROL = "private, max-age=604800, immutable";

const MEDIA_ROUTE_PREFIX = "/api/media/";
const MEDIA_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Uploads per browser: a report takes at most 3 photos, and each upload can
 * cost megabytes of disk, so the bound is much tighter than for messages.
 */
export const UPLOAD_CLIENT_RATE_LIMIT: WindowRule = { limit: 6, windowMs: 60_000 };
/** Uploads per peer address: a few residents behind one NAT reporting at once. */
export const UPLOAD_ADDRESS_RATE_LIMIT: WindowRule = { limit: 30, windowMs: 60_000 };

/**
 * The built-in web chat: `GET /` (the page), `POST /api/chat` (one message in,
 * the replies out), `POST /api/upload` (a photo's bytes in, its `fileId` out)
 * `GET /api/commands` (the command menu for the page's help),
 * `GET /api/updates` (report updates waiting for the browser named by its
 * `x-client-id` header) and
 * `GET /api/media/<media id>` (a stored photo a `photo` reply shows). The API is
 * documented in docs/web-chat.md. It holds no conversation state; everything
 * goes through `handler`, exactly like the other channels.
 *
 * Photos are uploaded before they are sent, so a web `photo` event's `fileId`
 * already is a media id: wire the photo saver with `preStored: ["web"]`.
 */
export function createWebChannel(options: WebChannelOptions): { routes: MountedRoute[] } {
  const { handler, media, inbox, logger } = options;
  const page = loadChatPage({ maxPhotoBytes: media.maxBytes });
  const limiter = options.limiter ?? createMemoryLimiter();
  /** Counts one request under `rule` for `key`; each rule has keys of its own. */
  const hit = (rule: WindowRule, name: string, key: string): Promise<LimitDecision> => limiter.take([limitOn(rule, `web:${name}:${key}`)]);
  const byClient = (clientId: string) => hit(CLIENT_RATE_LIMIT, "client", clientId);
  const byAddress = (request: HttpRequest) => hit(ADDRESS_RATE_LIMIT, "address", addressOf(request));
  const uploadsByClient = (clientId: string) => hit(UPLOAD_CLIENT_RATE_LIMIT, "upload-client", clientId);
  const uploadsByAddress = (request: HttpRequest) => hit(UPLOAD_ADDRESS_RATE_LIMIT, "upload-address", addressOf(request));
  const commandsBody = JSON.stringify({ commands: options.menu.map(({ name, description }) => ({ command: name, description })) });
  const updatesByClient = (clientId: string) => hit(UPDATES_CLIENT_RATE_LIMIT, "updates-client", clientId);
  const mediaByAddress = (request: HttpRequest) => hit(MEDIA_ADDRESS_RATE_LIMIT, "media-address", addressOf(request));

  // The id is a random UUID, known only to whoever was shown the photo, so it is the access check.
  const mediaFile = async (request: HttpRequest): Promise<HttpResponse> => {
    const address = await mediaByAddress(request);
    if (!address.allowed) return tooManyRequests(address);
    const mediaId = request.path.slice(MEDIA_ROUTE_PREFIX.length);
    const stored = MEDIA_ID.test(mediaId) ? await media.read(mediaId.toLowerCase()) : undefined;
    if (!stored) return jsonError(404, "not_found", { zh: "找不到这张图片。", en: "There is no such image." });
    return {
      status: 200,
      headers: { "Content-Type": stored.mimeType, "Cache-Control": MEDIA_CACHE_CONTROL, "X-Content-Type-Options": "nosniff" },
      body: stored.bytes,
    };
  };

  const updates = async (request: HttpRequest): Promise<HttpResponse> => {
    const address = await byAddress(request);
    if (!address.allowed) return tooManyRequests(address);
    // Refused rather than ignored, so a client still sending it learns to stop.
    if (request.query.has("clientId")) {
      return jsonError(
        400,
        "invalid_request",
        {
          zh: "请求格式不正确：clientId 须放在 x-client-id 请求头中，不能放在地址里（地址会被代理服务器记录）。",
          en: "The request is not valid: send clientId in the x-client-id header, not in the address (proxies log addresses).",
        },
        { details: { field: "clientId" } },
      );
    }
    const clientId = clientIdHeader(request);
    if (!clientId.ok) return clientId.response;
    const client = await updatesByClient(clientId.value);
    if (!client.allowed) return tooManyRequests(client);
    return json200(JSON.stringify({ replies: await inbox.take(clientId.value) }));
  };

  const chat = async (request: HttpRequest): Promise<HttpResponse> => {
    const address = await byAddress(request);
    if (!address.allowed) {
      logger.warn("web chat rate limited", { by: "address", remoteAddress: request.remoteAddress });
      return tooManyRequests(address);
    }
    if (!isJson(request.headers["content-type"])) {
      return jsonError(415, "unsupported_media_type", {
        zh: "请求须为 JSON，Content-Type 设为 application/json。",
        en: "The request must be JSON, sent with Content-Type: application/json.",
      });
    }
    let json: unknown;
    try {
      json = JSON.parse(request.body.toString("utf8"));
    } catch {
      return jsonError(400, "bad_json", { zh: "请求体不是有效的 JSON。", en: "The request body is not valid JSON." });
    }
    const parsed = chatRequestSchema.safeParse(json);
    if (!parsed.success) {
      const { field, message } = describeChatRequestError(parsed.error);
      return jsonError(400, "invalid_request", message, { details: { field } });
    }
    const client = await byClient(parsed.data.clientId);
    if (!client.allowed) {
      logger.warn("web chat rate limited", { by: "client" });
      return tooManyRequests(client);
    }
    const { newClients } = options;
    if (newClients && !(await newClients.isKnown(parsed.data.clientId))) {
      const budget = await hit({ limit: newClients.perAddressPerHour, windowMs: HOUR_MS }, "new-client", addressOf(request));
      if (!budget.allowed) {
        logger.warn("web chat refused a new client id: its address made too many", { remoteAddress: request.remoteAddress });
        const seconds = retryAfterSeconds(budget);
        const minutes = Math.ceil(seconds / 60);
        return jsonError(
          429,
          "new_client_limited",
          {
            zh: `从您所在的网络新开的对话太多了，请 ${minutes} 分钟后再试。已经开始的对话不受影响。`,
            en: `Too many new chats were started from your network. Please try again in ${minutes} minutes; chats already under way are not affected.`,
          },
          { headers: { "Retry-After": String(seconds) } },
        );
      }
    }
    const replies = await handler.handle(toInboundEvent(parsed.data, `web:${addressOf(request)}`));
    return json200(JSON.stringify({ replies }));
  };

  const upload = async (request: HttpRequest): Promise<HttpResponse> => {
    const address = await uploadsByAddress(request);
    if (!address.allowed) {
      logger.warn("web upload rate limited", { by: "address", remoteAddress: request.remoteAddress });
      return tooManyRequests(address);
    }
    const clientId = clientIdHeader(request);
    if (!clientId.ok) return clientId.response;
    // The declared type only screens out obvious mistakes; the bytes decide below.
    if (!request.headers["content-type"]?.trim().toLowerCase().startsWith("image/")) return notAnImage();
    const client = await uploadsByClient(clientId.value);
    if (!client.allowed) {
      logger.warn("web upload rate limited", { by: "client" });
      return tooManyRequests(client);
    }
    const stored = await media.put(request.body, { clientId: clientId.value, address: addressOf(request) });
    if (stored.ok) return json200(JSON.stringify({ fileId: stored.mediaId }));
    if (stored.reason === "notImage") return notAnImage();
    if (stored.reason === "uploaderQuota") {
      logger.warn("web upload refused: too many photos not used in a report", { limit: stored.limit });
      const minutes = Math.ceil(stored.retryAfterSeconds / 60);
      return jsonError(
        429,
        "upload_quota",
        {
          zh: `您已上传了 ${stored.limit} 张还没有用在举报里的照片。请先提交举报，或 ${minutes} 分钟后再上传。`,
          en: `You have uploaded ${stored.limit} photos not yet used in a report. Please submit your report first, or upload again in ${minutes} minutes.`,
        },
        { headers: { "Retry-After": String(stored.retryAfterSeconds) }, details: { limit: stored.limit } },
      );
    }
    if (stored.reason === "storageFull") {
      return jsonError(507, "storage_full", {
        zh: "照片存储空间暂时已满，现在无法上传照片。您仍然可以不带照片提交举报。",
        en: "Photo storage is full for now, so photos cannot be uploaded. You can still submit your report without a photo.",
      });
    }
    // The server refuses such a body first (the route limit is the store's); this keeps the answer exhaustive.
    return jsonError(
      413,
      "payload_too_large",
      {
        zh: `图片太大了，最大 ${megabytes(stored.maxBytes)} MB。`,
        en: `The image is too large; the limit is ${megabytes(stored.maxBytes)} MB.`,
      },
      { details: { maxBytes: stored.maxBytes } },
    );
  };

  return {
    routes: [
      {
        method: "GET",
        path: "/",
        handle: async () => ({
          status: 200,
          headers: {
            "Content-Type": "text/html; charset=utf-8",
            "Content-Security-Policy": page.contentSecurityPolicy,
            "Cache-Control": "no-cache",
          },
          body: page.html(options.town()),
        }),
      },
      { method: "POST", path: "/api/chat", handle: chat },
      { method: "POST", path: "/api/upload", handle: upload, maxBodyBytes: media.maxBytes },
      { method: "GET", path: "/api/commands", handle: async () => json200(commandsBody) },
      { method: "GET", path: "/api/updates", handle: updates },
      { method: "GET", path: `${MEDIA_ROUTE_PREFIX}*`, handle: mediaFile },
    ],
  };
}

/**
 * The browser's id from the `x-client-id` header, which requests without a JSON
 * body carry it in: a header, unlike the address, stays out of proxies' access logs.
 */
function clientIdHeader(request: HttpRequest): { ok: true; value: string } | { ok: false; response: HttpResponse } {
  const clientId = clientIdSchema.safeParse(request.headers["x-client-id"]);
  if (clientId.success) return { ok: true, value: clientId.data };
  return {
    ok: false,
    response: jsonError(
      400,
      "invalid_request",
      {
        zh: "请求格式不正确：x-client-id 请求头须为 8–64 个字符，只能包含字母、数字、_ 和 -。",
        en: "The request is not valid: the x-client-id header must be 8–64 characters of A–Z, a–z, 0–9, _ and -.",
      },
      { details: { field: "x-client-id" } },
    ),
  };
}

function isJson(contentType: string | undefined): boolean {
  return contentType?.split(";")[0]?.trim().toLowerCase() === "application/json";
}

function notAnImage(): HttpResponse {
  return jsonError(415, "not_an_image", {
    zh: "只能上传 JPEG、PNG、WebP 或 GIF 格式的照片。",
    en: "Only photos in JPEG, PNG, WebP or GIF format can be uploaded.",
  });
}

function megabytes(bytes: number): string {
  return String(Math.round((bytes / (1024 * 1024)) * 10) / 10);
}

function json200(body: string): HttpResponse {
  return { status: 200, headers: { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store" }, body };
}

function addressOf(request: HttpRequest): string {
  return request.remoteAddress ?? "unknown";
}

function tooManyRequests(decision: { retryAfterMs: number }): HttpResponse {
  const seconds = retryAfterSeconds(decision);
  return jsonError(
    429,
    "rate_limited",
    { zh: `发送太频繁了，请 ${seconds} 秒后再试。`, en: `Too many messages. Please try again in ${seconds} seconds.` },
    { headers: { "Retry-After": String(seconds) } },
  );
}
