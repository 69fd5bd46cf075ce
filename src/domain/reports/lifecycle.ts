import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { ChatUser, Report, ReportStatus } from "../../generated/prisma/client.ts";
import { join, sql, type Sql, type Statement } from "../../db/sql.ts";
import { blockChatUser } from "../chat-users.ts";
import type { GridIndex } from "../grid/index.ts";
import { storedText } from "../grid/text.ts";
import { maskPersonalNumbers } from "../privacy.ts";
import { queueOutbox } from "../outbox/queue.ts";
import { queueAlertUpdates } from "./alert-updates.ts";
import {
  alertScopeOf,
  destinationsFor,
  localeOf,
  shopStandingOf,
  staffAlertOf,
  staffAlertReport,
  type StaffAlertReport,
} from "./alerts.ts";
import { DAY, OPEN_STATUSES, type ReportsContext } from "./context.ts";
import type { Followers } from "./followers.ts";
import { queueMerchantStatusNotices } from "./merchant-answers.ts";
import { storedRouteOf } from "./place.ts";
import type { RejectReasonName, StaffActionResult, StaffActor, StaffReportActions } from "./reports.ts";
import type { FeedbackResult, ReportRoute, ReportsService } from "./service.ts";

const feedbackSchema = z.union([z.object({ fixed: z.boolean() }), z.object({ rating: z.number().int().min(1).max(5) })]);

// SUBMITTED → ACKNOWLEDGED → IN_PROGRESS → RESOLVED; an acknowledged case may be resolved at once; any open case may be rejected.
const ALLOWED: Record<ReportStatus, ReportStatus[]> = {
  SUBMITTED: ["ACKNOWLEDGED", "REJECTED"],
  ACKNOWLEDGED: ["IN_PROGRESS", "RESOLVED", "REJECTED"],
  IN_PROGRESS: ["RESOLVED", "REJECTED"],
  RESOLVED: [],
  REJECTED: [],
};

/** What a staff action or the reporter's feedback reads of the report it acts on. */
type ActedOn = Pick<Report, "id" | "reference" | "status" | "reporterId" | "resolvedAt">;

/** The insert of one timeline entry; its `id` is what the dedupe keys of the change's outbox rows name. */
function eventInsert(event: {
  id: string;
  reportId: string;
  type: "STATUS_CHANGED" | "REROUTED" | "RATED" | "CONFIRMED_FIXED" | "REOPENED";
  fromStatus?: ReportStatus;
  toStatus?: ReportStatus;
  note?: string | null;
  photoId?: string | null;
  /** REROUTED only: where the case was handled before and where it goes. */
  fromRoute?: ReportRoute | null;
  toRoute?: ReportRoute;
  actorKind: "STAFF" | "RESIDENT";
  actorId: string;
  actorLabel?: string;
  createdAt: Date;
}): Statement {
  const json = (route: ReportRoute | null | undefined) => (route ? JSON.stringify(route) : null);
  return sql`INSERT INTO "ReportEvent" ("id", "reportId", "type", "fromStatus", "toStatus", "note", "photoId", "fromRoute", "toRoute", "actorKind", "actorId", "actorLabel", "createdAt")
    VALUES (${event.id}, ${event.reportId}, ${event.type}::"ReportEventType", ${event.fromStatus ?? null}::"ReportStatus", ${event.toStatus ?? null}::"ReportStatus",
      ${event.note ?? null}, ${event.photoId ?? null}, ${json(event.fromRoute)}::jsonb, ${json(event.toRoute)}::jsonb,
      ${event.actorKind}::"ActorKind", ${event.actorId}, ${event.actorLabel ?? null}, ${event.createdAt})`;
}

/**
 * What happens to a report after it is filed: staff claim, progress, resolve,
 * reject (merging a duplicate's followers into the original) and re-route it,
 * the reporter confirms, rates or reopens it, and staff block a reporter. Each
 * change writes its timeline entry and tells residents and groups in the same
 * transaction.
 */
export function lifecycleOf(ctx: ReportsContext, followers: Followers) {
  const { db, grid, townCode, clock, options, findUser, normalizeReference } = ctx;
  const { addFollower, notifyResidents } = followers;

  const reportNamed = async (tx: Sql, reference: string): Promise<ActedOn | undefined> =>
    (
      await tx.query<ActedOn>(
        sql`SELECT "id", "reference", "status", "reporterId", "resolvedAt"
            FROM "Report" WHERE "reference" = ${normalizeReference(reference)}`,
      )
    )[0];

  /** The committee's row for a route staff chose; null when the town has no such committee (any more). */
  const routeIds = async (tx: Sql, route: ReportRoute) => {
    const [ids] = await tx.query<{ routedRoadCommitteeId: string | null; routedDistrictId: string | null }>(
      sql`SELECT (SELECT "id" FROM "RoadCommittee" WHERE "townCode" = ${townCode} AND "code" = ${route.kind === "roadCommittee" ? route.code : null}) AS "routedRoadCommitteeId",
                 (SELECT "id" FROM "District" WHERE "townCode" = ${townCode} AND "code" = ${route.kind === "districtCommittee" ? route.code : null}) AS "routedDistrictId"`,
    );
    return ids!.routedRoadCommitteeId === null && ids!.routedDistrictId === null ? null : ids!;
  };

  const alertReport = async (tx: Sql, id: string): Promise<StaffAlertReport> =>
    (await tx.query<StaffAlertReport>(staffAlertReport(id)))[0]!;

  /**
   * A re-routed case's new alert for every handling group of its new area that
   * was never alerted about it (groups that were keep their alert, which their
   * buttons act on), queued in the re-route's transaction as alerts of new
   * reports are.
   */
  const queueNewAreaAlerts = async (tx: Sql, report: StaffAlertReport, eventId: string, now: Date) => {
    const alerted = await tx.query<{ channel: string; chatId: string }>(
      sql`SELECT DISTINCT "channel", "chatId" FROM "OutboxMessage" WHERE "reportId" = ${report.id} AND "kind" = 'alert.new'`,
    );
    const known = new Set(alerted.map((row) => `${row.channel}\u0000${row.chatId}`));
    const destinations = (await destinationsFor(tx, townCode, alertScopeOf(report), "handling")).filter(
      (destination) => !known.has(`${destination.channel}\u0000${destination.address}`),
    );
    if (destinations.length === 0) return;
    const shopStanding = await shopStandingOf(tx, townCode, report.merchantId, now);
    await queueOutbox(
      tx,
      destinations.map((destination) => ({
        dedupeKey: `${eventId}:alert:${destination.id}`,
        kind: "alert.new",
        reportId: report.id,
        channel: destination.channel,
        chatId: destination.address,
        payload: staffAlertOf(report, localeOf(destination), shopStanding),
      })),
      now,
    );
  };

  /**
   * Moves a report from its current status to `to` if that is allowed and nobody
   * moved it first (the update is conditional on the status it was read with),
   * then writes the timeline entry and the residents' updates.
   */
  const transition = (
    reference: string,
    actor: StaffActor,
    to: ReportStatus,
    details: { note?: string; photoId?: string; rejectReason?: RejectReasonName; duplicateOfReference?: string },
  ): Promise<StaffActionResult> =>
    db.transaction(async (tx): Promise<StaffActionResult> => {
      const report = await reportNamed(tx, reference);
      if (!report) return { type: "notFound" };
      if (!ALLOWED[report.status].includes(to)) return { type: "badTransition", from: report.status, to };
      const original = details.duplicateOfReference ? await reportNamed(tx, details.duplicateOfReference) : undefined;
      if (details.duplicateOfReference && (!original || original.id === report.id)) return { type: "unknownTarget" };
      const now = clock();
      const changes = [
        sql`"status" = ${to}::"ReportStatus"`,
        sql`"updatedAt" = ${now}`,
        ...(to === "RESOLVED" ? [sql`"resolvedAt" = ${now}`] : []),
        ...(details.rejectReason
          ? [sql`"rejectReason" = ${details.rejectReason}::"RejectReason"`, sql`"duplicateOfId" = ${original?.id ?? null}`]
          : []),
      ];
      const eventId = randomUUID();
      const moved = await tx.query(
        sql`UPDATE "Report" SET ${join(changes)} WHERE "id" = ${report.id} AND "status" = ${report.status}::"ReportStatus" RETURNING "id"`,
      );
      if (moved.length === 0) return { type: "conflict" };
      await tx.query(
        eventInsert({
          id: eventId,
          reportId: report.id,
          type: "STATUS_CHANGED",
          fromStatus: report.status,
          toStatus: to,
          note: details.note,
          photoId: details.photoId,
          actorKind: "STAFF",
          actorId: actor.staffId,
          actorLabel: actor.label,
          createdAt: now,
        }),
      );
      await notifyResidents(tx, report.id, eventId, "report.status", {
        status: to,
        note: details.note ? maskPersonalNumbers(details.note) : null,
        rejectReason: details.rejectReason ?? null,
        duplicateOf: original?.reference ?? null,
        route: null,
        reopened: false,
        askReporterForFeedback: to === "RESOLVED",
      });
      await queueAlertUpdates(tx, {
        reportId: report.id,
        eventId,
        status: to,
        actorLabel: actor.label,
        note: details.note ?? null,
        createdAt: now,
      });
      await queueMerchantStatusNotices(tx, { reportId: report.id, eventId, status: to, createdAt: now });
      if (original) {
        // Everyone waiting on the duplicate now waits on the original, and only there.
        const followers = await tx.query<{ userId: string }>(
          sql`SELECT "userId" FROM "ReportFollower" WHERE "reportId" = ${report.id} ORDER BY "createdAt", "id"`,
        );
        for (const userId of [report.reporterId, ...followers.map((f) => f.userId)]) {
          if (userId !== original.reporterId) await addFollower(tx, original.id, userId, "SYSTEM");
        }
        await tx.query(sql`DELETE FROM "ReportFollower" WHERE "reportId" = ${report.id}`);
      }
      return { type: "ok", reference: report.reference, status: to };
    });

  const service: Pick<ReportsService, "recordFeedback"> &
    Pick<StaffReportActions, "acknowledge" | "startProgress" | "resolve" | "reject" | "reroute" | "blockUser"> = {
    async recordFeedback(reference, user, input): Promise<FeedbackResult> {
      const parsed = feedbackSchema.safeParse(input);
      if (!parsed.success) return { type: "notAllowed" };
      const feedback = parsed.data;
      return db.transaction(async (tx): Promise<FeedbackResult> => {
        const report = await reportNamed(tx, reference);
        const me = await findUser(tx, user);
        if (!report || !me || report.reporterId !== me.id || report.status !== "RESOLVED") return { type: "notAllowed" };
        const now = clock();
        const resident = { reportId: report.id, actorKind: "RESIDENT", actorId: me.id, createdAt: now } as const;
        if ("rating" in feedback) {
          await tx.query(
            sql`WITH rated AS (UPDATE "Report" SET "rating" = ${feedback.rating}, "updatedAt" = ${now} WHERE "id" = ${report.id})
                ${eventInsert({ ...resident, id: randomUUID(), type: "RATED", note: String(feedback.rating) })}`,
          );
          return { type: "recorded", reference: report.reference };
        }
        if (feedback.fixed) {
          await tx.query(eventInsert({ ...resident, id: randomUUID(), type: "CONFIRMED_FIXED" }));
          return { type: "recorded", reference: report.reference };
        }
        if (report.resolvedAt === null || now.getTime() - report.resolvedAt.getTime() > options.reopenWindowDays * DAY)
          return { type: "tooLateToReopen", reference: report.reference };
        const eventId = randomUUID();
        const moved = await tx.query(
          sql`UPDATE "Report" SET "status" = 'IN_PROGRESS', "resolvedAt" = NULL, "updatedAt" = ${now}
              WHERE "id" = ${report.id} AND "status" = 'RESOLVED' RETURNING "id"`,
        );
        if (moved.length === 0) return { type: "notAllowed" };
        await tx.query(eventInsert({ ...resident, id: eventId, type: "REOPENED", fromStatus: "RESOLVED", toStatus: "IN_PROGRESS" }));
        await notifyResidents(
          tx,
          report.id,
          eventId,
          "report.status",
          { status: "IN_PROGRESS", note: null, rejectReason: null, duplicateOf: null, route: null, reopened: true },
          me.id,
        );
        return { type: "reopened", reference: report.reference };
      });
    },

    acknowledge: (reference, actor) => transition(reference, actor, "ACKNOWLEDGED", {}),

    startProgress: (reference, actor, note) =>
      transition(reference, actor, "IN_PROGRESS", { note: (note && storedText(note)) || undefined }),

    async resolve(reference, actor, written, photoId) {
      const note = storedText(written);
      if (note === "") return { type: "noteRequired" };
      return transition(reference, actor, "RESOLVED", { note, photoId });
    },

    async reject(reference, actor, reason, written, duplicateOfReference) {
      const note = storedText(written);
      if (note === "") return { type: "noteRequired" };
      if (reason === "DUPLICATE" && !duplicateOfReference) return { type: "unknownTarget" };
      return transition(reference, actor, "REJECTED", {
        note,
        rejectReason: reason,
        duplicateOfReference: reason === "DUPLICATE" ? duplicateOfReference : undefined,
      });
    },

    async reroute(reference, actor, target, written) {
      const route = committeeRoute(grid.index, target);
      if (!route) return { type: "unknownTarget" };
      const note = storedText(written);
      if (note === "") return { type: "noteRequired" };
      return db.transaction(async (tx): Promise<StaffActionResult> => {
        const report = await reportNamed(tx, reference);
        if (!report) return { type: "notFound" };
        if (!OPEN_STATUSES.includes(report.status)) return { type: "badTransition", from: report.status, to: report.status };
        const ids = await routeIds(tx, route);
        if (!ids) return { type: "unknownTarget" };
        const before = await alertReport(tx, report.id);
        const now = clock();
        // Conditional on the status read, like a status change: a case closed meanwhile is not re-routed.
        const moved = await tx.query(
          sql`UPDATE "Report" SET "routedRoadCommitteeId" = ${ids.routedRoadCommitteeId}, "routedDistrictId" = ${ids.routedDistrictId}, "routed" = TRUE, "updatedAt" = ${now}
              WHERE "id" = ${report.id} AND "status" = ${report.status}::"ReportStatus" RETURNING "id"`,
        );
        if (moved.length === 0) return { type: "conflict" };
        const eventId = randomUUID();
        await tx.query(
          eventInsert({
            id: eventId,
            reportId: report.id,
            type: "REROUTED",
            note,
            fromRoute: storedRouteOf(before),
            toRoute: route,
            actorKind: "STAFF",
            actorId: actor.staffId,
            actorLabel: actor.label,
            createdAt: now,
          }),
        );
        await notifyResidents(tx, report.id, eventId, "report.rerouted", {
          status: report.status,
          note: maskPersonalNumbers(note),
          rejectReason: null,
          duplicateOf: null,
          route,
          reopened: false,
        });
        await queueNewAreaAlerts(tx, await alertReport(tx, report.id), eventId, now);
        return { type: "ok", reference: report.reference, status: report.status };
      });
    },

    async blockUser(target, actor, reason) {
      const user =
        "reference" in target
          ? (
              await db.query<Pick<ChatUser, "id">>(
                sql`SELECT "reporterId" AS "id" FROM "Report" WHERE "reference" = ${normalizeReference(target.reference)}`,
              )
            )[0]
          : await findUser(db, target);
      if (!user) return { type: "notFound" };
      await blockChatUser(db, user.id, clock(), `${reason.trim()} (${actor.label}, ${actor.staffId})`);
      return { type: "ok" };
    },
  };

  return service;
}

/** The route to a committee staff named by code; null when the grid has no such committee. */
function committeeRoute(index: GridIndex, target: { roadCommitteeCode: string } | { districtCode: string }): ReportRoute | null {
  if ("roadCommitteeCode" in target) {
    const committee = index.snapshot.roadCommittees.find((c) => c.code === target.roadCommitteeCode);
    return committee ? { kind: "roadCommittee", code: committee.code, name: committee.name } : null;
  }
  const district = index.district(target.districtCode);
  return district ? { kind: "districtCommittee", code: district.code, name: district.committee.name } : null;
}
