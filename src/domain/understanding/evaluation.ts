import type { Reading, ReadPlace } from "./reading.ts";
import { INTENTS, type Intent } from "./reading.ts";
import type { LabelledMessage } from "./understanding.ts";

/** Where a labelled message is (see data/understanding/README.md). */
export type ExpectedPlace = { road: string; houseNumber?: number } | { neighbourhood: string } | { neighbourhoods: string[] };

/** One message read wrong in some respect, with what was expected and what was read. */
export interface Miss {
  text: string;
  what: "intent" | "category" | "place";
  expected: string;
  read: string;
}

/** Accuracy figures of one labelled set. */
export interface Evaluation {
  messages: number;
  intent: { correct: number; total: number; accuracy: number };
  /** Over messages labelled as reports: the category read, whatever intent was read. */
  category: { correct: number; total: number; accuracy: number };
  /** Over messages labelled as reports or lookups: the place read, including "none" when none is named. */
  place: { correct: number; total: number; accuracy: number };
  /** Messages where Linli would ask instead of acting, and how many of those it would have read wrong. */
  asked: { total: number; wouldHaveBeenWrong: number };
  /** Messages acted on (not asked about) with the wrong intent: what a resident sees go wrong. */
  actedWrongly: number;
  /** expected intent → read intent → count */
  confusion: Record<Intent, Record<Intent, number>>;
  misses: Miss[];
}

/** Scores readings of labelled messages; `read` is Understanding.read. */
export function evaluate(messages: readonly (LabelledMessage & { place?: ExpectedPlace })[], read: (text: string) => Reading): Evaluation {
  const confusion = Object.fromEntries(INTENTS.map((a) => [a, Object.fromEntries(INTENTS.map((b) => [b, 0]))])) as Evaluation["confusion"];
  const tally = () => ({ correct: 0, total: 0, accuracy: 0 });
  const result = {
    messages: messages.length,
    intent: tally(),
    category: tally(),
    place: tally(),
    asked: { total: 0, wouldHaveBeenWrong: 0 },
    actedWrongly: 0,
    confusion,
    misses: [] as Miss[],
  };
  for (const message of messages) {
    const reading = read(message.text);
    confusion[message.intent][reading.intent]++;
    const right = reading.intent === message.intent;
    if (!reading.sure) {
      result.asked.total++;
      if (!right) result.asked.wouldHaveBeenWrong++;
    } else if (!right) {
      result.actedWrongly++;
    }
    count(result.intent, reading.intent === message.intent, () =>
      result.misses.push({ text: message.text, what: "intent", expected: message.intent, read: reading.intent }),
    );
    if (message.intent === "report" && message.category !== undefined) {
      const read = reading.category?.code ?? "(none)";
      count(result.category, read === message.category, () =>
        result.misses.push({ text: message.text, what: "category", expected: message.category!, read }),
      );
    }
    if (message.intent === "report" || message.intent === "lookup") {
      count(result.place, samePlace(message.place, reading.place), () =>
        result.misses.push({
          text: message.text,
          what: "place",
          expected: describeExpected(message.place),
          read: describeRead(reading.place),
        }),
      );
    }
  }
  for (const figure of [result.intent, result.category, result.place])
    figure.accuracy = figure.total === 0 ? 1 : figure.correct / figure.total;
  return result;
}

function count(figure: { correct: number; total: number }, correct: boolean, onMiss: () => void): void {
  figure.total++;
  if (correct) figure.correct++;
  else onMiss();
}

function samePlace(expected: ExpectedPlace | undefined, read: ReadPlace): boolean {
  if (expected === undefined) return read.roads.length === 0 && read.neighbourhoods.length === 0;
  if ("road" in expected)
    return read.roads.length === 1 && read.roads[0] === expected.road && read.houseNumber === (expected.houseNumber ?? null);
  const wanted = "neighbourhood" in expected ? [expected.neighbourhood] : expected.neighbourhoods;
  return (
    read.roads.length === 0 && read.neighbourhoods.length === wanted.length && wanted.every((code) => read.neighbourhoods.includes(code))
  );
}

function describeExpected(place: ExpectedPlace | undefined): string {
  if (place === undefined) return "(none)";
  if ("road" in place) return place.houseNumber === undefined ? `road ${place.road}` : `road ${place.road} ${place.houseNumber}`;
  return "neighbourhood" in place ? `neighbourhood ${place.neighbourhood}` : `neighbourhoods ${place.neighbourhoods.join("|")}`;
}

function describeRead(place: ReadPlace): string {
  const parts = [
    ...place.roads.map((road) => `road ${road}`),
    ...(place.houseNumber === null ? [] : [String(place.houseNumber)]),
    ...place.neighbourhoods.map((code) => `neighbourhood ${code}`),
  ];
  return parts.length === 0 ? "(none)" : parts.join(" ");
}
