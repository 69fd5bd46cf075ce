import type { AcknowledgementReceipt, CompactVersionView } from "../../domain/compact/compact.ts";
import { shortHash } from "../../domain/compact/content.ts";
import { localDateOf } from "../../domain/time/zone.ts";
import type { Catalog } from "../i18n/catalog.ts";
import type { ChoiceOption, Locale } from "../kit/messages.ts";
import { townTime } from "../report/view.ts";

/*
 * Text shared by the merchant conversations and the compact notices: dates
 * in the town's calendar, the receipt, and the compact in pages.
 */

/** Clauses per page: short enough to read on a phone without scrolling far. */
export const CLAUSES_PER_PAGE = 3;

/** Choice values of the reading pages. */
export const READ_CHOICES = { next: "read:next", previous: "read:prev", agree: "read:agree", later: "read:later" } as const;

/** The receipt of an acknowledgement: shop, version, effective date, short hash, time and channel. */
export function receiptText(receipt: AcknowledgementReceipt, t: Catalog, locale: Locale, timeZone: string): string {
  return t.compact.receipt(
    receipt.shop.name[locale],
    receipt.version,
    localDateOf(receipt.effectiveFrom, timeZone),
    shortHash(receipt.contentHash),
    townTime(receipt.acknowledgedAt, locale, timeZone),
    new Map(Object.entries(t.compact.channels)).get(receipt.channel) ?? receipt.channel,
    receipt.signerName,
  );
}

/** How many pages a version takes. */
export function pageCount(version: CompactVersionView): number {
  return Math.max(1, Math.ceil(version.clauses.length / CLAUSES_PER_PAGE));
}

/** One page of the compact with its buttons: previous and next, and on the last page the pledge; "later" always. */
export function compactPage(
  version: CompactVersionView,
  page: number,
  t: Catalog,
  locale: Locale,
  timeZone: string,
): { text: string; options: ChoiceOption[] } {
  const pages = pageCount(version);
  const clauses = version.clauses.slice(page * CLAUSES_PER_PAGE, (page + 1) * CLAUSES_PER_PAGE);
  const r = t.compact.read;
  const text = [
    r.page(version.title[locale], version.version, localDateOf(version.effectiveFrom, timeZone), page + 1, pages),
    "",
    ...clauses.map((c) => r.clause(c.ref, c.text[locale])),
  ].join("\n");
  const options: ChoiceOption[] = [];
  if (page > 0) options.push({ label: r.previous, value: READ_CHOICES.previous });
  if (page < pages - 1) options.push({ label: r.next, value: READ_CHOICES.next });
  else options.push({ label: r.agree, value: READ_CHOICES.agree });
  options.push({ label: r.later, value: READ_CHOICES.later });
  return { text, options };
}
