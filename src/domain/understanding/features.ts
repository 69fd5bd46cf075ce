import { pinyin } from "pinyin-pro";
import { withoutPersonalNumbers } from "../privacy.ts";
import { formatReference } from "../reports/reference.ts";
import type { PlaceMentions } from "../grid/index.ts";
import { normalize, stripFiller } from "../grid/text.ts";
import { INTENT_CUES } from "./cues.ts";
import { PhraseIndex } from "./phrase-index.ts";
import { INTENTS, type Intent } from "./reading.ts";

// Stand-ins for what a message names, so what is learnt from one town's messages ("<place>的<shop>门口")
// carries over to any other town's names.
const PLACE = "Ⓟ";
const HOUSE = "Ⓝ";
const SHOP = "Ⓢ";
const COURSE = "Ⓒ";
const COMPACT = "Ⓚ";
const HAN_RUN = new RegExp(`[\\p{Script=Han}${PLACE}${HOUSE}${SHOP}${COURSE}${COMPACT}]+`, "gu");
const LATIN_WORD = /[a-z]+(?:'[a-z]+)?/g;
// Place stand-ins with the house numbers written around them ("Ⓟ12号", "Ⓟno12", "Ⓟ12hao").
const PLACE_AND_NUMBER = new RegExp(`[${PLACE}${HOUSE}]|no(?=\\d)|\\d+|号|弄|hao`, "g");
/** Longer than this, a message says more than where a place is, whatever question phrasing it uses. */
const MAX_PLACE_QUESTION_LENGTH = 40;
const PICTOGRAPH = /\p{Extended_Pictographic}/u;
const INVISIBLE = /[\u200B-\u200F\u202A-\u202E\u2060-\u2069\uFEFF\u00AD]/g;

/** A message prepared for reading: its forms and the features the classifiers see. */
export interface Prepared {
  /** Letters and digits only, lower case, with phone and ID numbers and named things replaced by stand-ins. */
  compact: string;
  /** English words, lower case, in order, between single spaces and padded with one, for whole-word matching. */
  words: string;
  /** The Latin letters of `compact` alone, where pinyin is matched. */
  latin: string;
  /** What the words say: characters, pairs, stems and stand-ins. */
  features: string[];
  /** The intents the built-in cue words point to. */
  cues: Set<Intent>;
  /** A report reference written in the text, as the town writes them (PREFIX-2026-000123). */
  reference: string | undefined;
  /** The text names places and says nothing else besides house numbers and question phrasing. */
  onlyPlaces: boolean;
}

/** A shop the town's data names, and where it is. */
export interface NamedShop {
  names: readonly string[];
  roadCode: string;
  houseNumber: number | null;
}

/** Names in the town's data that stand for one thing wherever they appear. */
export interface NamedThings {
  shops: readonly NamedShop[];
  courses: readonly string[];
  compactTitles: readonly string[];
}

/**
 * Turns text into features: Chinese characters and character pairs, English
 * word stems and word pairs, one feature per group of cue words that occurs,
 * and stand-ins for places, house numbers, shops, courses, the compact, phone
 * numbers and report references. Character pairs need no word list and cope
 * with typos and run-together text; stand-ins keep town names out of what is
 * learnt.
 */
export class Featurizer {
  private readonly names: { text: string; standIn: string; shop?: NamedShop }[];
  private readonly referencePattern: RegExp;
  private readonly compactReferencePattern: RegExp;

  constructor(
    named: NamedThings,
    private readonly referencePrefix: string,
  ) {
    // Typed with or without dashes, spaces or leading zeros: "ab 2026 123" is AB-2026-000123.
    this.referencePattern = new RegExp(`(?<![a-z])${escapeRegExp(referencePrefix.toLowerCase())}[-_ ]*(\\d{4})[-_ ]*(\\d{1,6})(?!\\d)`);
    this.compactReferencePattern = new RegExp(`${escapeRegExp(normalize(referencePrefix))}\\d{5,10}`);
    this.names = [
      ...named.shops.flatMap((shop) => shop.names.map((text) => ({ text: normalize(text), standIn: SHOP, shop }))),
      ...named.courses.map((text) => ({ text: normalize(text), standIn: COURSE })),
      ...named.compactTitles.map((text) => ({ text: normalize(text), standIn: COMPACT })),
    ]
      .filter((name) => name.text.length >= 2)
      .sort((a, b) => b.text.length - a.text.length);
  }

  /**
   * @param findPlaces reads the places in the normalised text without personal numbers (GridIndex.mentions)
   */
  prepare(text: string, findPlaces: (text: string) => PlaceMentions): Prepared & { places: PlaceMentions; shops: NamedShop[] } {
    const features: string[] = [];
    const lower = text.normalize("NFKC").replace(INVISIBLE, "").toLowerCase();
    const written = this.referencePattern.exec(lower);
    if (written) features.push("⟨ref⟩");
    const withoutNumbers = withoutPersonalNumbers(lower);
    if (withoutNumbers !== lower) features.push("⟨phone⟩");
    const base = normalize(withoutNumbers);
    const places = findPlaces(base);
    // A shop's name often holds its road's: the whole name stands in, not the road inside it.
    const spans: { start: number; end: number; standIn: string }[] = [];
    const shops: NamedShop[] = [];
    const free = (start: number, end: number) => spans.every((span) => end <= span.start || start >= span.end);
    for (const name of this.names) {
      for (let at = base.indexOf(name.text); at >= 0; at = base.indexOf(name.text, at + name.text.length)) {
        if (!free(at, at + name.text.length)) continue;
        spans.push({ start: at, end: at + name.text.length, standIn: name.standIn });
        if (name.shop && !shops.includes(name.shop)) shops.push(name.shop);
      }
    }
    for (const [start, end] of places.spans) if (free(start, end)) spans.push({ start, end, standIn: PLACE });
    let compact = standIn(base, spans).replace(this.compactReferencePattern, "");
    compact = compact.replace(/\d+(?=号|弄|栋|幢|室)/g, HOUSE).replace(new RegExp(`(?<=${PLACE})\\d+`, "g"), HOUSE);
    const onlyPlaces =
      places.spans.length > 0 && compact.length <= MAX_PLACE_QUESTION_LENGTH && stripFiller(compact.replace(PLACE_AND_NUMBER, "")) === "";
    if (/\d/.test(compact)) features.push("⟨digits⟩");

    // Characters and pairs go in as they are (one or two characters long): no other feature is that short, and
    // reading a long message makes hundreds of them.
    for (const run of compact.match(HAN_RUN) ?? []) {
      let previous = "";
      for (const character of run) {
        features.push(character);
        if (previous) features.push(previous + character);
        previous = character;
      }
    }
    const wordList = (lower.replace(this.referencePattern, " ").match(LATIN_WORD) ?? []).map(stem);
    wordList.forEach((word, i) => {
      features.push(`w:${word}`);
      if (i > 0) features.push(`w2:${wordList[i - 1]}_${word}`);
    });
    const words = ` ${wordList.join(" ")} `;
    const latin = compact.replace(NOT_LATIN, "");
    const cues = new Set<Intent>();
    const cue = (_phrase: string, intent: Intent) => cues.add(intent);
    for (const form of [compact, words, latin]) if (form.trim().length > 0) CUES.scan(form, cue);
    // A quoted reference asks about that report; a message of emoji alone (👍, 🙏) is a thank-you or a greeting.
    if (written) cues.add("myReports");
    if (features.length === 0 && cues.size === 0) features.push(PICTOGRAPH.test(text) ? "⟨emoji⟩" : "⟨nothing⟩");
    const reference = written ? formatReference(this.referencePrefix, Number(written[1]), Number(written[2])) : undefined;
    return { compact, words, latin, features, cues, reference, places, shops, onlyPlaces };
  }
}

/** An English phrase as it appears in {@link Prepared.words}: stemmed, between spaces. */
export function wordPhrase(phrase: string): string {
  return ` ${(phrase.toLowerCase().match(LATIN_WORD) ?? []).map(stem).join(" ")} `;
}

const NOT_LATIN = /[^a-z]/g;

/**
 * A Chinese word written in pinyin without tones or spaces ("tousu" for 投诉), as residents type it without a
 * Chinese keyboard; undefined when that is too short to tell apart from parts of other words.
 */
export function pinyinSpelling(word: string): string | undefined {
  if (!/^\p{Script=Han}+$/u.test(word)) return undefined;
  const spelled = pinyin(word, { toneType: "none", type: "array" }).join("");
  return spelled.length >= MIN_PINYIN_CUE_LETTERS ? spelled : undefined;
}
const MIN_PINYIN_CUE_LETTERS = 5;

/** The built-in cues in every form they are matched in: Chinese, English words between spaces, pinyin. */
const CUES = new PhraseIndex<Intent>();
for (const intent of INTENTS) {
  for (const cue of INTENT_CUES[intent].zh.map(normalize)) {
    CUES.add(cue, intent);
    const spelled = pinyinSpelling(cue);
    if (spelled) CUES.add(spelled, intent);
  }
  for (const cue of INTENT_CUES[intent].en) CUES.add(wordPhrase(cue), intent);
}

/** A crude English stem: enough that "smells", "smelled" and "smelling" meet "smell". */
function stem(word: string): string {
  const base = word.replace(/'s$/, "");
  if (base.length > 5 && base.endsWith("ing")) return base.slice(0, -3);
  if (base.length > 4 && base.endsWith("ed")) return base.slice(0, -2);
  if (base.length > 4 && base.endsWith("es") && /(ch|sh|x|ss)es$/.test(base)) return base.slice(0, -2);
  if (base.length > 3 && base.endsWith("s") && !base.endsWith("ss")) return base.slice(0, -1);
  return base;
}

/** The text with each span replaced by its one stand-in character. */
function standIn(text: string, spans: { start: number; end: number; standIn: string }[]): string {
  let out = "";
  let at = 0;
  for (const span of [...spans].sort((a, b) => a.start - b.start)) {
    out += text.slice(at, span.start) + span.standIn;
    at = span.end;
  }
  return out + text.slice(at);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
