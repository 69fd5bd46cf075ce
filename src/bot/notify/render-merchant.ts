import { z } from "zod";
import { MERCHANT_ANSWER_ALERT_KIND, MERCHANT_REPORT_KIND, MERCHANT_STATUS_KIND } from "../../domain/reports/merchant-answers.ts";
import { catalogFor } from "../../flows/i18n/catalog.ts";
import type { OutboundMessage } from "../../flows/kit/messages.ts";
import { townTime } from "../../flows/report/view.ts";
import { shopReportChoice } from "../../flows/shop-reports/shop-reports-flow.ts";
import { bilingual, locale, parsePayload, UnreadableOutboxRowError } from "./payload.ts";

/** Outbox kinds about shops and their answers; renderOutboxRow hands them over. */
export const MERCHANT_KINDS: readonly string[] = [MERCHANT_REPORT_KIND, MERCHANT_STATUS_KIND, MERCHANT_ANSWER_ALERT_KIND];

/** A new report as its shop is told (see MerchantNoticePayload): never who reported it. */
const notice = z.object({
  reference: z.string(),
  shop: bilingual,
  category: bilingual,
  clause: z.object({ ref: z.string(), text: bilingual }),
  reportedAt: z.string(),
  place: bilingual.nullable(),
  description: z.string(),
  locale,
});

/** A closed case as its shop is told (see MerchantStatusPayload). */
const status = z.object({
  reference: z.string(),
  shop: bilingual,
  status: z.enum(["RESOLVED", "REJECTED"]),
  rejectReason: z.enum(["NOT_OUR_RESPONSIBILITY", "DUPLICATE", "INVALID"]).nullable(),
  locale,
});

/** A shop's answer as the staff groups alerted about the case are told (see MerchantAnswerAlertPayload). */
const answer = z.object({
  reference: z.string(),
  shop: bilingual,
  answer: z.enum(["rectified", "disputed"]),
  note: z.string(),
  photoId: z.string().nullable(),
  locale,
});

/**
 * The messages about shops: the notice of a new report to the shop, with
 * buttons to answer it or view it; the shop's notice that the case is closed;
 * and the shop's answer to the staff groups, with its photo.
 */
export function renderMerchantRow(row: { kind: string; payload: unknown }, timeZone: string): OutboundMessage[] {
  if (row.kind === MERCHANT_REPORT_KIND) {
    const p = parsePayload(notice, row);
    const t = catalogFor(p.locale);
    const s = t.shopReports;
    const lines = [
      s.noticeTitle(p.shop[p.locale], p.reference),
      t.report.summaryCategory(p.category[p.locale]),
      t.alerts.clause(p.clause.ref, p.clause.text[p.locale]),
      s.time(townTime(new Date(p.reportedAt), p.locale, timeZone)),
      t.report.summaryPlace(p.place?.[p.locale] ?? s.noPlace),
      t.report.summaryDescription(p.description),
      "",
      s.noticeHint,
    ];
    return [
      {
        type: "choices",
        text: lines.join("\n"),
        options: [
          { label: s.rectify, value: shopReportChoice("rectify", p.reference) },
          { label: s.dispute, value: shopReportChoice("dispute", p.reference) },
          { label: s.view, value: shopReportChoice("view", p.reference) },
        ],
      },
    ];
  }
  if (row.kind === MERCHANT_STATUS_KIND) {
    const p = parsePayload(status, row);
    const t = catalogFor(p.locale);
    const lines = [t.shopReports.statusNotice(p.shop[p.locale], p.reference, t.report.status[p.status])];
    if (p.rejectReason) lines.push(t.updates.rejected(t.report.rejectReasons[p.rejectReason]));
    lines.push(t.shopReports.details(p.reference));
    return [{ type: "text", text: lines.join("\n") }];
  }
  if (row.kind === MERCHANT_ANSWER_ALERT_KIND) {
    const p = parsePayload(answer, row);
    const s = catalogFor(p.locale).shopReports;
    const title =
      p.answer === "rectified" ? s.answerRectified(p.shop[p.locale], p.reference) : s.answerDisputed(p.shop[p.locale], p.reference);
    const messages: OutboundMessage[] = [{ type: "text", text: [title, s.answerNote(p.note), s.answerHint(p.reference)].join("\n") }];
    if (p.photoId) messages.push({ type: "photo", mediaId: p.photoId, caption: s.answerPhotoCaption(p.reference) });
    return messages;
  }
  throw new UnreadableOutboxRowError(row.kind, "not a merchant message kind");
}
