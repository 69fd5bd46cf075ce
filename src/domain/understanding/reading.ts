/**
 * What a resident's first message asks for. `staffCases` is a staff member
 * asking about cases to handle; `outOfRemit` is a matter the town's street
 * governance does not handle (a leak inside a flat, social insurance).
 */
export const INTENTS = ["report", "lookup", "classes", "compact", "myReports", "staffCases", "help", "greeting", "outOfRemit"] as const;
export type Intent = (typeof INTENTS)[number];

/** The places a message names, as grid codes. */
export interface ReadPlace {
  roads: string[];
  neighbourhoods: string[];
  houseNumber: number | null;
}

/**
 * How Linli read one message. Confidences are the classifier's probabilities
 * (0–1); a caller asks rather than acts when {@link Reading.sure} is false,
 * which it also is for a report whose category is not clear.
 */
export interface Reading {
  intent: Intent;
  confidence: number;
  /** Whether the intent is clear enough to act on without asking. */
  sure: boolean;
  /** The intents next most likely, most likely first: what to offer when not sure. */
  alternatives: Intent[];
  /**
   * The report category the words point to most, whatever the intent; `clear` when the town's keywords name it or
   * the words read like its examples, so it can be suggested. Undefined only for a town without categories.
   */
  category: { code: string; confidence: number; clear: boolean } | undefined;
  place: ReadPlace;
  /** A report reference written in the message (the town's prefix, year and number). */
  reference: string | undefined;
}
