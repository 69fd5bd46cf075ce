/** A character class of digits as residents type them: ASCII, or full width from a Chinese input method (１３８…). */
function digits(from: number, to: number): string {
  const fullWidth = (n: number) => String.fromCharCode(0xff10 + n);
  return `[${from}-${to}${fullWidth(from)}-${fullWidth(to)}]`;
}

const D = digits(0, 9);
// What people put between the groups of a number: spaces (also no-break and full width), dashes of
// every width, dots, and the invisible characters a paste carries along. Never a line break.
const SEPARATOR = "[ \\t\\u00A0\\u3000\\-\\u2010-\\u2015\\u2212\\uFF0D.\\uFF0E\\u200B-\\u200D\\u2060\\uFEFF]";
const GAP = `${SEPARATOR}{0,3}`;
// China's country code: +86, 0086 or 86, maybe in brackets, before a number dialled from abroad.
const COUNTRY = `(?:(?:[+＋]|${digits(0, 0)}{2})?${digits(8, 8)}${digits(6, 6)}|[(（][+＋]?${digits(8, 8)}${digits(6, 6)}[)）])${GAP}`;
const NOT_AFTER_DIGIT = `(?<!${D})`;
const NOT_BEFORE_DIGIT = `(?!${D})`;

// Mainland mobiles: 11 digits from 13… to 19…, written whole or grouped 3-4-4, 3-8, 7-4 or 4-4-3.
const MOBILE = new RegExp(
  `${NOT_AFTER_DIGIT}(?:${COUNTRY})?(${digits(1, 1)}${digits(3, 9)}${D}(?:${GAP}${D}{4}${GAP}${D}{4}|${D}${GAP}${D}{4}${GAP}${D}{3}))${NOT_BEFORE_DIGIT}`,
  "g",
);
// Resident ID numbers: 18 characters (the last may be X), whole or grouped 6-8-4 or 6-4-4-4; the older
// 15 digits, whole or 6-6-3. The region code they open with starts with 1 to 8, never 0 (as 0086… does).
const REGION = `${digits(1, 8)}${D}{5}`;
const ID_CARD = new RegExp(
  `${NOT_AFTER_DIGIT}(${REGION}${GAP}(?:${D}{8}|${D}{4}${GAP}${D}{4})${GAP}${D}{3}(?:${D}|[XxＸｘ])|${REGION}${GAP}${D}{6}${GAP}${D}{3})${NOT_BEFORE_DIGIT}`,
  "g",
);
// Area codes: 010 and 02x have three digits, every other one four; from abroad the 0 is left out.
const AREA = `(?:${digits(1, 1)}${digits(0, 0)}|${digits(2, 2)}${D}|${digits(3, 9)}${D}{2})`;
// Landlines with an area code: (021)5432-1234, 021-54321234, 0755 1234567, +86 21 5432 1234. A
// local number alone (5432 1234) is left as typed: it cannot be told from an amount or an order number.
const LANDLINE = new RegExp(
  `${NOT_AFTER_DIGIT}(?:${COUNTRY}(?:[(（]${digits(0, 0)}[)）]${GAP})?(${AREA})|[(（]${digits(0, 0)}(${AREA})[)）]|${digits(0, 0)}(${AREA}))${GAP}(${digits(1, 9)}${D}{2,3}${GAP}${D}{4})${NOT_BEFORE_DIGIT}`,
  "g",
);

/** The digits of a matched number in ASCII, without separators. */
function plainDigits(text: string): string {
  return text
    .normalize("NFKC")
    .replace(/[^0-9Xx]/g, "")
    .toUpperCase();
}

/** Each kind of personal number with how it is shown masked; IDs first, since an ID's tail can look like a mobile. */
const PERSONAL_NUMBERS: { pattern: RegExp; mask(groups: (string | undefined)[]): string }[] = [
  {
    // Keeps the first three and last two characters (310*************34), as ID numbers are usually shown.
    pattern: ID_CARD,
    mask: ([id]) => {
      const n = plainDigits(id!);
      return `${n.slice(0, 3)}${"*".repeat(n.length - 5)}${n.slice(-2)}`;
    },
  },
  {
    // Keeps the first three and last four digits (138****5678), enough for staff to tell numbers apart.
    pattern: MOBILE,
    mask: ([mobile]) => {
      const n = plainDigits(mobile!);
      return `${n.slice(0, 3)}****${n.slice(-4)}`;
    },
  },
  {
    // Keeps the area code and the last two digits (021-****34).
    pattern: LANDLINE,
    mask: ([abroad, bracketed, dialled, local]) =>
      `0${plainDigits((abroad ?? bracketed ?? dialled)!)}-****${plainDigits(local!).slice(-2)}`,
  },
];

/**
 * Masks phone and ID-card numbers in free text, however they are written:
 * ASCII or full-width digits, whole or grouped with spaces, dashes or dots,
 * with or without +86, landlines with their area code in brackets or not.
 * Used wherever a resident's words are shown to anyone but the staff handling
 * the case (merchants, followers, other residents, group alerts) and in every
 * log line. Dates, times, prices, house numbers and report references are
 * left as typed.
 */
export function maskPersonalNumbers(text: string): string {
  return PERSONAL_NUMBERS.reduce((out, { pattern, mask }) => out.replace(pattern, (...match: unknown[]) => mask(groupsOf(match))), text);
}

/**
 * The text with every number {@link maskPersonalNumbers} would mask replaced
 * by a space, for reading the rest (a house number) without mistaking part of
 * a phone number for it.
 */
export function withoutPersonalNumbers(text: string): string {
  return PERSONAL_NUMBERS.reduce((out, { pattern }) => out.replace(pattern, " "), text);
}

/** The capture groups of a String.replace callback's arguments (match, ...groups, offset, input). */
function groupsOf(match: unknown[]): (string | undefined)[] {
  const offsetAt = match.findIndex((value, i) => i > 0 && typeof value === "number");
  return match.slice(1, offsetAt) as (string | undefined)[];
}
