import { z } from "zod";
import { COMPACT_REACK_KIND, COMPACT_REMINDER_KIND } from "../../domain/compact/versions.ts";
import { catalogFor } from "../../flows/i18n/catalog.ts";
import { startFlowChoice } from "../../flows/kit/menu.ts";
import type { OutboundMessage } from "../../flows/kit/messages.ts";
import { localDateOf } from "../../domain/time/zone.ts";
import { bilingual, locale, parsePayload, UnreadableOutboxRowError } from "./payload.ts";

/** Outbox kinds the compact domain queues for merchant accounts; renderOutboxRow hands them over. */
export const COMPACT_KINDS: readonly string[] = [COMPACT_REACK_KIND, COMPACT_REMINDER_KIND];

/** See CompactNoticePayload: the shop and the version, never anything about a resident. */
const compactNotice = z.object({
  merchantCode: z.string(),
  shop: bilingual,
  version: z.number().int(),
  title: bilingual,
  effectiveFrom: z.string(),
  contentHash: z.string(),
  reminderDay: z.number().int().nullable(),
  locale,
});

/**
 * A merchant's notice about a new compact version (or a reminder that their
 * shop has not signed it), with a button that opens the reading and signing
 * conversation for that shop.
 */
export function renderCompactRow(row: { kind: string; payload: unknown }, timeZone: string): OutboundMessage[] {
  if (!COMPACT_KINDS.includes(row.kind)) throw new UnreadableOutboxRowError(row.kind, "not a compact notice kind");
  const p = parsePayload(compactNotice, row);
  const c = catalogFor(p.locale).compact;
  const shop = p.shop[p.locale];
  const text =
    row.kind === COMPACT_REMINDER_KIND && p.reminderDay !== null
      ? c.notice.reminder(p.title[p.locale], p.version, p.reminderDay, shop)
      : c.notice.reack(p.title[p.locale], p.version, localDateOf(new Date(p.effectiveFrom), timeZone), shop);
  return [{ type: "choices", text, options: [{ label: c.notice.button, value: `${startFlowChoice("shop")}:ack:${p.merchantCode}` }] }];
}
