import { COMMAND_MENU } from "../../../flows/kit/commands.ts";
import type { Logger } from "../../../log.ts";
import type { HttpRequest, HttpResponse, Route } from "../../http/route.ts";
import type { UpdateHandler } from "../../update-handler.ts";
import { jsonError } from "../../http/server.ts";
import { chatRequestSchema, describeChatRequestError, toInboundEvent } from "./chat-request.ts";
import { loadChatPage } from "./page.ts";
import { SlidingWindowLimiter, type RateLimit } from "./rate-limit.ts";

/** What the web chat needs from the composition root. */
export interface WebChannelOptions {
  handler: UpdateHandler;
  logger: Logger;
}

/** Per browser: a person typing and pressing buttons stays far below this. */
export const CLIENT_RATE_LIMIT: RateLimit = { limit: 20, windowMs: 10_000, maxKeys: 10_000 };
/** Per peer address: room for a household or office behind one NAT, not for a script. */
export const ADDRESS_RATE_LIMIT: RateLimit = { limit: 120, windowMs: 10_000, maxKeys: 10_000 };

/**
 * The built-in web chat: `GET /` (the page), `POST /api/chat` (one message in,
 * the replies out) and `GET /api/commands` (the command menu for the page's
 * help). The API is documented in docs/web-chat.md. It holds no conversation
 * state; everything goes through `handler`, exactly like the other channels.
 */
export function createWebChannel(options: WebChannelOptions): { routes: Route[] } {
  const { handler, logger } = options;
  const page = loadChatPage();
  const byClient = new SlidingWindowLimiter(CLIENT_RATE_LIMIT);
  const byAddress = new SlidingWindowLimiter(ADDRESS_RATE_LIMIT);
  const commandsBody = JSON.stringify({ commands: COMMAND_MENU });

  const chat = async (request: HttpRequest): Promise<HttpResponse> => {
    const address = byAddress.hit(request.remoteAddress ?? "unknown");
    if (!address.allowed) {
      logger.warn("web chat rate limited", { by: "address", remoteAddress: request.remoteAddress });
      return tooManyRequests(address.retryAfterSeconds);
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
    const client = byClient.hit(parsed.data.clientId);
    if (!client.allowed) {
      logger.warn("web chat rate limited", { by: "client" });
      return tooManyRequests(client.retryAfterSeconds);
    }
    const replies = await handler.handle(toInboundEvent(parsed.data));
    return json200(JSON.stringify({ replies }));
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
          body: page.html,
        }),
      },
      { method: "POST", path: "/api/chat", handle: chat },
      { method: "GET", path: "/api/commands", handle: async () => json200(commandsBody) },
    ],
  };
}

function isJson(contentType: string | undefined): boolean {
  return contentType?.split(";")[0]?.trim().toLowerCase() === "application/json";
}

function json200(body: string): HttpResponse {
  return { status: 200, headers: { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store" }, body };
}

function tooManyRequests(retryAfterSeconds: number): HttpResponse {
  return jsonError(
    429,
    "rate_limited",
    { zh: `发送太频繁了，请 ${retryAfterSeconds} 秒后再试。`, en: `Too many messages. Please try again in ${retryAfterSeconds} seconds.` },
    { headers: { "Retry-After": String(retryAfterSeconds) } },
  );
}
