import type { GridIndex, PlaceMentions } from "../grid/index.ts";
import { normalize } from "../grid/text.ts";
import { NaiveBayes, ranked } from "./bayes.ts";
import { PhraseIndex } from "./phrase-index.ts";
import { Featurizer, pinyinSpelling, wordPhrase, type NamedShop, type Prepared } from "./features.ts";
import { INTENTS, type Intent, type Reading, type ReadPlace } from "./reading.ts";
import { TUNING } from "./tuning.ts";
import type { TownVocabulary } from "./vocabulary.ts";

/** A message with what it means, as people labelled it; the classifiers learn from these. */
export interface LabelledMessage {
  text: string;
  intent: Intent;
  /** The report category's code, for reports. */
  category?: string;
}

/** Longer messages say more than a place, even when the lookup would find one in them. */
const MAX_BARE_PLACE_LENGTH = 10;
const HAN = /\p{Script=Han}/u;

/**
 * Reads a first message: what it asks for (intent), which report category it
 * describes, which places it names, which report reference it quotes. Built
 * per town from its grid and vocabulary plus the project's labelled
 * messages; pure and in memory, a few microseconds a message.
 */
export class Understanding {
  private readonly featurizer: Featurizer;
  private readonly intents: NaiveBayes<Intent>;
  private readonly categories: NaiveBayes<string>;
  private readonly keywords = new PhraseIndex<{ code: string; size: number }>();
  private readonly excludes = new PhraseIndex<string>();

  /**
   * @param labelled messages to learn from; categories the town does not have are left out
   */
  constructor(
    private readonly grid: GridIndex,
    vocabulary: TownVocabulary,
    labelled: readonly LabelledMessage[],
  ) {
    this.featurizer = new Featurizer(
      { shops: vocabulary.shops, courses: vocabulary.courses, compactTitles: vocabulary.compactTitles },
      grid.snapshot.town.referencePrefix,
    );
    const codes = vocabulary.categories.map((category) => category.code);
    for (const category of vocabulary.categories) {
      for (const keyword of category.keywords) {
        const word = normalize(keyword);
        // Sizes in Chinese characters or their equivalent: an English word is about two, a pinyin syllable one.
        if (HAN.test(word)) {
          this.keywords.add(word, { code: category.code, size: word.length });
          const spelled = pinyinSpelling(word);
          if (spelled) this.keywords.add(spelled, { code: category.code, size: spelled.length / 3 });
        } else {
          const phrase = wordPhrase(keyword);
          this.keywords.add(phrase, { code: category.code, size: 2 * phrase.trim().split(" ").length });
        }
      }
      for (const word of category.excludes) this.excludes.add(normalize(word), category.code);
    }

    const prepared = labelled.map((message) => ({ message, prepared: this.prepare(message.text) }));
    const townExamples = vocabulary.categories.flatMap((category) =>
      [...category.examples, ...category.names, ...category.keywords].map((text) => ({
        code: category.code,
        prepared: this.prepare(text),
      })),
    );
    this.intents = new NaiveBayes(
      [
        ...prepared.map(({ message, prepared }) => ({ label: message.intent, features: intentFeatures(prepared, false) })),
        ...townExamples
          .filter((example) => example.prepared.features.length > 2)
          .map((example) => ({ label: "report" as const, features: intentFeatures(example.prepared, false) })),
      ],
      INTENTS,
      { smoothing: TUNING.intentSmoothing, complement: false },
    );
    this.categories = new NaiveBayes(
      [
        ...prepared
          .filter(({ message }) => message.intent === "report" && message.category !== undefined && codes.includes(message.category))
          .map(({ message, prepared }) => ({ label: message.category!, features: prepared.features })),
        ...townExamples.map((example) => ({ label: example.code, features: example.prepared.features })),
      ],
      codes,
      { smoothing: TUNING.categorySmoothing, complement: true },
    );
  }

  /** How Linli reads `text`; see {@link Reading}. */
  read(text: string): Reading {
    const prepared = this.prepare(text);
    const { hits: keywordHits, excluded } = this.keywordHits(prepared);
    // A category's keyword is a cue for a report, the same as the built-in ones; counted once with them.
    const features = intentFeatures(prepared, keywordHits.size > 0);
    const intents = ranked(this.intents.scores(features), features.length ** -TUNING.intentSharpness);
    const top = intents[0]!;
    const categoryScores = this.categories.scores(prepared.features);
    for (const [code, score] of categoryScores) {
      const hit = keywordHits.get(code) ?? 0;
      categoryScores.set(code, score + TUNING.keywordWeight * hit - (excluded.has(code) ? TUNING.excludePenalty : 0));
    }
    const [category] =
      categoryScores.size > 0 ? ranked(categoryScores, Math.max(1, prepared.features.length) ** -TUNING.intentSharpness) : [];
    // A complaint the town's words name, or that reads like its examples; a name or a typo is neither.
    const categoryClear = category !== undefined && (keywordHits.size > 0 || category.probability >= TUNING.categoryClearAbove);
    const place = placeOf(prepared.places, prepared.shops);
    const common = {
      category: category && { code: category.label, confidence: category.probability, clear: categoryClear },
      place,
      reference: prepared.reference,
    };
    // Nothing but a place ("XX小区", "XX路12号", or a short name with a typo the lookup still finds) asks about that
    // place; the classifier, which sets names aside, sees no words.
    if (prepared.onlyPlaces || this.aPlaceWithATypo(text, prepared))
      return { intent: "lookup", confidence: 1, sure: true, alternatives: ["report"], ...common };
    return {
      intent: top.label,
      confidence: top.probability,
      sure: top.probability >= TUNING.sureAbove && (top.label !== "report" || categoryClear),
      alternatives: intents.slice(1, 3).map((entry) => entry.label),
      ...common,
    };
  }

  private aPlaceWithATypo(text: string, prepared: Prepared): boolean {
    if (prepared.compact.length > MAX_BARE_PLACE_LENGTH || prepared.cues.size > 0) return false;
    const found = this.grid.lookup(text).type;
    return found === "found" || found === "ambiguous" || found === "unknownHouseNumber";
  }

  private prepare(text: string): ReturnType<Featurizer["prepare"]> {
    return this.featurizer.prepare(text, (cleaned) => this.grid.mentions(cleaned));
  }

  /**
   * The size of each category's keywords found in the text (in Chinese characters or their equivalent), not
   * counting words inside the category's excluding words, and the categories whose excluding words occur.
   */
  private keywordHits(prepared: Prepared): { hits: Map<string, number>; excluded: Set<string> } {
    const exclusions: { code: string; start: number; end: number }[] = [];
    this.excludes.scan(prepared.compact, (phrase, code, start) => exclusions.push({ code, start, end: start + phrase.length }));
    const counted = new Set<string>();
    const hits = new Map<string, number>();
    for (const form of [prepared.compact, prepared.words, prepared.latin]) {
      if (form.trim().length === 0) continue;
      this.keywords.scan(form, (phrase, { code, size }, start) => {
        const key = `${code}\u0000${phrase}`;
        if (counted.has(key)) return;
        if (
          form === prepared.compact &&
          exclusions.some((span) => span.code === code && start >= span.start && start + phrase.length <= span.end)
        )
          return;
        counted.add(key);
        hits.set(code, (hits.get(code) ?? 0) + size);
      });
    }
    return { hits, excluded: new Set(exclusions.map((span) => span.code)) };
  }
}

/** The places named, with a named shop standing for its road and, unless one is written, its house number. */
function placeOf(places: PlaceMentions, shops: readonly NamedShop[]): ReadPlace {
  const roads = [...new Set([...shops.map((shop) => shop.roadCode), ...places.roads])];
  const shopNumber = shops.find((shop) => shop.houseNumber !== null)?.houseNumber ?? null;
  return { roads, neighbourhoods: places.neighbourhoods, houseNumber: places.houseNumber ?? shopNumber };
}

/**
 * What the intent classifier sees: the words and each cue group pointing to an intent, weighted; a category's
 * keyword is a cue for a report like the built-in ones. Categories do without cues: they say what a message asks
 * for, not what kind of problem it describes.
 */
function intentFeatures(prepared: Prepared, namesACategory: boolean): string[] {
  const cues = namesACategory ? new Set([...prepared.cues, "report"]) : prepared.cues;
  const features = [...prepared.features];
  for (const intent of cues) for (let copy = 0; copy < TUNING.cueWeight; copy++) features.push(`cue:${intent}`);
  return features;
}
