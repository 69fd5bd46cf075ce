import type { InboundEvent, OutboundMessage } from "../flows/kit/messages.ts";

/**
 * What every channel feeds its parsed updates into. The implementation (the
 * dispatcher) dedupes deliveries, serialises updates of one session, runs the
 * flows and returns the replies in order; the channel renders and sends them.
 * It never throws: failures become a polite reply in the user's language.
 */
export interface UpdateHandler {
  handle(event: InboundEvent): Promise<OutboundMessage[]>;
}
