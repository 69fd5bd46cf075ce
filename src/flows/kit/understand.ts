import type { Intent, Reading } from "../../domain/understanding/reading.ts";
import type { FlowContext } from "./flow.ts";

/** What Linli makes of a message: the reading, and the intent when it is clear enough to act on. */
export interface Understood {
  reading: Reading;
  /** Undefined when Linli should ask rather than act (or, mid-flow, take the text as the answer it asked for). */
  intent: Intent | undefined;
  /** The report category the words clearly describe, if any. */
  categoryCode: string | undefined;
}

/**
 * The one way flows read free text: the town's understanding, acted on only
 * when it is sure (a report is sure only with a clear category, so a name or a
 * typo is never taken for one; a bare place name reads as a lookup).
 */
export function understand(text: string, context: FlowContext): Understood {
  const reading = context.services.grid.understanding.read(text);
  return {
    reading,
    intent: reading.sure ? reading.intent : undefined,
    categoryCode: reading.category?.clear ? reading.category.code : undefined,
  };
}
