import { z } from "zod";
import { feedbackChoices } from "../../flows/feedback/feedback-flow.ts";
import { catalogFor } from "../../flows/i18n/catalog.ts";
import type { OutboundMessage } from "../../flows/kit/messages.ts";
import { alertMessage, renderStaffAlert } from "./render-alert.ts";
import { ALERT_DIGEST_KIND, alertDigestPayload, renderAlertDigest } from "./render-digest.ts";
import { renderScheduledRow, SCHEDULED_KINDS } from "./render-scheduled.ts";
import { CLASS_KINDS, renderClassRow } from "./render-classes.ts";
import { COMPACT_KINDS, renderCompactRow } from "./render-compact.ts";
import { MERCHANT_KINDS, renderMerchantRow } from "./render-merchant.ts";
import { bilingual, locale, parsePayload, reportStatus as status, staffAlert, UnreadableOutboxRowError } from "./payload.ts";

export { UnreadableOutboxRowError };

/** What the reports domain queues for residents (see ResidentUpdatePayload); checked again on the way out. */
const residentUpdate = z.object({
  reference: z.string(),
  status,
  note: z.string().nullable(),
  rejectReason: z.enum(["NOT_OUR_RESPONSIBILITY", "DUPLICATE", "INVALID"]).nullable(),
  duplicateOf: z.string().nullable(),
  route: z.object({ kind: z.string(), code: z.string(), name: bilingual }).nullable(),
  askFeedback: z.boolean(),
  reopened: z.boolean(),
  relation: z.enum(["reporter", "follower"]),
  locale,
});

/** A Telegram group alert brought up to date after staff acted (see AlertUpdatePayload). */
const alertUpdate = z.object({
  alert: staffAlert,
  messageRef: z.string(),
  status,
  actorLabel: z.string().nullable(),
});

/** A status line for groups whose alerts cannot be edited (WeCom robots). */
const alertStatus = z.object({
  reference: z.string(),
  status,
  actorLabel: z.string().nullable(),
  note: z.string().nullable(),
  locale,
});

/**
 * Turns a queued outbox row into the messages its recipient reads, in the
 * recipient's language. `undefined` means there is nothing to send (the
 * resident was already told in the conversation that caused the row). Dates
 * and times are written in `timeZone`, the town's (config TIME_ZONE).
 */
export function renderOutboxRow(row: { kind: string; payload: unknown }, timeZone: string): OutboundMessage[] | undefined {
  if (row.kind === "report.submitted") return undefined;
  if (SCHEDULED_KINDS.includes(row.kind)) return renderScheduledRow(row);
  if (CLASS_KINDS.includes(row.kind)) return renderClassRow(row, timeZone);
  if (COMPACT_KINDS.includes(row.kind)) return renderCompactRow(row, timeZone);
  if (MERCHANT_KINDS.includes(row.kind)) return renderMerchantRow(row, timeZone);
  if (row.kind === ALERT_DIGEST_KIND) return renderAlertDigest(parsePayload(alertDigestPayload, row));
  if (row.kind === "alert.new") return renderStaffAlert(parsePayload(staffAlert, row));
  if (row.kind === "alert.update") {
    const update = parsePayload(alertUpdate, row);
    const { text, options } = alertMessage(update.alert, { state: { status: update.status, actorLabel: update.actorLabel } });
    return [{ type: "replace", messageRef: update.messageRef, text, options }];
  }
  if (row.kind === "alert.status") {
    const update = parsePayload(alertStatus, row);
    const t = catalogFor(update.locale);
    const lines = [t.alerts.statusLine(update.reference, t.report.status[update.status], update.actorLabel)];
    if (update.note) lines.push(t.updates.note(update.note));
    return [{ type: "text", text: lines.join("\n") }];
  }
  if (row.kind !== "report.status" && row.kind !== "report.rerouted") throw new UnreadableOutboxRowError(row.kind, "unknown kind");
  const update = parsePayload(residentUpdate, row);
  const t = catalogFor(update.locale);
  if (row.kind === "report.rerouted") {
    const committee = update.route?.name[update.locale] ?? t.report.summaryNoRoute;
    return [{ type: "text", text: [t.updates.rerouted(update.reference, committee), t.updates.details(update.reference)].join("\n") }];
  }
  const lines = [t.updates.status(update.reference, t.report.status[update.status], update.relation)];
  if (update.reopened) lines.push(t.updates.reopened);
  if (update.note) lines.push(t.updates.note(update.note));
  if (update.rejectReason) lines.push(t.updates.rejected(t.report.rejectReasons[update.rejectReason]));
  if (update.duplicateOf) lines.push(t.updates.merged(update.duplicateOf));
  lines.push(t.updates.details(update.reference));
  const messages: OutboundMessage[] = [{ type: "text", text: lines.join("\n") }];
  if (update.askFeedback) messages.push({ type: "choices", text: t.updates.askFixed, options: feedbackChoices(update.reference, t) });
  return messages;
}
