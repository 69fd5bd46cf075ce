import type { CommitteeRole, HouseNumberParity } from "../../generated/prisma/client.ts";
import { pinyin } from "pinyin-pro";
import { withoutPersonalNumbers } from "../privacy.ts";
import { editDistanceWithin, normalize, stripFiller, stripPlaceSuffix } from "./text.ts";

/** A name in both languages; flows pick one by the user's locale. */
export interface Bilingual {
  zh: string;
  en: string;
}

/** The grid of one town as plain data: what the index is built from. */
export interface GridSnapshot {
  town: {
    code: string;
    name: Bilingual;
    office: { name: Bilingual; phone: string; hours: Bilingual; address: string };
    /** What the town's report references start with (see formatReference). */
    referencePrefix: string;
    isSample: boolean;
  };
  districts: DistrictInfo[];
  neighbourhoods: (NeighbourhoodInfo & { districtCode: string; aliases: string[] })[];
  roadCommittees: RoadCommitteeInfo[];
  roads: {
    code: string;
    name: Bilingual;
    aliases: string[];
    roadCommitteeCode: string;
    segments: { from: number; to: number; parity: HouseNumberParity; districtCode: string; neighbourhoodCode: string | null }[];
  }[];
}

export interface DistrictInfo {
  code: string;
  name: Bilingual;
  committee: {
    name: Bilingual;
    officePhone: string;
    officeHours: Bilingual;
    officeAddress: string;
    members: { role: CommitteeRole; title: Bilingual; personName: string | null; contact: string | null }[];
  };
  /** Rings of [lng, lat]; the first is the outer boundary, any further ones are holes. */
  boundary: [number, number][][] | null;
}

export interface NeighbourhoodInfo {
  code: string;
  name: Bilingual;
  committee: { name: Bilingual; phone: string; address: string };
  partyOrganisation: string | null;
}

export interface RoadCommitteeInfo {
  code: string;
  name: Bilingual;
  phone: string;
  address: string;
}

/**
 * Places of the town itself for prompts to quote, so an example is always one
 * a resident of this town could type and get an answer for.
 */
export interface TownExamples {
  /** The first road with the lowest house number of its first stretch; undefined for a town without roads. */
  address: { road: Bilingual; houseNumber: number } | undefined;
  /** The first neighbourhood, its Chinese name as residents say it (without 居民区 and the like); undefined for a town without neighbourhoods. */
  neighbourhood: Bilingual | undefined;
}

/** Everything "who runs my district" answers for one place. */
export interface PlaceAnswer {
  matchedBy: "neighbourhood" | "road" | "location";
  district: DistrictInfo;
  neighbourhood: NeighbourhoodInfo | null;
  road: { code: string; name: Bilingual; houseNumber: number | null } | null;
  /** The road committee of the street; for a neighbourhood, those of the streets it lies on. */
  roadCommittees: RoadCommitteeInfo[];
  isSample: boolean;
}

/** A place the resident may have meant; `id` goes back to {@link GridIndex.resolve}. */
export interface PlaceCandidate {
  id: string;
  label: Bilingual;
}

/** The outcome of a lookup; every branch says what to show next. */
export type LookupResult =
  | { type: "found"; answer: PlaceAnswer }
  | { type: "ambiguous"; candidates: PlaceCandidate[] }
  | { type: "unknownHouseNumber"; road: Bilingual; houseNumber: number; candidates: PlaceCandidate[] }
  | { type: "notFound"; suggestions: PlaceCandidate[] }
  /** The text had no letters or digits at all (emoji, punctuation, invisible characters). */
  | { type: "noQuery" }
  | { type: "outsideTown" };

type Road = GridSnapshot["roads"][number];
type Segment = Road["segments"][number];
type Neighbourhood = GridSnapshot["neighbourhoods"][number];
type Entity = { kind: "neighbourhood"; item: Neighbourhood } | { kind: "road"; item: Road };

interface Key {
  text: string;
  entity: Entity;
}

const MAX_CANDIDATES = 8;
/** Shorter names are too easy to hit by accident with one wrong character. */
const MIN_TYPO_KEY_LENGTH = 3;
// A whole run of at most five digits: the first five of a longer number (an order number, a phone
// typed in a way masking does not know) are no house number.
const HOUSE_NUMBER = /(?<!\d)(\d{1,5})(?!\d)/;
// In a whole message, only a number right after the road's name ("路128号", "路128") or one written as a
// house number ("128号", "128弄") is a house number: "等了2个小时" is not.
const NUMBER_AFTER_ROAD = /^路?(\d{1,5})(?!\d)/;
const NUMBER_BEFORE_NAME = /(?<!\d)(\d{1,5})$/;
const NUMBERED_HOUSE = /(?<!\d)(\d{1,5})(?:号|弄|hao)|no(\d{1,5})(?!\d)/;
const HAN = /\p{Script=Han}/u;
// Normalised as messages are (no spaces or punctuation), in Chinese, English and pinyin.
const NEIGHBOURHOOD_SUFFIXES = [
  "居民区",
  "居委会",
  "居委",
  "小区",
  "residentscommittee",
  "residentcommittee",
  "committee",
  "neighbourhood",
  "neighborhood",
  "juweihui",
  "juwei",
  "xiaoqu",
];
const ROAD_SUFFIXES = ["路", "road", "rd", "lu", "street", "st"];
/** Fewer syllables or letters of pinyin match too many ordinary words. */
const MIN_PINYIN_PREFIX_SYLLABLES = 2;
const MIN_PINYIN_PREFIX_LETTERS = 5;
/** Shorter starts of a name are too common in ordinary words. */
const MIN_NAME_PREFIX_LENGTH = 4;

/** The places a message names (codes, in the order written) and the house number written with a road. */
export interface PlaceMentions {
  roads: string[];
  neighbourhoods: string[];
  houseNumber: number | null;
  /** Where the names stand in the text given, [start, end), so a reader can set them aside. */
  spans: [number, number][];
}

/**
 * An in-memory index of a town's grid, built once from a {@link GridSnapshot}.
 * Lookups touch no database and no I/O, so they stay well under a millisecond
 * for hundreds of neighbourhoods and roads and can run on every message.
 */
export class GridIndex {
  /** Every searchable name (normalised, with and without suffix) → the keys spelled that way. */
  private readonly keysByText = new Map<string, Key[]>();
  /** Key lengths present, longest first, so containment tries the most specific names first. */
  private keyLengths: number[] = [];
  /** Lengths of the keys that match with a typo. */
  private readonly typoLengths = new Set<number>();
  /** Each key with one character deleted (and as is) → the keys: finds one-edit typos by lookup, not by scanning. */
  private readonly keysByDeletion = new Map<string, Key[]>();
  /** Each character → the keys containing it, to narrow partial matches and suggestions. */
  private readonly keysByCharacter = new Map<string, Key[]>();
  private readonly districtsByCode = new Map<string, DistrictInfo>();
  private readonly neighbourhoodsByCode = new Map<string, Neighbourhood>();
  private readonly roadsByCode = new Map<string, Road>();
  private readonly roadCommitteesByCode = new Map<string, RoadCommitteeInfo>();
  private readonly roadCommitteesOfNeighbourhood = new Map<string, RoadCommitteeInfo[]>();
  /** Starts of names (in characters or pinyin syllables) → the places so named: free text names places by them. */
  private readonly mentionPrefixes = new Map<string, Key[]>();
  /** First character → lengths of the keys and prefixes starting with it, longest first, for reading names out of a whole message. */
  private readonly mentionLengths = new Map<string, number[]>();

  constructor(readonly snapshot: GridSnapshot) {
    for (const district of snapshot.districts) this.districtsByCode.set(district.code, district);
    for (const committee of snapshot.roadCommittees) this.roadCommitteesByCode.set(committee.code, committee);
    for (const neighbourhood of snapshot.neighbourhoods) {
      this.neighbourhoodsByCode.set(neighbourhood.code, neighbourhood);
      this.addKeys(
        { kind: "neighbourhood", item: neighbourhood },
        [neighbourhood.name.zh, neighbourhood.name.en, ...neighbourhood.aliases],
        NEIGHBOURHOOD_SUFFIXES,
      );
    }
    for (const road of snapshot.roads) {
      this.roadsByCode.set(road.code, road);
      this.addKeys({ kind: "road", item: road }, [road.name.zh, road.name.en, ...road.aliases], ROAD_SUFFIXES);
      const committee = this.roadCommitteesByCode.get(road.roadCommitteeCode);
      for (const segment of road.segments) {
        if (!segment.neighbourhoodCode || !committee) continue;
        const list = this.roadCommitteesOfNeighbourhood.get(segment.neighbourhoodCode) ?? [];
        if (!list.includes(committee)) list.push(committee);
        this.roadCommitteesOfNeighbourhood.set(segment.neighbourhoodCode, list);
      }
    }
    this.keyLengths = [...new Set([...this.keysByText.keys()].map((text) => text.length))].sort((a, b) => b - a);
    for (const text of [...this.keysByText.keys(), ...this.mentionPrefixes.keys()]) {
      const lengths = this.mentionLengths.get(text[0]!) ?? [];
      if (!lengths.includes(text.length)) lengths.push(text.length);
      this.mentionLengths.set(text[0]!, lengths);
    }
    for (const lengths of this.mentionLengths.values()) lengths.sort((a, b) => b - a);
  }

  /**
   * @param suffixes generic words that, written after a name, say which kind of place it is ("XX居委" is the
   * neighbourhood where a road shares the name)
   */
  private addKeys(entity: Entity, names: string[], suffixes: readonly string[]): void {
    const seen = new Set<string>();
    // Names as written also match in part and with a typo; the spellings derived from them (a kind suffix added,
    // pinyin) match exactly, so they cost typo-tolerant lookups nothing.
    const add = (text: string, tolerant = false) => {
      if (text.length < 2 || seen.has(text)) return;
      seen.add(text);
      const key = { text, entity };
      append(this.keysByText, text, key);
      if (!tolerant) return;
      this.typoLengths.add(text.length);
      for (const character of new Set(text)) append(this.keysByCharacter, character, key);
      if (text.length >= MIN_TYPO_KEY_LENGTH) for (const variant of oneDeletionVariants(text)) append(this.keysByDeletion, variant, key);
    };
    for (const name of [...names, ...names.flatMap(directionAfterName)]) {
      const full = normalize(name);
      const stripped = stripPlaceSuffix(full);
      add(full, true);
      add(stripped, true);
      const withSuffixes = (base: string) => {
        add(base);
        for (const suffix of suffixes) add(base + suffix);
      };
      withSuffixes(stripped);
      if (!HAN.test(stripped)) continue;
      // Residents who type Latin letters write the name's pinyin ("zizhu bandao"), often only its first syllables.
      const syllables = pinyin(stripped, { toneType: "none", type: "array", nonZh: "consecutive" }).map(normalize);
      withSuffixes(syllables.join(""));
      for (let count = MIN_PINYIN_PREFIX_SYLLABLES; count < syllables.length; count++) {
        const prefix = syllables.slice(0, count).join("");
        if (prefix.length >= MIN_PINYIN_PREFIX_LETTERS) append(this.mentionPrefixes, prefix, { text: prefix, entity });
      }
      // The start of a long name ("XX新苑" of XX新苑第一/第二居民区) names every place that begins with it.
      for (let length = MIN_NAME_PREFIX_LENGTH; length < stripped.length; length++) {
        append(this.mentionPrefixes, stripped.slice(0, length), { text: stripped.slice(0, length), entity });
      }
    }
  }

  /**
   * Finds the place a resident typed: a neighbourhood or road name (alias,
   * partial, with or without suffix, one typo), optionally with a house number.
   */
  lookup(query: string): LookupResult {
    // A phone or ID number in the text ("…门口，我电话13816602375") is no house number: it goes before
    // normalising joins its groups and the digits around it.
    const normalized = normalize(withoutPersonalNumbers(query));
    if (normalized.length === 0) return { type: "noQuery" };
    const houseNumber = parseHouseNumber(normalized);
    const withoutNumber = normalized.replace(/\d+/g, "");

    const contained = this.longestContained(withoutNumber);
    if (contained.length > 0) return this.answerFor(contained, houseNumber);

    const core = stripFiller(withoutNumber);
    if (core.length >= 2) {
      const partial = uniqueEntities((this.keysByCharacter.get(core[0]!) ?? []).filter((key) => key.text.includes(core)));
      if (partial.length > 0) return this.answerFor(partial, houseNumber);
      const typo = this.withinOneEdit(core);
      if (typo.length > 0) return this.answerFor(typo, houseNumber);
    }
    return { type: "notFound", suggestions: this.closest(core.length > 0 ? core : withoutNumber) };
  }

  /**
   * The places a whole message names, read left to right, longest name first:
   * full names, aliases, the start of a long name, pinyin. No partial or typo
   * matching, which would find some place in any long message. The house
   * number is the one written with a road ("XX路128号", "128号").
   *
   * @param compact the message as `normalize(withoutPersonalNumbers(text))` gives it: phone and ID numbers out,
   * so none is read as a house number; the caller has that form already
   */
  mentions(compact: string): PlaceMentions {
    const roads: string[] = [];
    const neighbourhoods: string[] = [];
    let houseNumber: number | null = null;
    const spans: [number, number][] = [];
    for (let start = 0; start < compact.length; ) {
      const hit = this.longestNameAt(compact, start);
      if (!hit) {
        start++;
        continue;
      }
      for (const entity of hit.entities) {
        const list = entity.kind === "road" ? roads : neighbourhoods;
        if (!list.includes(entity.item.code)) list.push(entity.item.code);
      }
      spans.push([start, start + hit.length]);
      start += hit.length;
      if (houseNumber === null && hit.entities.some((entity) => entity.kind === "road")) {
        const written = NUMBER_AFTER_ROAD.exec(compact.slice(start));
        if (written?.[1]) houseNumber = Number(written[1]);
      }
    }
    // English puts the number first: "320 Xx Road".
    if (houseNumber === null && roads.length > 0) {
      const before = spans.map(([start]) => NUMBER_BEFORE_NAME.exec(compact.slice(0, start))).find((match) => match?.[1]);
      if (before?.[1]) houseNumber = Number(before[1]);
    }
    if (houseNumber === null && roads.length > 0) {
      const written = NUMBERED_HOUSE.exec(compact);
      const digits = written?.[1] ?? written?.[2];
      if (digits) houseNumber = Number(digits);
    }
    return { roads, neighbourhoods, houseNumber, spans };
  }

  private longestNameAt(text: string, start: number): { entities: Entity[]; length: number } | undefined {
    for (const length of this.mentionLengths.get(text[start]!) ?? []) {
      if (start + length > text.length) continue;
      const slice = text.slice(start, start + length);
      const keys = this.keysByText.get(slice) ?? this.mentionPrefixes.get(slice);
      if (keys) return { entities: uniqueEntities(keys), length };
    }
    return undefined;
  }

  /** A district by code, for labels of places the flows already resolved. */
  district(code: string): DistrictInfo | undefined {
    return this.districtsByCode.get(code);
  }

  neighbourhood(code: string): NeighbourhoodInfo | undefined {
    return this.neighbourhoodsByCode.get(code);
  }

  /** A road's name and the district stretches it has, in file order. */
  road(code: string): { code: string; name: Bilingual } | undefined {
    const road = this.roadsByCode.get(code);
    return road && { code: road.code, name: road.name };
  }

  /** Example places of this town for prompts (see {@link TownExamples}). */
  examples(): TownExamples {
    const road = this.snapshot.roads[0];
    const stretch = road?.segments[0];
    const neighbourhood = this.snapshot.neighbourhoods[0];
    return {
      // A stretch of odd or even numbers may start one below its first number of that parity.
      address: road && stretch && { road: road.name, houseNumber: coversNumber(stretch, stretch.from) ? stretch.from : stretch.from + 1 },
      neighbourhood: neighbourhood && { zh: stripPlaceSuffix(neighbourhood.name.zh), en: neighbourhood.name.en },
    };
  }

  /** All roads, for pickers, in a stable order. */
  roads(): { code: string; name: Bilingual }[] {
    return this.snapshot.roads.map((road) => ({ code: road.code, name: road.name }));
  }

  /** The place at a house number of a road; undefined when the road has no such number. */
  houseOnRoad(roadCode: string, houseNumber: number): PlaceAnswer | undefined {
    const road = this.roadsByCode.get(roadCode);
    const segment = road?.segments.find((s) => coversNumber(s, houseNumber));
    return road && segment && this.segmentAnswer(road, segment, houseNumber);
  }

  /** The district whose boundary contains the point, or `outsideTown`. */
  locate(latitude: number, longitude: number): LookupResult {
    for (const district of this.snapshot.districts) {
      if (district.boundary && insidePolygon(longitude, latitude, district.boundary)) {
        return { type: "found", answer: this.answer("location", district, null, null, []) };
      }
    }
    return { type: "outsideTown" };
  }

  /**
   * Follows up a candidate a resident picked: a neighbourhood or a road stretch
   * answers at once, a whole road may still offer its stretches. Undefined for an
   * id that no longer exists (the data was re-imported since the button was sent).
   */
  resolve(candidateId: string): LookupResult | undefined {
    const [kind, code, stretch] = candidateId.split(":");
    if (kind === "n" && code) {
      const neighbourhood = this.neighbourhoodsByCode.get(code);
      return neighbourhood && { type: "found", answer: this.neighbourhoodAnswer(neighbourhood) };
    }
    const road = kind === "r" && code ? this.roadsByCode.get(code) : undefined;
    if (!road) return undefined;
    if (stretch === undefined) return this.roadResult(road, null);
    const segment = road.segments[Number(stretch)];
    return segment && { type: "found", answer: this.segmentAnswer(road, segment, null) };
  }

  private longestContained(text: string): Entity[] {
    for (const length of this.keyLengths) {
      const hits: Key[] = [];
      for (let start = 0; start + length <= text.length; start++) {
        const keys = this.keysByText.get(text.slice(start, start + length));
        if (keys) hits.push(...keys);
      }
      if (hits.length > 0) return uniqueEntities(hits);
    }
    return [];
  }

  /** Keys that some stretch of `text` matches with one character wrong, missing or extra. */
  private withinOneEdit(text: string): Entity[] {
    const hits: Key[] = [];
    const lengths = new Set([...this.typoLengths].flatMap((length) => [length - 1, length, length + 1]));
    for (const length of lengths) {
      if (length < MIN_TYPO_KEY_LENGTH - 1) continue;
      for (let start = 0; start + length <= text.length; start++) {
        const window = text.slice(start, start + length);
        for (const variant of oneDeletionVariants(window)) {
          for (const key of this.keysByDeletion.get(variant) ?? []) {
            if (editDistanceWithin(window, key.text, 1) <= 1) hits.push(key);
          }
        }
      }
    }
    return uniqueEntities(hits);
  }

  private answerFor(entities: Entity[], houseNumber: number | null): LookupResult {
    if (entities.length === 1) {
      const [entity] = entities as [Entity];
      if (entity.kind === "neighbourhood") return { type: "found", answer: this.neighbourhoodAnswer(entity.item) };
      return this.roadResult(entity.item, houseNumber);
    }
    return {
      type: "ambiguous",
      candidates: entities
        .slice(0, MAX_CANDIDATES)
        .flatMap((entity) => this.candidatesOf(entity))
        .slice(0, MAX_CANDIDATES),
    };
  }

  private roadResult(road: Road, houseNumber: number | null): LookupResult {
    if (houseNumber !== null) {
      const segment = road.segments.find((s) => coversNumber(s, houseNumber));
      if (segment) return { type: "found", answer: this.segmentAnswer(road, segment, houseNumber) };
      return { type: "unknownHouseNumber", road: road.name, houseNumber, candidates: this.candidatesOf({ kind: "road", item: road }) };
    }
    const districts = new Set(road.segments.map((s) => s.districtCode));
    if (districts.size === 1 && road.segments[0]) return { type: "found", answer: this.segmentAnswer(road, road.segments[0], null) };
    return { type: "ambiguous", candidates: this.candidatesOf({ kind: "road", item: road }) };
  }

  private candidatesOf(entity: Entity): PlaceCandidate[] {
    if (entity.kind === "neighbourhood") return [{ id: `n:${entity.item.code}`, label: entity.item.name }];
    const road = entity.item;
    return road.segments.map((segment, index) => {
      const district = this.districtsByCode.get(segment.districtCode);
      const span = segment.from === segment.to ? `${segment.from}` : `${segment.from}–${segment.to}`;
      return {
        id: `r:${road.code}:${index}`,
        label: {
          zh: `${road.name.zh} ${span}号${parityLabel(segment.parity, "zh")} · ${district?.name.zh ?? ""}`,
          en: `${road.name.en} No. ${span}${parityLabel(segment.parity, "en")} · ${district?.name.en ?? ""}`,
        },
      };
    });
  }

  private neighbourhoodAnswer(neighbourhood: Neighbourhood): PlaceAnswer {
    const district = this.districtsByCode.get(neighbourhood.districtCode)!;
    return this.answer("neighbourhood", district, neighbourhood, null, this.roadCommitteesOfNeighbourhood.get(neighbourhood.code) ?? []);
  }

  private segmentAnswer(road: Road, segment: Segment, houseNumber: number | null): PlaceAnswer {
    const district = this.districtsByCode.get(segment.districtCode)!;
    const neighbourhood = segment.neighbourhoodCode ? (this.neighbourhoodsByCode.get(segment.neighbourhoodCode) ?? null) : null;
    const committee = this.roadCommitteesByCode.get(road.roadCommitteeCode);
    return this.answer("road", district, neighbourhood, { code: road.code, name: road.name, houseNumber }, committee ? [committee] : []);
  }

  private answer(
    matchedBy: PlaceAnswer["matchedBy"],
    district: DistrictInfo,
    neighbourhood: Neighbourhood | null,
    road: PlaceAnswer["road"],
    roadCommittees: RoadCommitteeInfo[],
  ): PlaceAnswer {
    return {
      matchedBy,
      district,
      neighbourhood: neighbourhood && {
        code: neighbourhood.code,
        name: neighbourhood.name,
        committee: neighbourhood.committee,
        partyOrganisation: neighbourhood.partyOrganisation,
      },
      road,
      roadCommittees,
      isSample: this.snapshot.town.isSample,
    };
  }

  /** Up to three places sharing the most characters with `text`, as suggestions after a miss. */
  private closest(text: string): PlaceCandidate[] {
    const shared = new Map<Entity["item"], { entity: Entity; count: number }>();
    for (const character of new Set(text)) {
      const seenForCharacter = new Set<Entity["item"]>();
      for (const key of this.keysByCharacter.get(character) ?? []) {
        if (seenForCharacter.has(key.entity.item)) continue;
        seenForCharacter.add(key.entity.item);
        const entry = shared.get(key.entity.item) ?? { entity: key.entity, count: 0 };
        entry.count++;
        shared.set(key.entity.item, entry);
      }
    }
    // One shared character is noise for Chinese names; ask for at least two when the query has them.
    const needed = Math.min(2, new Set(text).size);
    return [...shared.values()]
      .filter(({ count }) => count >= needed)
      .sort((a, b) => b.count - a.count)
      .slice(0, 3)
      .map(({ entity }) => ({
        id: entity.kind === "neighbourhood" ? `n:${entity.item.code}` : `r:${entity.item.code}`,
        label: entity.item.name,
      }));
  }
}

function uniqueEntities(keys: Key[]): Entity[] {
  const seen = new Set<Entity["item"]>();
  const out: Entity[] = [];
  for (const key of keys) {
    if (seen.has(key.entity.item)) continue;
    seen.add(key.entity.item);
    out.push(key.entity);
  }
  return out;
}

function parseHouseNumber(normalized: string): number | null {
  const match = HOUSE_NUMBER.exec(normalized);
  return match?.[1] ? Number(match[1]) : null;
}

function coversNumber(segment: Segment, n: number): boolean {
  if (n < segment.from || n > segment.to) return false;
  if (segment.parity === "ODD") return n % 2 === 1;
  if (segment.parity === "EVEN") return n % 2 === 0;
  return true;
}

function parityLabel(parity: HouseNumberParity, locale: "zh" | "en"): string {
  if (parity === "ALL") return "";
  if (locale === "zh") return parity === "ODD" ? "（单号）" : "（双号）";
  return parity === "ODD" ? " (odd)" : " (even)";
}

function append<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** The text itself and every string made by deleting one of its characters. */
function oneDeletionVariants(text: string): string[] {
  const variants = [text];
  for (let i = 0; i < text.length; i++) variants.push(text.slice(0, i) + text.slice(i + 1));
  return variants;
}

/** Even-odd ray casting over all rings, so holes in a boundary count as outside. */
function insidePolygon(x: number, y: number, rings: [number, number][][]): boolean {
  let inside = false;
  for (const ring of rings) {
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const [xi, yi] = ring[i]!;
      const [xj, yj] = ring[j]!;
      if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
    }
  }
  return inside;
}

// "South Xx Road" is as often written "Xx South Road".
const LEADING_DIRECTION = /^(north|south|east|west)\s+(.+?)\s+(road|street|avenue|lane)$/i;

/** An English road name with its leading direction moved after the name, when it has one. */
function directionAfterName(name: string): string[] {
  const match = LEADING_DIRECTION.exec(name.trim());
  return match ? [`${match[2]} ${match[1]} ${match[3]}`] : [];
}
