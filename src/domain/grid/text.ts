/**
 * Text normalisation shared by the grid index and its queries, so that what a
 * resident types and what the town data says are compared on equal terms, and
 * the cleaning of words before they are stored.
 */

// Zero-width characters, bidirectional embeddings, overrides and isolates, word joiners, the byte-order
// mark and soft hyphens: paste from chat apps carries them along invisibly, and they can hide or reorder
// what a reader sees.
const INVISIBLE = /[\u200B-\u200F\u202A-\u202E\u2060-\u2069\uFEFF\u00AD]/g;
// Everything that is neither a letter nor a digit (punctuation, spaces, emoji).
const NOT_WORD = /[^\p{L}\p{N}]/gu;

/** Folds width and case, drops invisible characters, punctuation, spaces and emoji. */
export function normalize(text: string): string {
  return text.normalize("NFKC").replace(INVISIBLE, "").toLowerCase().replace(NOT_WORD, "");
}

/**
 * Words as they are stored (a report's description, a staff or shop note):
 * trimmed and without zero-width and bidirectional control characters,
 * otherwise as written, so no reader is shown text reordered or hidden by
 * characters they cannot see. Empty when nothing visible was written.
 */
export function storedText(written: string): string {
  return written.replace(INVISIBLE, "").trim();
}

// Longest first, so 第二居民区 loses 居民区 before 区 could be considered; English names are compared
// normalised, without spaces ("xx road" → "xxroad").
const PLACE_SUFFIXES = [
  "居民委员会",
  "居委会",
  "居民区",
  "小区",
  "社区",
  "公路",
  "大道",
  "路",
  "街",
  "村",
  "residentscommittee",
  "neighbourhood",
  "neighborhood",
  "community",
  "estate",
  "avenue",
  "street",
  "road",
  "lane",
];

/** The name without its generic suffix (XX居民区 → XX, XX路 → XX, xxroad → xx); never shorter than two characters. */
export function stripPlaceSuffix(name: string): string {
  for (const suffix of PLACE_SUFFIXES) {
    if (name.length - suffix.length >= 2 && name.endsWith(suffix)) return name.slice(0, -suffix.length);
  }
  return name;
}

// Question phrasing around a place name in "XX小区归哪个片区管？" and the like.
const FILLER = [
  "请问一下",
  "请问",
  "你好",
  "您好",
  "我家住在",
  "我住在",
  "我家在",
  "住在",
  "我在",
  "在哪里",
  "在哪",
  "归哪个片区管",
  "归哪个片区",
  "归哪个居委",
  "归哪里管",
  "归哪管",
  "归谁管",
  "是谁管",
  "谁管",
  "谁负责",
  "哪个片区",
  "属于哪个片区",
  "属于哪里",
  "属于",
  "片区",
  "管理",
  "是哪里",
  "是哪",
  "吗",
  "呢",
  "呀",
  "啊",
  "的",
  "whorunsmydistrict",
  "whoruns",
  "whichdistrict",
  "district",
  "where",
  "is",
  "my",
];

/** The query with question phrasing removed, for partial and fuzzy matching. */
export function stripFiller(normalized: string): string {
  let out = normalized;
  for (const phrase of FILLER) out = out.split(phrase).join("");
  return out;
}

/**
 * Levenshtein distance, stopping early once it exceeds `limit` (the caller only
 * cares about "within one typo"), so a miss costs a few comparisons, not a table.
 */
export function editDistanceWithin(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const value = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      current.push(value);
      if (value < rowMin) rowMin = value;
    }
    if (rowMin > limit) return limit + 1;
    previous = current;
  }
  return previous[b.length]!;
}
