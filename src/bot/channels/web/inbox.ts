import { z } from "zod";
import type { OutboundMessage } from "../../../flows/kit/messages.ts";
import type { ChannelSender } from "../../notify/outbox-worker.ts";
import type { SessionStore } from "../../sessions/store.ts";

/** How long an undelivered update waits for the browser to come back. */
const INBOX_TTL_MS = 14 * 24 * 60 * 60 * 1000;
/** A browser gone for weeks gets the latest updates, not an unbounded pile. */
const MAX_WAITING = 50;

const storedSchema = z.array(z.object({ type: z.string() }).passthrough());

/**
 * Updates for web-chat users (their report's progress), which cannot be pushed
 * to a browser: they wait in the session store (Redis when configured, so any
 * instance can hand them out) until the page asks for them.
 */
export interface WebInbox {
  deliver(clientId: string, messages: OutboundMessage[]): Promise<void>;
  /** Hands out and forgets everything waiting for the client, oldest first. */
  take(clientId: string): Promise<OutboundMessage[]>;
}

export function createWebInbox(store: SessionStore): WebInbox {
  const key = (clientId: string) => `webinbox:${clientId}`;
  const read = async (clientId: string): Promise<OutboundMessage[]> => {
    const raw = await store.read(key(clientId));
    if (raw === undefined) return [];
    try {
      const parsed = storedSchema.safeParse(JSON.parse(raw));
      return parsed.success ? (parsed.data as OutboundMessage[]) : [];
    } catch {
      return [];
    }
  };
  return {
    deliver: (clientId, messages) =>
      store.withLock(key(clientId), async () => {
        const waiting = [...(await read(clientId)), ...messages].slice(-MAX_WAITING);
        await store.write(key(clientId), JSON.stringify(waiting), INBOX_TTL_MS);
      }),
    take: (clientId) =>
      store.withLock(key(clientId), async () => {
        const waiting = await read(clientId);
        if (waiting.length > 0) await store.delete(key(clientId));
        return waiting;
      }),
  };
}

/**
 * The outbox worker's sender for web-chat users: "sending" puts the update in
 * the browser's inbox (a web row's chatId is the browser's clientId).
 */
export function createWebSender(inbox: WebInbox): ChannelSender {
  return {
    // Only the session store limits these; nothing leaves the process.
    perDestinationPerMinute: 600,
    perSecondOverall: 1000,
    send: async (chatId, messages) => {
      await inbox.deliver(chatId, messages);
      return { type: "sent" };
    },
  };
}
