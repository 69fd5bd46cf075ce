import { createHash } from "node:crypto";
import type { Bilingual } from "../grid/index.ts";

/*
 * The words of one compact version and the hash that fixes them. What a
 * merchant acknowledged must be provable later word for word, so the hash is
 * taken over a canonical JSON form: the same title and clauses always give
 * the same hash, whatever order the keys were written in or which path
 * (town-data file or chat) published them.
 */

/** One numbered clause as published, e.g. `{ ref: "第二条", text: "…", textEn: "…" }`. */
export interface CompactClause {
  ref: string;
  text: string;
  textEn: string;
}

/** What a version says: its title and clauses in both languages. */
export interface CompactContent {
  title: string;
  titleEn: string;
  clauses: CompactClause[];
}

/** A clause as readers see it. */
export interface ClauseView {
  ref: string;
  text: Bilingual;
}

/** JSON with object keys sorted at every level and no whitespace, so equal content serialises identically. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/**
 * SHA-256 (hex) of the canonical JSON of title, titleEn and clauses (each
 * clause reduced to ref, text and textEn). Strings are taken as given (NFC
 * normalised), so a changed character is a new version and nothing else is.
 */
export function compactContentHash(content: CompactContent): string {
  const nfc = (s: string) => s.normalize("NFC");
  const canonical = canonicalJson({
    title: nfc(content.title),
    titleEn: nfc(content.titleEn),
    clauses: content.clauses.map((c) => ({ ref: nfc(c.ref), text: nfc(c.text), textEn: nfc(c.textEn) })),
  });
  return createHash("sha256").update(canonical, "utf8").digest("hex");
}

/** The first 12 hex characters of a hash: enough to compare a receipt with the published text by eye. */
export function shortHash(hash: string): string {
  return hash.slice(0, 12);
}

/** The clauses stored in a CompactVersion row, read back defensively (the column is JSON). */
export function clausesOf(stored: unknown): CompactClause[] {
  if (!Array.isArray(stored)) return [];
  return stored.flatMap((c: unknown) => {
    if (c === null || typeof c !== "object") return [];
    const { ref, text, textEn } = c as Record<string, unknown>;
    return typeof ref === "string" && typeof text === "string" && typeof textEn === "string" ? [{ ref, text, textEn }] : [];
  });
}

/** A clause line as staff type it: a number such as 第一条 or 第12条, then its text. */
const CHINESE_CLAUSE = /^(第[一二三四五六七八九十百零〇\d]+条)[\s：:、.．]*(.+)$/u;
/** An English line may repeat the number as "Article 1", "Clause 1" or "1." before its text. */
const ENGLISH_PREFIX = /^(?:(?:article|clause|art\.)\s*\d+|\d+)[\s:.)-]*/iu;

/** Why typed clauses cannot be used, so the chat can say exactly what to fix. */
export type ClauseParseResult =
  | { type: "ok"; clauses: { ref: string; text: string }[] }
  | { type: "empty" }
  /** `line` is 1-based in what was typed. */
  | { type: "badLine"; line: number };

/** Chinese clauses typed one a line, each starting with its number (第一条 …). */
export function parseChineseClauses(typed: string): ClauseParseResult {
  const lines = typed
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "");
  if (lines.length === 0) return { type: "empty" };
  const clauses: { ref: string; text: string }[] = [];
  for (const [i, line] of lines.entries()) {
    const match = CHINESE_CLAUSE.exec(line);
    if (!match?.[1] || !match[2]) return { type: "badLine", line: i + 1 };
    clauses.push({ ref: match[1], text: match[2].trim() });
  }
  return { type: "ok", clauses };
}

/** English translations typed one a line in the same order; an optional "Article n" prefix is dropped. */
export function parseEnglishLines(typed: string): string[] {
  return typed
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "")
    .map((l) => l.replace(ENGLISH_PREFIX, "").trim() || l);
}
