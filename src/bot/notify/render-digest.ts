import { z } from "zod";
import type { Prisma } from "../../generated/prisma/client.ts";
import { alertOf, CASE_ALERT_KINDS } from "../../domain/reports/alert-updates.ts";
import { catalogFor } from "../../flows/i18n/catalog.ts";
import type { OutboundMessage } from "../../flows/kit/messages.ts";
import { bilingual, locale } from "./payload.ts";

/** The outbox kind of a backlog digest: several queued alerts to one group, folded into one message. */
export const ALERT_DIGEST_KIND = "alert.digest";

/** Outbox kinds a backlog may fold into a digest: the ones that announce a case. */
export const DIGESTIBLE_KINDS: readonly string[] = CASE_ALERT_KINDS;

/** What a folded alert announced, which its digest line says. */
const HEADING_BY_KIND: Record<(typeof CASE_ALERT_KINDS)[number], AlertDigestHeading> = {
  "alert.new": "new",
  "alert.escalated": "escalated",
  "alert.overdue": "overdue",
};

const heading = z.enum(["new", "escalated", "overdue"]);
const entry = z.object({ reference: z.string(), category: bilingual, place: bilingual, heading });

/** The payload of an {@link ALERT_DIGEST_KIND} row; checked again on the way out. */
export const alertDigestPayload = z.object({ locale, alerts: z.array(entry).min(1) });

/** Whether a folded alert was about a new case, an escalation or an overdue reminder. */
export type AlertDigestHeading = z.infer<typeof heading>;
/** One folded alert as its digest line shows it. */
export type AlertDigestEntry = z.infer<typeof entry>;
/** A digest row's payload: the folded alerts in the order they were queued, in the group's language. */
export type AlertDigestPayload = z.infer<typeof alertDigestPayload>;

const alertFields = z.object({ reference: z.string(), category: bilingual, place: bilingual, locale });

/**
 * What a queued alert row contributes to a digest, with the group's language;
 * `undefined` when the row is no alert or its payload cannot be read, so the
 * caller leaves it to go out (or be dead-lettered) on its own.
 */
export function digestEntryOf(row: { kind: string; payload: unknown }): (AlertDigestEntry & { locale: "zh" | "en" }) | undefined {
  if (!Object.hasOwn(HEADING_BY_KIND, row.kind)) return undefined;
  const parsed = alertFields.safeParse(alertOf({ kind: row.kind, payload: row.payload as Prisma.JsonValue }));
  if (!parsed.success) return undefined;
  const { reference, category, place, locale: language } = parsed.data;
  return { reference, category, place, heading: HEADING_BY_KIND[row.kind as keyof typeof HEADING_BY_KIND], locale: language };
}

/** Lines listed at most: beyond this a digest stops being an overview. */
const MAX_LINES = 40;
/**
 * Bytes of UTF-8 the listed lines may take. Counting bytes, not characters,
 * keeps the text within WeCom's 4096-byte markdown limit (with room for its
 * escaping) and therefore also within Telegram's 4096 characters.
 */
const MAX_LIST_BYTES = 3_500;

/**
 * A backlog digest: a title with the counts, one line per folded alert
 * (reference, category, place) in queue order, "… and N more" beyond
 * {@link MAX_LINES} lines or {@link MAX_LIST_BYTES} bytes, and how to open a
 * case. Plain text without buttons: staff act on a case from `/case`.
 */
export function renderAlertDigest(digest: AlertDigestPayload): OutboundMessage[] {
  const t = catalogFor(digest.locale).backlog;
  const counts = { new: 0, escalated: 0, overdue: 0 };
  for (const alert of digest.alerts) counts[alert.heading] += 1;
  const lines: string[] = [];
  let bytes = 0;
  for (const alert of digest.alerts) {
    const line = t.line(alert.heading, alert.reference, alert.category[digest.locale], alert.place[digest.locale]);
    bytes += Buffer.byteLength(line, "utf8") + 1;
    if (lines.length === MAX_LINES || bytes > MAX_LIST_BYTES) break;
    lines.push(line);
  }
  const rest = digest.alerts.length - lines.length;
  const text = [t.title(counts), t.intro, ...lines, ...(rest > 0 ? [t.more(rest)] : []), t.hint].join("\n");
  return [{ type: "text", text }];
}
