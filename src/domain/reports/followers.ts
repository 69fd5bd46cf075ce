import { randomUUID } from "node:crypto";
import type { ActorKind, ChatUser, Report } from "../../generated/prisma/client.ts";
import { sql, type Sql } from "../../db/sql.ts";
import { chatUserUpsert } from "../chat-users.ts";
import { queueOutbox, type OutboxRow } from "../outbox/queue.ts";
import { OPEN_STATUSES, type ReportsContext } from "./context.ts";
import type { ReportOutboxKind, ResidentUpdatePayload } from "./reports.ts";
import type { FollowResult, ReportsService } from "./service.ts";

/** What changed, as {@link ResidentUpdatePayload} without what each recipient adds. */
export type ResidentUpdate = Omit<ResidentUpdatePayload, "reference" | "relation" | "locale" | "askFeedback"> & {
  askReporterForFeedback?: boolean;
};

/**
 * Followers of a report and what residents are told: adding a follower (the
 * only way one is added, so the count stays right), the residents' outbox rows
 * of a change, and {@link ReportsService.follow}.
 */
export function followersOf(ctx: ReportsContext) {
  const { db, clock, normalizeReference } = ctx;

  /**
   * Makes `userId` a follower of `reportId` once, with its timeline entry, the report's
   * `updatedAt` and `followerCount`, in one statement; false when they already were. The only
   * way a follower is added, which keeps the count right.
   */
  const addFollower = async (tx: Sql, reportId: string, userId: string, actorKind: ActorKind): Promise<boolean> => {
    const [followerId, eventId, now] = [randomUUID(), randomUUID(), clock()];
    const [row] = await tx.query<{ added: number }>(
      sql`WITH added AS (
         INSERT INTO "ReportFollower" ("id", "reportId", "userId", "createdAt") VALUES (${followerId}, ${reportId}, ${userId}, ${now})
         ON CONFLICT ("reportId", "userId") DO NOTHING RETURNING "id"
       ), event AS (
         INSERT INTO "ReportEvent" ("id", "reportId", "type", "actorKind", "actorId", "createdAt")
         SELECT ${eventId}, ${reportId}, 'FOLLOWED', ${actorKind}::"ActorKind", ${actorKind === "RESIDENT" ? userId : null}, ${now} FROM added
       ), touched AS (
         UPDATE "Report" SET "updatedAt" = ${now}, "followerCount" = "followerCount" + 1 WHERE "id" = ${reportId} AND EXISTS (SELECT 1 FROM added)
       )
       SELECT COUNT(*)::int AS "added" FROM added`,
    );
    return row!.added > 0;
  };

  /** Queues one update per recipient (reporter and followers, minus `except`) in the caller's transaction. */
  const notifyResidents = async (
    tx: Sql,
    reportId: string,
    eventId: string,
    kind: ReportOutboxKind,
    content: ResidentUpdate,
    except?: string,
  ) => {
    // The reporter first, then the followers in the order they joined.
    const recipients = await tx.query<Pick<ChatUser, "id" | "channel" | "chatId" | "locale"> & Pick<Report, "reference" | "reporterId">>(
      sql`SELECT u."id", u."channel", u."chatId", u."locale", r."reference", r."reporterId"
          FROM "Report" r
          JOIN "ChatUser" u ON u."id" = r."reporterId" OR u."id" IN (SELECT f."userId" FROM "ReportFollower" f WHERE f."reportId" = r."id")
          LEFT JOIN "ReportFollower" f ON f."reportId" = r."id" AND f."userId" = u."id"
          WHERE r."id" = ${reportId}
          ORDER BY u."id" = r."reporterId" DESC, f."createdAt", f."id"`,
    );
    const report = recipients[0];
    if (!report) throw new Error(`Report ${reportId} does not exist.`);
    // One statement for every recipient, however many follow the case.
    await queueOutbox(tx, residentUpdateRows(report, recipients, eventId, kind, content, except), clock());
  };

  /** The outbox rows of {@link notifyResidents} for recipients the caller already holds (a report just created has only its reporter). */
  const residentUpdateRows = (
    report: { reference: string; reporterId: string },
    recipients: { id: string; channel: string; chatId: string; locale: string }[],
    eventId: string,
    kind: ReportOutboxKind,
    content: ResidentUpdate,
    except?: string,
  ): OutboxRow[] => {
    const { askReporterForFeedback, ...rest } = content;
    return recipients
      .filter((user) => user.id !== except)
      .map((user) => {
        const relation = user.id === report.reporterId ? "reporter" : "follower";
        const payload: ResidentUpdatePayload = {
          ...rest,
          reference: report.reference,
          relation,
          locale: user.locale === "en" ? "en" : "zh",
          askFeedback: relation === "reporter" && askReporterForFeedback === true,
        };
        return { dedupeKey: `${eventId}:${user.id}`, kind, channel: user.channel, chatId: user.chatId, payload };
      });
  };

  const service: Pick<ReportsService, "follow"> = {
    async follow(reference, user): Promise<FollowResult> {
      // The last step of most reports in a busy street: two statements, each atomic on its own, and no
      // transaction around them (decision record 0005). Nothing is locked between them, as nothing was
      // when this ran in one transaction: a report closed in between still gains the follower.
      const [found] = await db.query<{ userId: string; report: Pick<Report, "id" | "reference" | "status" | "reporterId"> | null }>(
        sql`WITH "user" AS (${chatUserUpsert(user, clock())})
         SELECT u."id" AS "userId", CASE WHEN r."id" IS NULL THEN NULL ELSE json_build_object('id', r."id", 'reference', r."reference", 'status', r."status", 'reporterId', r."reporterId") END AS "report"
         FROM "user" u LEFT JOIN "Report" r ON r."reference" = ${normalizeReference(reference)}`,
      );
      const { userId, report } = found!;
      if (!report) return { type: "notFound" };
      if (!OPEN_STATUSES.includes(report.status)) return { type: "closed", reference: report.reference };
      if (report.reporterId === userId) return { type: "ownReport", reference: report.reference };
      return {
        type: (await addFollower(db, report.id, userId, "RESIDENT")) ? "followed" : "alreadyFollowing",
        reference: report.reference,
      };
    },
  };

  return { addFollower, notifyResidents, residentUpdateRows, ...service };
}

/** The follower helpers of one town, made by {@link followersOf}. */
export type Followers = ReturnType<typeof followersOf>;
