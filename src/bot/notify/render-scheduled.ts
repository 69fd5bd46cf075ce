import { z } from "zod";
import {
  DAILY_DIGEST_KIND,
  ESCALATED_KIND,
  OVERDUE_KIND,
  type DailyDigestPayload,
  type EscalationPayload,
  type OverduePayload,
} from "../../domain/reports/schedule.ts";
import { catalogFor } from "../../flows/i18n/catalog.ts";
import type { OutboundMessage } from "../../flows/kit/messages.ts";
import { bilingual, locale, parsePayload, reportStatus as status, staffAlert, UnreadableOutboxRowError } from "./payload.ts";
import { renderStaffAlert } from "./render-alert.ts";

/*
 * Messages the alert scheduler queues (src/domain/reports/schedule.ts):
 * escalations and deadline reminders show the case with its action buttons
 * under their own heading; the daily digest is plain text.
 */

/** Outbox kinds rendered here; renderOutboxRow hands them over. */
export const SCHEDULED_KINDS: readonly string[] = [ESCALATED_KIND, OVERDUE_KIND, DAILY_DIGEST_KIND];

const count = z.number().int().min(0);

const escalation = z.object({ alert: staffAlert, waitedMinutes: count }) satisfies z.ZodType<EscalationPayload>;

const overdue = z.object({
  alert: staffAlert,
  deadlineAt: z.string(),
  deadline: z.string(),
  workingDays: z.number().int().min(1),
  status,
}) satisfies z.ZodType<OverduePayload>;

const digest = z.object({
  date: z.string(),
  counts: z.object({ new: count, open: count, overdue: count, resolved: count }),
  oldestOverdue: z.array(z.object({ reference: z.string(), category: bilingual, submittedOn: z.string() })),
  locale,
}) satisfies z.ZodType<DailyDigestPayload>;

/**
 * Renders a row of one of {@link SCHEDULED_KINDS} in its group's language.
 * Throws {@link UnreadableOutboxRowError} for another kind or a payload that
 * does not have the shape the scheduler writes, so the worker dead-letters it.
 */
export function renderScheduledRow(row: { kind: string; payload: unknown }): OutboundMessage[] {
  if (row.kind === ESCALATED_KIND) {
    const { alert, waitedMinutes } = parsePayload(escalation, row);
    const t = catalogFor(alert.locale).schedule;
    return renderStaffAlert(alert, { heading: t.escalated(alert.reference, t.duration(waitedMinutes)) });
  }
  if (row.kind === OVERDUE_KIND) {
    const reminder = parsePayload(overdue, row);
    const t = catalogFor(reminder.alert.locale).schedule;
    // The status is shown and decides the buttons: a claimed case offers progress and resolve, not claim.
    return renderStaffAlert(reminder.alert, {
      heading: t.overdue(reminder.alert.reference, reminder.workingDays, reminder.deadline),
      state: { status: reminder.status, actorLabel: null },
    });
  }
  if (row.kind === DAILY_DIGEST_KIND) return [{ type: "text", text: digestText(parsePayload(digest, row)) }];
  throw new UnreadableOutboxRowError(row.kind, "not a scheduled alert kind");
}

function digestText(payload: DailyDigestPayload): string {
  const t = catalogFor(payload.locale).schedule;
  const { counts } = payload;
  const lines = [
    t.digestTitle(payload.date),
    t.digestNew(counts.new),
    t.digestOpen(counts.open),
    t.digestOverdue(counts.overdue),
    t.digestResolved(counts.resolved),
  ];
  if (payload.oldestOverdue.length > 0) {
    lines.push(
      "",
      t.digestOldest,
      ...payload.oldestOverdue.map((c) => t.digestLine(c.reference, c.category[payload.locale], c.submittedOn)),
    );
    const rest = counts.overdue - payload.oldestOverdue.length;
    if (rest > 0) lines.push(t.digestMore(rest));
  }
  if (counts.open > 0) lines.push("", t.digestHint);
  return lines.join("\n");
}
