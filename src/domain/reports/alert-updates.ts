import type { Prisma, ReportStatus } from "../../generated/prisma/client.ts";
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
  tx: Prisma.TransactionClient,
  args: { reportId: string; eventId: string; status: ReportStatus; actorLabel: string | null; note: string | null; createdAt: Date },
): Promise<number> {
  const rows = await tx.outboxMessage.findMany({
    where: { reportId: args.reportId, kind: { in: [...CASE_ALERT_KINDS] }, status: { in: ["SENT", "MERGED"] } },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
  });
  const supporters = await tx.reportFollower.count({ where: { reportId: args.reportId } });
  const statusLineSent = new Set<string>();
  let queued = 0;
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
    await tx.outboxMessage.create({
      data: {
        dedupeKey: `${args.eventId}:${kind}:${row.id}`,
        kind,
        reportId: args.reportId,
        channel: row.channel,
        chatId: row.chatId,
        payload: payload as unknown as Prisma.InputJsonObject,
        createdAt: args.createdAt,
        nextAttemptAt: args.createdAt,
      },
    });
    queued++;
  }
  return queued;
}
