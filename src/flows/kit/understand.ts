import { normalize, stripFiller } from "../../domain/grid/text.ts";
import { withoutPersonalNumbers } from "../../domain/privacy.ts";
import type { Intent, Reading } from "../../domain/understanding/reading.ts";
import type { FlowContext } from "./flow.ts";

/**
 * Below this probability of the top intent Linli does not act on its reading.
 * Higher than the understanding's own `sure`, because acting on a wrong
 * reading costs more here (a resident's answer taken for something else, or
 * a conversation they did not ask for) than asking one question does.
 */
export const CLEAR_ABOVE = 0.75;

/** Below this probability the report category is not offered: the words do not say clearly what went wrong. */
export const CATEGORY_ABOVE = 0.6;

/** What Linli makes of a message: the reading, and the intent when it is clear enough to act on. */
export interface Understood {
  reading: Reading;
  /** Undefined when Linli should ask rather than act (or, mid-flow, take the text as the answer it asked for). */
  intent: Intent | undefined;
  /** The report category the words clearly describe, if any. */
  categoryCode: string | undefined;
}

/**
 * The one way flows read free text: `grid.understanding.read`, trusted only
 * when it is sure and above {@link CLEAR_ABOVE}. Two readings are corrected:
 * a report with no clear category is no clear report (a name, a code or a
 * typo reads as one only because reports are the most frequent message), and
 * a message that is nothing but a place asks about that place (the reading
 * sets place names aside, so a bare name leaves it no words to read).
 */
export function understand(text: string, context: FlowContext): Understood {
  const { grid } = context.services;
  const reading = grid.understanding.read(text);
  const categoryCode = reading.category && reading.category.confidence >= CATEGORY_ABOVE ? reading.category.code : undefined;
  if (onlyAPlace(text, reading, context)) return { reading, intent: "lookup", categoryCode };
  const clear = reading.sure && reading.confidence >= CLEAR_ABOVE && (reading.intent !== "report" || categoryCode !== undefined);
  return { reading, intent: clear ? reading.intent : undefined, categoryCode };
}

/** Whether the text names a place and says nothing else ("紫竹半岛", "XX路12号", "我住在XX"). */
function onlyAPlace(text: string, reading: Reading, context: FlowContext): boolean {
  if (reading.place.roads.length === 0 && reading.place.neighbourhoods.length === 0) return false;
  // Where the names stand, in this form of the text (see GridIndex.mentions), to see what is left around them.
  const mentions = context.services.grid.index.mentions(text);
  const compact = normalize(withoutPersonalNumbers(text));
  let rest = "";
  let from = 0;
  for (const [start, end] of mentions.spans) {
    rest += compact.slice(from, start);
    from = end;
  }
  rest += compact.slice(from);
  // The house number, however written ("12号", "12弄", "no12" from "No. 12").
  return stripFiller(rest.replace(/(?:no)?\d+(?:号|弄|hao)?/g, "")) === "";
}
