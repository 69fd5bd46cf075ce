import { createDispatcher } from "../../src/bot/dispatch.ts";
import { createMemoryStore } from "../../src/bot/sessions/memory-store.ts";
import type { SessionStore } from "../../src/bot/sessions/store.ts";
import type { FlowServices } from "../../src/flows/kit/flow.ts";
import type { ChannelId, InboundPayload, Locale, OutboundMessage } from "../../src/flows/kit/messages.ts";
import { FLOWS } from "../../src/flows/registry.ts";
import { testLogger } from "./logs.ts";

/**
 * A resident talking to the real dispatcher and flows, with no channel in
 * between: each call sends one payload and returns the replies as sent.
 */
export function converse(
  services: FlowServices,
  options: {
    store?: SessionStore;
    locale?: Locale;
    now?: () => Date;
    idleMs?: number;
    userId?: string;
    channel?: ChannelId;
    chatId?: string;
    chatType?: "private" | "group";
    origin?: string;
  } = {},
) {
  const store = options.store ?? createMemoryStore();
  const dispatcher = createDispatcher({
    store,
    flows: FLOWS,
    services,
    logger: testLogger(),
    idleMs: options.idleMs ?? 30 * 60_000,
    now: options.now,
  });
  let sequence = 0;
  const userId = options.userId ?? "resident-1";
  const send = (payload: InboundPayload) =>
    dispatcher.handle({
      channel: options.channel ?? "web",
      userId,
      chatId: options.chatId ?? userId,
      chatType: options.chatType ?? "private",
      messageId: `${userId}:m${++sequence}`,
      localeHint: options.locale ?? "zh",
      ...(options.origin ? { origin: options.origin } : {}),
      payload,
    });
  return {
    store,
    dispatcher,
    send,
    text: (text: string) => send({ type: "text", text }),
    command: (command: string, args = "") => send({ type: "command", command, args }),
    choose: (value: string) => send({ type: "choice", value }),
    location: (latitude: number, longitude: number) => send({ type: "location", latitude, longitude }),
  };
}

/** All text a list of replies shows, joined, for assertions on what the user reads. */
export function shownText(replies: OutboundMessage[]): string {
  return replies
    .map((reply) => {
      switch (reply.type) {
        case "text":
          return reply.text;
        case "choices":
          return [reply.text, ...reply.options.map((option) => option.label)].join("\n");
        case "locationRequest":
          return `${reply.text}\n${reply.buttonLabel}`;
        case "photo":
          return reply.caption ?? "";
        case "link":
          return `${reply.text}\n${reply.label}`;
        case "replace":
          return [reply.text, ...reply.options.map((option) => option.label)].join("\n");
        case "notice":
          return reply.text;
        case "document":
          return `${reply.caption}\n${reply.fileName}`;
      }
    })
    .join("\n");
}

/** The options of the last choices message, which is what the user can press now. */
export function lastChoices(replies: OutboundMessage[]): { label: string; value: string }[] {
  const choices = replies.filter((reply) => reply.type === "choices").at(-1);
  return choices?.type === "choices" ? choices.options : [];
}
