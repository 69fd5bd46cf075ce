import { z } from "zod";
import { INTENTS, type Intent } from "../../domain/understanding/reading.ts";
import type { Flow, FlowContext, Step } from "../kit/flow.ts";
import { helpText } from "../kit/commands.ts";
import { mainMenu } from "../kit/menu.ts";
import type { OutboundMessage } from "../kit/messages.ts";
import { understand } from "../kit/understand.ts";

/** The message Linli could not read clearly, kept so the button pressed afterwards acts on it (even after a restart). */
const stateSchema = z.object({ text: z.string() });
type FreeTextState = z.infer<typeof stateSchema>;

/** Prefix of this flow's buttons: `ft:<intent>`. */
const P = "ft:";

/**
 * What a message typed with nothing in progress leads to, as Linli reads it
 * (kit/understand.ts): the flow for its intent, started with the words
 * (a report takes its category and place from them), the help, a greeting,
 * or a polite "not ours" with the town office to call. When the reading is
 * not clear, one question with a button per likely intent; the button acts
 * on the words first written.
 */
export const freeTextFlow: Flow<FreeTextState> = {
  id: "freeText",
  version: 1,
  stateSchema,

  async start(context, input) {
    if (input?.type !== "text") return { type: "done", replies: [mainMenu(context.t, context.locale)] };
    return answer(input.text, context);
  },

  async onEvent(state, event, context) {
    const { payload } = event;
    if (payload.type === "text") return answer(payload.text, context);
    const intent = payload.type === "choice" ? INTENTS.find((candidate) => `${P}${candidate}` === payload.value) : undefined;
    if (intent) return act(intent, state.text, context);
    return ask(state.text, context);
  },
};

function answer(text: string, context: FlowContext): Promise<Step<FreeTextState>> {
  const { intent } = understand(text, context);
  return intent ? act(intent, text, context) : ask(text, context);
}

/** Does what the intent asks, with the resident's words. */
async function act(intent: Intent, text: string, context: FlowContext): Promise<Step<FreeTextState>> {
  const { t, locale, services, user } = context;
  const menu = mainMenu(t, locale);
  switch (intent) {
    case "help":
      return done([say(helpText(context.commands, locale, (await services.staff.find(user))?.role))]);
    case "greeting":
      return done([say(t.understand.greeting), menu]);
    case "outOfRemit": {
      const { office } = services.grid.index.snapshot.town;
      return done([say(t.understand.outOfRemit(office.name[locale], office.phone, office.hours[locale])), menu]);
    }
    case "staffCases":
      if (!(await services.staff.find(user))) return done([menu]);
      return { type: "handoff", flow: "openCases", replies: [] };
    case "myReports": {
      // A quoted reference opens that report, as `/report <reference>` does.
      const { reference } = understand(text, context).reading;
      if (reference !== undefined) return { type: "handoff", flow: "report", input: { type: "text", text: reference }, replies: [] };
      return { type: "handoff", flow: "myReports", replies: [] };
    }
    case "report":
    case "lookup":
    case "classes":
    case "compact":
      return { type: "handoff", flow: intent, input: { type: "text", text }, replies: [] };
  }
}

/** One question: the likely intents as buttons, most likely first; a staff-only one only for staff. */
async function ask(text: string, context: FlowContext): Promise<Step<FreeTextState>> {
  const { t, services, user } = context;
  const { reading } = understand(text, context);
  const likely = [...new Set([reading.intent, ...reading.alternatives])];
  const staff = likely.includes("staffCases") && (await services.staff.find(user)) !== undefined;
  const intents = likely.filter((intent) => intent !== "staffCases" || staff);
  const labels = intents.map((intent) => t.understand.intents[intent]);
  return {
    type: "continue",
    state: { text },
    replies: [
      {
        type: "choices",
        text: t.understand.which(labels),
        options: intents.map((intent, i) => ({ label: labels[i]!, value: `${P}${intent}` })),
      },
    ],
  };
}

function done(replies: OutboundMessage[]): Step<FreeTextState> {
  return { type: "done", replies };
}

function say(text: string): OutboundMessage {
  return { type: "text", text };
}
