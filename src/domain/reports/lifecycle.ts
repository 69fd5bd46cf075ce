import { z } from "zod";
import type { ReportStatus } from "../../generated/prisma/client.ts";
import { prismaSql } from "../../db/sql.ts";
import type { Prisma } from "../../generated/prisma/client.ts";
import type { GridIndex } from "../grid/index.ts";
import { storedText } from "../grid/text.ts";
import { maskPersonalNumbers } from "../privacy.ts";
import { queueAlertUpdates } from "./alert-updates.ts";
import { DAY, OPEN_STATUSES, type ReportsContext } from "./context.ts";
import type { Followers } from "./followers.ts";
import { queueMerchantStatusNotices } from "./merchant-answers.ts";
import type { RejectReasonName, StaffActionResult, StaffActor, StaffReportActions } from "./reports.ts";
import type { FeedbackResult, ReportRoute, ReportsService } from "./service.ts";

type Db = Prisma.TransactionClient;

const feedbackSchema = z.union([z.object({ fixed: z.boolean() }), z.object({ rating: z.number().int().min(1).max(5) })]);

// SUBMITTED → ACKNOWLEDGED → IN_PROGRESS → RESOLVED; an acknowledged case may be resolved at once; any open case may be rejected.
const ALLOWED: Record<ReportStatus, ReportStatus[]> = {
  SUBMITTED: ["ACKNOWLEDGED", "REJECTED"],
  ACKNOWLEDGED: ["IN_PROGRESS", "RESOLVED", "REJECTED"],
  IN_PROGRESS: ["RESOLVED", "REJECTED"],
  RESOLVED: [],
  REJECTED: [],
};

// A town's largest transaction here is a handful of rows, but PGlite queues a burst of
// residents on its one connection and PostgreSQL queues same-spot submissions on a lock:
// allow more than Prisma's 5 s before giving up.
const TRANSACTION_OPTIONS = { timeout: 30_000, maxWait: 30_000 };

/**
 * What happens to a report after it is filed: staff claim, progress, resolve,
 * reject (merging a duplicate's followers into the original) and re-route it,
 * the reporter confirms, rates or reopens it, and staff block a reporter. Each
 * change writes its timeline entry and tells residents and groups in the same
 * transaction.
 */
export function lifecycleOf(ctx: ReportsContext, followers: Followers) {
  const { prisma, grid, townCode, clock, options, findUser, normalizeReference } = ctx;
  const { addFollower, notifyResidents } = followers;

  const routeIds = async (db: Db, route: ReportRoute | null) => {
    if (route?.kind === "roadCommittee") {
      const committee = await db.roadCommittee.findUnique({
        where: { townCode_code: { townCode, code: route.code } },
        select: { id: true },
      });
      return committee && { routedRoadCommitteeId: committee.id, routedDistrictId: null };
    }
    if (route?.kind === "districtCommittee") {
      const district = await db.district.findUnique({ where: { townCode_code: { townCode, code: route.code } }, select: { id: true } });
      return district && { routedRoadCommitteeId: null, routedDistrictId: district.id };
    }
    return null;
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
    prisma.$transaction(async (tx): Promise<StaffActionResult> => {
      const report = await tx.report.findUnique({ where: { reference: normalizeReference(reference) } });
      if (!report) return { type: "notFound" };
      if (!ALLOWED[report.status].includes(to)) return { type: "badTransition", from: report.status, to };
      const original = details.duplicateOfReference
        ? await tx.report.findUnique({ where: { reference: normalizeReference(details.duplicateOfReference) } })
        : null;
      if (details.duplicateOfReference && (!original || original.id === report.id)) return { type: "unknownTarget" };
      const now = clock();
      const moved = await tx.report.updateMany({
        where: { id: report.id, status: report.status },
        data: {
          status: to,
          updatedAt: now,
          ...(to === "RESOLVED" ? { resolvedAt: now } : {}),
          ...(details.rejectReason ? { rejectReason: details.rejectReason, duplicateOfId: original?.id ?? null } : {}),
        },
      });
      if (moved.count === 0) return { type: "conflict" };
      const event = await tx.reportEvent.create({
        data: {
          reportId: report.id,
          type: "STATUS_CHANGED",
          fromStatus: report.status,
          toStatus: to,
          note: details.note ?? null,
          photoId: details.photoId ?? null,
          actorKind: "STAFF",
          actorId: actor.staffId,
          actorLabel: actor.label,
          createdAt: now,
        },
      });
      await notifyResidents(tx, report.id, event.id, "report.status", {
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
        eventId: event.id,
        status: to,
        actorLabel: actor.label,
        note: details.note ?? null,
        createdAt: now,
      });
      await queueMerchantStatusNotices(tx, { reportId: report.id, eventId: event.id, status: to, createdAt: now });
      if (original) {
        // Everyone waiting on the duplicate now waits on the original, and only there.
        const followers = await tx.reportFollower.findMany({ where: { reportId: report.id }, orderBy: { createdAt: "asc" } });
        for (const userId of [report.reporterId, ...followers.map((f) => f.userId)]) {
          if (userId !== original.reporterId) await addFollower(prismaSql(tx), original.id, userId, "SYSTEM");
        }
        await tx.reportFollower.deleteMany({ where: { reportId: report.id } });
      }
      return { type: "ok", reference: report.reference, status: to };
    }, TRANSACTION_OPTIONS);

  const service: Pick<ReportsService, "recordFeedback"> &
    Pick<StaffReportActions, "acknowledge" | "startProgress" | "resolve" | "reject" | "reroute" | "blockUser"> = {
    async recordFeedback(reference, user, input): Promise<FeedbackResult> {
      const parsed = feedbackSchema.safeParse(input);
      if (!parsed.success) return { type: "notAllowed" };
      const feedback = parsed.data;
      return prisma.$transaction(async (tx): Promise<FeedbackResult> => {
        const report = await tx.report.findUnique({ where: { reference: normalizeReference(reference) } });
        const me = await findUser(tx, user);
        if (!report || !me || report.reporterId !== me.id || report.status !== "RESOLVED") return { type: "notAllowed" };
        const now = clock();
        if ("rating" in feedback) {
          await tx.report.update({ where: { id: report.id }, data: { rating: feedback.rating } });
          await tx.reportEvent.create({
            data: {
              reportId: report.id,
              type: "RATED",
              note: String(feedback.rating),
              actorKind: "RESIDENT",
              actorId: me.id,
              createdAt: now,
            },
          });
          return { type: "recorded", reference: report.reference };
        }
        if (feedback.fixed) {
          await tx.reportEvent.create({
            data: { reportId: report.id, type: "CONFIRMED_FIXED", actorKind: "RESIDENT", actorId: me.id, createdAt: now },
          });
          return { type: "recorded", reference: report.reference };
        }
        if (!report.resolvedAt || now.getTime() - report.resolvedAt.getTime() > options.reopenWindowDays * DAY)
          return { type: "tooLateToReopen", reference: report.reference };
        const moved = await tx.report.updateMany({
          where: { id: report.id, status: "RESOLVED" },
          data: { status: "IN_PROGRESS", resolvedAt: null, updatedAt: now },
        });
        if (moved.count === 0) return { type: "notAllowed" };
        const event = await tx.reportEvent.create({
          data: {
            reportId: report.id,
            type: "REOPENED",
            fromStatus: "RESOLVED",
            toStatus: "IN_PROGRESS",
            actorKind: "RESIDENT",
            actorId: me.id,
            createdAt: now,
          },
        });
        await notifyResidents(
          tx,
          report.id,
          event.id,
          "report.status",
          { status: "IN_PROGRESS", note: null, rejectReason: null, duplicateOf: null, route: null, reopened: true },
          me.id,
        );
        return { type: "reopened", reference: report.reference };
      }, TRANSACTION_OPTIONS);
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
      return prisma.$transaction(async (tx): Promise<StaffActionResult> => {
        const report = await tx.report.findUnique({ where: { reference: normalizeReference(reference) } });
        if (!report) return { type: "notFound" };
        if (!OPEN_STATUSES.includes(report.status)) return { type: "badTransition", from: report.status, to: report.status };
        const ids = await routeIds(tx, route);
        if (!ids) return { type: "unknownTarget" };
        const now = clock();
        // Conditional on the status read, like a status change: a case closed meanwhile is not re-routed.
        const moved = await tx.report.updateMany({
          where: { id: report.id, status: report.status },
          data: { ...ids, routed: true, updatedAt: now },
        });
        if (moved.count === 0) return { type: "conflict" };
        const event = await tx.reportEvent.create({
          data: {
            reportId: report.id,
            type: "REROUTED",
            note,
            actorKind: "STAFF",
            actorId: actor.staffId,
            actorLabel: actor.label,
            createdAt: now,
          },
        });
        await notifyResidents(tx, report.id, event.id, "report.rerouted", {
          status: report.status,
          note: maskPersonalNumbers(note),
          rejectReason: null,
          duplicateOf: null,
          route,
          reopened: false,
        });
        return { type: "ok", reference: report.reference, status: report.status };
      }, TRANSACTION_OPTIONS);
    },

    async blockUser(target, actor, reason) {
      const user =
        "reference" in target
          ? (await prisma.report.findUnique({ where: { reference: normalizeReference(target.reference) }, select: { reporter: true } }))
              ?.reporter
          : await findUser(prisma, target);
      if (!user) return { type: "notFound" };
      // Who blocked is kept with the reason, so another member of staff can ask them why.
      await prisma.chatUser.update({
        where: { id: user.id },
        data: { blockedAt: clock(), blockedReason: `${reason.trim()} (${actor.label}, ${actor.staffId})` },
      });
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
