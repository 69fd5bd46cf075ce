import { createHash, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import type { HttpResponse, Route } from "../../http/route.ts";

/** Where Telegram delivers updates in webhook mode; the public webhook URL must reach this path. */
export const TELEGRAM_WEBHOOK_PATH = "/telegram/webhook";

/** The header Telegram fills with the `secret_token` given to setWebhook. */
const SECRET_HEADER = "x-telegram-bot-api-secret-token";

/**
 * Only the envelope is checked here: the secret already proved the sender is
 * Telegram, and the parser reads every field it uses defensively. Everything
 * else in the update passes through untouched for grammY.
 */
const updateEnvelope = z.looseObject({ update_id: z.number().int().nonnegative() });

/** What the webhook hands on: a JSON object with an integer `update_id`. */
export type UpdateEnvelope = z.infer<typeof updateEnvelope>;

const digest = (value: string) => createHash("sha256").update(value, "utf8").digest();

/**
 * Compares secrets in constant time. Hashing both sides first gives equal-length
 * buffers, so neither the comparison nor an early length check reveals how much
 * of a guess was right or how long the secret is.
 */
function secretMatches(given: string | undefined, expectedDigest: Buffer): boolean {
  return timingSafeEqual(digest(given ?? ""), expectedDigest) && given !== undefined;
}

const text = (status: number, body: string): HttpResponse => ({ status, headers: { "content-type": "text/plain; charset=utf-8" }, body });

/**
 * The `POST /telegram/webhook` route. The secret is checked before the body is
 * even parsed, so an outsider learns nothing and cannot make us parse input:
 * 401 for a wrong or missing secret, 503 while the bot is not ready (Telegram
 * retries later), 400 for a body that is not an update, otherwise the update is
 * handled and answered with 200. `handle` must not reject: it logs its own
 * failures, and the route still answers 200 so Telegram does not redeliver a
 * poisonous update forever. What `handle` resolves to, when anything, is one
 * Bot API call as JSON (with its `method`), which Telegram performs on receiving
 * the answer: a "webhook reply", one outgoing request saved.
 */
export function createWebhookRoute(options: {
  secret: string;
  isReady: () => boolean;
  handle: (update: UpdateEnvelope) => Promise<string | undefined>;
}): Route {
  const expected = digest(options.secret);
  return {
    method: "POST",
    path: TELEGRAM_WEBHOOK_PATH,
    async handle(request) {
      if (!secretMatches(request.headers[SECRET_HEADER], expected)) return text(401, "unauthorized");
      if (!options.isReady()) return text(503, "not ready");
      let json: unknown;
      try {
        json = JSON.parse(request.body.toString("utf8"));
      } catch {
        return text(400, "body is not JSON");
      }
      const update = updateEnvelope.safeParse(json);
      if (!update.success) return text(400, "body is not a Telegram update");
      const reply = await options.handle(update.data);
      return reply === undefined ? text(200, "ok") : { status: 200, headers: { "content-type": "application/json" }, body: reply };
    },
  };
}
