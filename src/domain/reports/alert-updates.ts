import { join, sql, type Sql } from "../../db/sql.ts";
import type { OutboxMessage, Prisma, ReportStatus } from "../../generated/prisma/client.ts";
import { queueOutbox, type OutboxRow } from "../outbox/queue.ts";
import { maskPersonalNumbers } from "../privacy.ts";
import type { StaffAlertPayload } from "./alerts.ts";

/** Outbox kinds whose message shows a case with its action buttons. */
export const CASE_ALERT_KINDS = ["alert.new", "alert.escalated", "alert.overdue"] as const;

/** What an alert message becomes after staff acted: the same case, its new status and who set it. */
export interface AlertUpdatePayload {
  alert: StaffAlertPayload;
  /** The channel's id of the delivered alert, which the update edits. */
  messageRef: string;
  status: ReportStatus;
  actorLabel: string | null;
}

/** A status line for a group whose alert cannot be edited (a WeCom robot, or an alert folded into a digest). */
export interface AlertStatusPayload {
  reference: string;
  status: ReportStatus;
  actorLabel: string | null;
  note: string | null;
  locale: "zh" | "en";
}

/** The alert content of a row of one of {@link CASE_ALERT_KINDS}: alert.new carries it whole, the others under `alert`. */
export function alertOf(row: { kind: string; payload: Prisma.JsonValue }): StaffAlertPayload | undefined {
  const payload = row.payload as Record<string, unknown> | null;
  if (!payload || typeof payload !== "object") return undefined;
  const alert = row.kind === "alert.new" ? payload : payload.alert;
  return alert && typeof alert === "object" ? (alert as unknown as StaffAlertPayload) : undefined;
}

/**
 * Brings every group that was alerted about a report up to date after a
 * status change, in the caller's transaction: a delivered alert with a message
 * id is edited in place (status, who acted, the buttons that now apply), any
 * other alerted group gets a one-line status message. Alerts still waiting in
 * the outbox are left alone: their buttons check the live status when pressed.
 */
export async function queueAlertUpdates(
  tx: Sql,
  args: { reportId: string; eventId: string; status: ReportStatus; actorLabel: string | null; note: string | null; createdAt: Date },
): Promise<number> {
  const rows = await tx.query<Pick<OutboxMessage, "id" | "kind" | "channel" | "chatId" | "payload" | "status" | "deliveredRef">>(
    sql`SELECT "id", "kind", "channel", "chatId", "payload", "status", "deliveredRef" FROM "OutboxMessage"
        WHERE "reportId" = ${args.reportId} AND "kind" IN (${join(CASE_ALERT_KINDS)}) AND "status" IN ('SENT', 'MERGED')
        ORDER BY "createdAt", "id"`,
  );
  const [counted] = await tx.query<{ supporters: number }>(
    sql`SELECT COUNT(*)::int AS "supporters" FROM "ReportFollower" WHERE "reportId" = ${args.reportId}`,
  );
  const supporters = counted!.supporters;
  const statusLineSent = new Set<string>();
  const updates: OutboxRow[] = [];
  for (const row of rows) {
    const alert = alertOf(row);
    if (!alert) continue;
    const destination = `${row.channel}\u0000${row.chatId}`;
    let kind: string;
    let payload: AlertUpdatePayload | AlertStatusPayload;
    if (row.status === "SENT" && row.deliveredRef) {
      kind = "alert.update";
      payload = { alert: { ...alert, supporters }, messageRef: row.deliveredRef, status: args.status, actorLabel: args.actorLabel };
    } else {
      // One status line per group, however many of its messages mention the case.
      if (statusLineSent.has(destination)) continue;
      statusLineSent.add(destination);
      kind = "alert.status";
      payload = {
        reference: alert.reference,
        status: args.status,
        actorLabel: args.actorLabel,
        note: args.note === null ? null : maskPersonalNumbers(args.note),
        locale: alert.locale,
      };
    }
    updates.push({
      dedupeKey: `${args.eventId}:${kind}:${row.id}`,
      kind,
      reportId: args.reportId,
      channel: row.channel,
      chatId: row.chatId,
      payload,
    });
  }
  return queueOutbox(tx, updates, args.createdAt);
}
