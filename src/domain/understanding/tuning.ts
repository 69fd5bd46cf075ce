/**
 * Settings of the classifiers, chosen on the development messages (see
 * `npm run eval:understanding`).
 */
export const TUNING = {
  intentSmoothing: 0.1,
  /** How many times a cue group counts: a cue says more about the intent than any one character. */
  cueWeight: 5,
  categorySmoothing: 1,
  /** Log-odds added per character of a category keyword found in the text. */
  keywordWeight: 1.5,
  /** Log-odds taken from a category whose excluding word is in the text. */
  excludePenalty: 6,
  /** Intent scores are divided by the feature count to this power before they become a confidence. */
  intentSharpness: 0.4,
  /** Without a keyword, a category this likely is clear enough to suggest. */
  categoryClearAbove: 0.3,
  /** Below this confidence in the top intent, Linli asks instead of acting. */
  sureAbove: 0.6,
} as const;
