import type { GridDirectory } from "../../domain/grid/directory.ts";
import type { Catalog } from "../i18n/catalog.ts";
import type { InboundEvent, InboundPayload, Locale, OutboundMessage } from "./messages.ts";

/** Every conversation Linli can hold; the engine looks flows up by this id. */
export type FlowId = "lookup";

/** The domain services a flow may use; nothing else reaches the outside world. */
export interface FlowServices {
  grid: GridDirectory;
}

/** What a flow gets besides its state and the event: the user's language and the services. */
export interface FlowContext {
  locale: Locale;
  t: Catalog;
  services: FlowServices;
  now: Date;
}

/**
 * The result of one step of a flow: go on with a new state, finish, or pass the
 * user to another flow (optionally with text for it to start from). Replies are
 * always sent, in order, whatever the branch.
 */
export type Step<S> =
  | { type: "continue"; state: S; replies: OutboundMessage[] }
  | { type: "done"; replies: OutboundMessage[] }
  | { type: "handoff"; flow: FlowId; input?: InboundPayload; replies: OutboundMessage[] };

/** The part of a zod schema the engine needs to validate stored flow state. */
export interface StateSchema<S> {
  safeParse(value: unknown): { success: true; data: S } | { success: false };
}

/**
 * A channel-agnostic conversation. `version` changes whenever the meaning of the
 * state changes, so state saved by an older version is discarded rather than
 * misread; `stateSchema` validates stored state before it is trusted.
 */
export interface Flow<S> {
  readonly id: FlowId;
  readonly version: number;
  readonly stateSchema: StateSchema<S>;
  /** The slash command that starts this flow from anywhere, without the slash. */
  readonly command?: string;
  /** Starts the flow; `input` is what the user already sent (e.g. the question that led here). */
  start(context: FlowContext, input?: InboundPayload): Promise<Step<S>>;
  onEvent(state: S, event: InboundEvent, context: FlowContext): Promise<Step<S>>;
}
