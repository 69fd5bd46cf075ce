import { catalogFor } from "../flows/i18n/catalog.ts";
import type { FlowServices } from "../flows/kit/flow.ts";
import { decodeSession, runEngine, type FlowRegistry } from "../flows/kit/engine.ts";
import type { InboundEvent, OutboundMessage } from "../flows/kit/messages.ts";
import type { Logger } from "../log.ts";
import { LockTimeoutError, SessionStoreUnavailableError, type SessionStore } from "./sessions/store.ts";
import type { UpdateHandler } from "./update-handler.ts";

/** How long a user's language choice (or a conversation set aside) outlives their last message. */
const SESSION_TTL_MS = 90 * 24 * 60 * 60 * 1000;
/**
 * How long a session holding nothing (no language chosen, no conversation
 * going or set aside) outlives its last message: a visitor who never did
 * anything costs storage for a day, not a season.
 */
const EMPTY_SESSION_TTL_MS = 24 * 60 * 60 * 1000;
/** Longer than any channel's redelivery window (Telegram keeps updates 24 h). */
const DEDUPE_TTL_MS = 26 * 60 * 60 * 1000;

export interface DispatcherDeps {
  store: SessionStore;
  flows: FlowRegistry;
  services: FlowServices;
  logger: Logger;
  idleMs: number;
  now?: () => Date;
}

/** The session key of an event: one conversation per user per chat per channel. */
export function sessionKey(event: Pick<InboundEvent, "channel" | "chatId" | "userId">): string {
  return `${event.channel}:${event.chatId}:${event.userId}`;
}

/**
 * Creates the {@link UpdateHandler} every channel feeds: under the session's
 * lock it drops a delivery it has already handled, loads and validates the
 * session, runs one engine step and commits the result. Everything goes through
 * {@link SessionStore.withSession}, so on Redis an update costs two round trips
 * and the delivery is marked handled in the same atomic commit that saves the
 * session: a crash before it means the channel's redelivery is processed rather
 * than lost. When the commit fails after the step ran (the store is down, or the
 * lock lapsed and the store refused to overwrite), the step's replies are still
 * sent, followed by the "temporarily unavailable" notice: what the step did is
 * done either way.
 */
export function createDispatcher(deps: DispatcherDeps): UpdateHandler {
  const now = deps.now ?? (() => new Date());
  return {
    async handle(event) {
      try {
        const turn = await deps.store.withSession(sessionKey(event), event.messageId, async (stored): Promise<OutboundMessage[]> => {
          const { session, discarded } = decodeSession(stored.value);
          if (discarded) deps.logger.warn("discarded an unreadable session", { channel: event.channel });
          const result = await runEngine(session, event, { flows: deps.flows, services: deps.services, now: now(), idleMs: deps.idleMs });
          const t = catalogFor(result.session.locale ?? event.localeHint ?? "zh");
          const replies: OutboundMessage[] = discarded ? [{ type: "text", text: t.session.reset }, ...result.replies] : result.replies;
          try {
            const empty = result.session.locale === null && result.session.active === null && result.session.suspended === null;
            await stored.commit({
              value: JSON.stringify(result.session),
              ttlMs: empty ? EMPTY_SESSION_TTL_MS : SESSION_TTL_MS,
              processedTtlMs: DEDUPE_TTL_MS,
            });
          } catch (error) {
            if (!(error instanceof SessionStoreUnavailableError)) throw error;
            // The step already happened (a report filed, a seat taken) and cannot be undone; answering
            // only "unavailable" would hide it, e.g. the new report's reference, from the resident.
            deps.logger.error("update handled but its session could not be saved", {
              channel: event.channel,
              payload: event.payload.type,
              error,
            });
            return [...replies, { type: "text", text: t.errors.unavailable }];
          }
          return replies;
        });
        return turn.type === "ran" ? turn.result : [];
      } catch (error) {
        deps.logger.error("update failed", { channel: event.channel, payload: event.payload.type, error });
        return [failureReply(event, error)];
      }
    },
  };
}

function failureReply(event: InboundEvent, error: unknown): OutboundMessage {
  const t = catalogFor(event.localeHint ?? "zh");
  const storeDown = error instanceof SessionStoreUnavailableError || error instanceof LockTimeoutError;
  return { type: "text", text: storeDown ? t.errors.unavailable : t.errors.generic };
}
