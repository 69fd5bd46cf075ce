import { z } from "zod";
import type { Catalog } from "../i18n/catalog.ts";
import type { Flow, FlowContext } from "../kit/flow.ts";
import { startFlowChoice } from "../kit/menu.ts";
import type { ChoiceOption, OutboundMessage } from "../kit/messages.ts";

const stateSchema = z.object({ reference: z.string() });
type FeedbackState = z.infer<typeof stateSchema>;

const RATING = "fb:rate:";

/**
 * The buttons sent with "your report was resolved": they start this flow with
 * the reference and the answer, so they work whatever the resident is doing.
 */
export function feedbackChoices(reference: string, t: Catalog): ChoiceOption[] {
  return [
    { label: t.feedback.fixed, value: `${startFlowChoice("feedback")}:${reference}:fixed` },
    { label: t.feedback.notFixed, value: `${startFlowChoice("feedback")}:${reference}:notfixed` },
  ];
}

/**
 * After resolution the reporter says whether the problem is really fixed
 * ("not fixed" in time reopens the case) and rates the handling from 1 to 5.
 */
export const feedbackFlow: Flow<FeedbackState> = {
  id: "feedback",
  version: 1,
  stateSchema,

  async start(context, input) {
    const { t } = context;
    const [reference, answer] = input?.type === "choice" ? input.value.split(":") : [];
    if (!reference || (answer !== "fixed" && answer !== "notfixed")) return { type: "done", replies: [text(t.errors.staleChoice)] };
    const result = await context.services.reports.recordFeedback(reference, identity(context), { fixed: answer === "fixed" });
    switch (result.type) {
      case "recorded":
        return { type: "continue", state: { reference }, replies: [ratingQuestion(t)] };
      case "reopened":
        return { type: "done", replies: [text(t.feedback.reopened(reference))] };
      case "tooLateToReopen":
        return { type: "done", replies: [text(t.feedback.tooLate(reference))] };
      case "notAllowed":
        return { type: "done", replies: [text(t.feedback.notAllowed)] };
    }
  },

  async onEvent(state, event, context) {
    const { t } = context;
    const value =
      event.payload.type === "choice" ? event.payload.value : event.payload.type === "text" ? `${RATING}${event.payload.text.trim()}` : "";
    const rating = value.startsWith(RATING) ? Number(value.slice(RATING.length)) : NaN;
    if (!Number.isInteger(rating) || rating < 1 || rating > 5) return { type: "continue", state, replies: [ratingQuestion(t)] };
    const result = await context.services.reports.recordFeedback(state.reference, identity(context), { rating });
    return { type: "done", replies: [text(result.type === "notAllowed" ? t.feedback.notAllowed : t.feedback.thanks)] };
  },
};

function ratingQuestion(t: Catalog): OutboundMessage {
  return {
    type: "choices",
    text: t.feedback.askRating,
    options: [1, 2, 3, 4, 5].map((n) => ({ label: t.feedback.stars(n), value: `${RATING}${n}` })),
  };
}

function identity(context: FlowContext) {
  return { ...context.user, locale: context.locale };
}

function text(value: string): OutboundMessage {
  return { type: "text", text: value };
}
