import type { AlertDestination, OutboxMessage, PrismaClient, Report, ReportCategory, ReportStatus } from "../../generated/prisma/client.ts";
import { join, sql, type Sql, type Statement } from "../../db/sql.ts";
import type { Logger } from "../../log.ts";
import type { Bilingual } from "../grid/index.ts";
import type { WorkingCalendar } from "../time/working-time.ts";
import { compactStandingOf, type CompactStanding } from "../compact/standing.ts";
import { queueOutbox } from "../outbox/queue.ts";
import {
  alertScopeOf,
  destinationsFor,
  localeOf,
  staffAlertOf,
  staffAlertReport,
  type StaffAlertPayload,
  type StaffAlertReport,
} from "./alerts.ts";

/*
 * The alert scheduler: what happens to a case because time passed rather than
 * because someone acted. Unclaimed cases are escalated to the director's group,
 * cases past their deadline are brought back to the handling groups, and every
 * group gets a morning digest. Each message is an outbox row with a dedupe key
 * and each case is marked in the same transaction, so any number of instances
 * may run the scheduler at once and a restart repeats nothing.
 */

/** Outbox kind of an escalation: an unclaimed case, sent to the director's groups of its area. */
export const ESCALATED_KIND = "alert.escalated";
/** Outbox kind of a deadline reminder, sent to the groups handling the case. */
export const OVERDUE_KIND = "alert.overdue";
/** Outbox kind of the morning digest of one group. */
export const DAILY_DIGEST_KIND = "digest.daily";

/** An escalated case: the alert as the director's group reads it, and how long it waited unclaimed. */
export interface EscalationPayload {
  alert: StaffAlertPayload;
  /** Working minutes since the report was submitted. */
  waitedMinutes: number;
}

/** A case past its deadline, in the status it is in now. */
export interface OverduePayload {
  alert: StaffAlertPayload;
  /** The deadline as an instant (ISO 8601) … */
  deadlineAt: string;
  /** … and as staff read it, in the town's time zone ("2026-03-04 17:00"). */
  deadline: string;
  /** The category's deadline in working days. */
  workingDays: number;
  status: ReportStatus;
}

/** One overdue case listed in a digest. */
export interface DigestCase {
  reference: string;
  category: Bilingual;
  /** Local date of submission (YYYY-MM-DD). */
  submittedOn: string;
}

/** A group's morning overview of the cases its subscriptions cover. */
export interface DailyDigestPayload {
  /** The local date the digest is for (YYYY-MM-DD). */
  date: string;
  counts: {
    /** Submitted in the 24 hours before the digest. */
    new: number;
    /** Not yet resolved or rejected. */
    open: number;
    /** Open and past their deadline. */
    overdue: number;
    /** Resolved in the 24 hours before the digest. */
    resolved: number;
  };
  /** The oldest overdue cases, oldest first, at most {@link DIGEST_OVERDUE_LIST}. */
  oldestOverdue: DigestCase[];
  locale: "zh" | "en";
}

/** How many overdue cases a digest names. */
export const DIGEST_OVERDUE_LIST = 10;

/** What one run did; counts of cases marked and digests queued by this instance. */
export interface SchedulerRun {
  escalated: number;
  reminded: number;
  digests: number;
  /** Cases that failed (logged) and are tried again next run. */
  failed: number;
}

/** The scheduler as the composition root and tests drive it. */
export interface AlertScheduler {
  /** Does everything due at `now` (default: the clock), in bounded batches; safe to run from several instances at once. */
  runOnce(now?: Date): Promise<SchedulerRun>;
}

/** Everything the scheduler needs; `clock` lets tests move time. */
export interface AlertSchedulerDeps {
  /** For what Prisma owns: the categories' limits, the alert destinations, shops' standing with the compact. */
  prisma: PrismaClient;
  /** The database through its driver: reports and the outbox are SQL's tables (decision record 0007). */
  sql: Sql;
  townCode: string;
  calendar: WorkingCalendar;
  /** Local time (minutes after midnight) from which each day's digest is due, e.g. 510 for 08:30. */
  dailyDigestAt: number;
  logger: Logger;
  clock?: () => Date;
  /** Cases read per query; a run handles at most {@link MAX_BATCHES} batches of each kind. */
  batchSize?: number;
}

const DEFAULT_BATCH_SIZE = 100;
/** Batches of one kind per run: a large backlog (say, after an outage) is worked off over several minutes instead of one long run. */
const MAX_BATCHES = 10;
/** Digests computed per run; a town has far fewer groups. */
const MAX_DIGESTS_PER_RUN = 100;
const DAY_MS = 24 * 60 * 60_000;
const OPEN_STATUSES: ReportStatus[] = ["SUBMITTED", "ACKNOWLEDGED", "IN_PROGRESS"];

/** A category's working-time limits: how long an unclaimed case waits before escalation, and its deadline. */
export type CategoryLimits = Pick<ReportCategory, "id" | "escalateAfterMinutes" | "deadlineWorkingDays">;
/** A case found due, with the shop it names, whose standing is looked up once per batch. */
type DueReport = Pick<Report, "id" | "merchantId">;

/** `column IN (values)`, false for no values (as Prisma reads `in: []`). */
const isIn = (column: Statement, values: readonly string[]): Statement =>
  values.length === 0 ? sql`FALSE` : sql`${column} IN (${join(values)})`;

/**
 * The reports (`r`, joined with the tables {@link REPORT_AREA} names) a
 * destination covers: the database counterpart of destinationCovers, for
 * digests that count them.
 */
function coveredBy(destination: Pick<AlertDestination, "districtCodes" | "roadCommitteeCodes" | "categoryCodes">): Statement {
  const wholeTown = destination.districtCodes.length === 0 && destination.roadCommitteeCodes.length === 0;
  const byArea = wholeTown
    ? sql`TRUE`
    : sql`(${isIn(sql`d."code"`, destination.districtCodes)} OR ${isIn(sql`rdd."code"`, destination.districtCodes)}
        OR ${isIn(sql`rc."code"`, destination.roadCommitteeCodes)})`;
  const byCategory = destination.categoryCodes.length === 0 ? sql`TRUE` : isIn(sql`c."code"`, destination.categoryCodes);
  return sql`${byArea} AND ${byCategory}`;
}

/** Reports with what {@link coveredBy} and a digest read of them. */
const REPORT_AREA = sql`"Report" r JOIN "ReportCategory" c ON c."id" = r."categoryId"
  LEFT JOIN "District" d ON d."id" = r."districtId" LEFT JOIN "District" rdd ON rdd."id" = r."routedDistrictId"
  LEFT JOIN "RoadCommittee" rc ON rc."id" = r."routedRoadCommitteeId"`;

const OPEN = sql`r."status" IN (${join(OPEN_STATUSES)})`;

/** Reports (`r`) of each category created early enough that `minutes` working minutes have passed by `now`. */
function pastLimit<Category extends Pick<CategoryLimits, "id">>(
  categories: readonly Category[],
  minutes: (category: Category) => number,
  calendar: WorkingCalendar,
  now: Date,
): Statement {
  return categories.length === 0
    ? sql`FALSE`
    : sql`(${join(
        categories.map(
          (category) =>
            sql`(r."categoryId" = ${category.id} AND r."createdAt" <= ${calendar.workingMinutesBefore(now, minutes(category))})`,
        ),
        " OR ",
      )})`;
}

/** Working minutes from submission to a case's deadline: its category's working days, each a full working day. */
export function deadlineMinutes(category: Pick<CategoryLimits, "deadlineWorkingDays">, calendar: WorkingCalendar): number {
  return category.deadlineWorkingDays * calendar.minutesPerDay;
}

/**
 * Open reports (`r`) past their category's deadline at `now`: the one meaning
 * of "overdue" shared by the deadline reminders, the digests' counts, the
 * staff's case list and the console's figures, so a case the desk marks
 * overdue is one the groups are (or will be, at the next run) reminded of.
 */
export function overdueAt(
  categories: readonly Pick<CategoryLimits, "id" | "deadlineWorkingDays">[],
  calendar: WorkingCalendar,
  now: Date,
): Statement {
  return sql`${OPEN} AND ${pastLimit(categories, (category) => deadlineMinutes(category, calendar), calendar, now)}`;
}

/**
 * Creates the scheduler of one town.
 *
 * - Escalation: a routed report still SUBMITTED whose working minutes since
 *   submission reached its category's `escalateAfterMinutes` is sent, once, to
 *   every director's group (`escalation: true`) covering its area and category
 *   (`escalation:<report>:<destination>`), and marked `escalatedAt`. Without
 *   such a group it is only marked.
 * - Deadline: a routed open report past `deadlineWorkingDays` working days is
 *   sent, once, to the handling groups that get its new alerts
 *   (`overdue:<report>:<destination>`), and marked `overdueRemindedAt`.
 * - Daily digest: from `dailyDigestAt` local time, every destination gets one
 *   digest per local day (`digest:<destination>:<date>`).
 *
 * Marking a case and queuing its rows happen in one transaction, conditional on
 * the case still qualifying, so concurrent runs and staff acting at the same
 * moment never produce a second message.
 */
export function createAlertScheduler(deps: AlertSchedulerDeps): AlertScheduler {
  const { prisma, sql: db, townCode, calendar } = deps;
  const logger = deps.logger.child({ component: "scheduler" });
  const clock = deps.clock ?? (() => new Date());
  const batchSize = deps.batchSize ?? DEFAULT_BATCH_SIZE;

  const categoryLimits = (): Promise<CategoryLimits[]> =>
    prisma.reportCategory.findMany({ where: { townCode }, select: { id: true, escalateAfterMinutes: true, deadlineWorkingDays: true } });

  /** The routed reports of the town that `condition` picks, oldest first, one batch. */
  const due = (condition: Statement): Promise<DueReport[]> =>
    db.query<DueReport>(
      sql`SELECT r."id", r."merchantId" FROM "Report" r WHERE r."townCode" = ${townCode} AND r."routed" AND ${condition}
        ORDER BY r."createdAt", r."id" LIMIT ${batchSize}`,
    );

  /**
   * Works through the reports `find` returns, oldest first, batch by batch,
   * until fewer than a batch are left or a batch made no progress (every case
   * in it failed, and would only be read again). The standing of the shops a
   * batch names is read once for the batch, before any case's transaction.
   */
  const drain = async (
    find: () => Promise<DueReport[]>,
    handle: (id: string, shopStanding: CompactStanding | null) => Promise<boolean>,
    now: Date,
    what: string,
  ): Promise<{ done: number; failed: number }> => {
    let done = 0;
    let failed = 0;
    for (let batch = 0; batch < MAX_BATCHES; batch++) {
      const reports = await find();
      const shops = [...new Set(reports.flatMap((report) => (report.merchantId ? [report.merchantId] : [])))];
      const standing = await compactStandingOf(db, townCode, shops, now);
      let progress = 0;
      for (const { id, merchantId } of reports) {
        try {
          if (await handle(id, merchantId ? (standing.get(merchantId) ?? null) : null)) done++;
          progress++;
        } catch (error) {
          failed++;
          logger.error(`could not ${what}; the next run tries again`, { reportId: id, error });
        }
      }
      if (reports.length < batchSize || progress === 0) break;
    }
    return { done, failed };
  };

  /** The report, once marked by `claim` in `tx`; undefined when it no longer qualified. */
  const claimed = async (tx: Sql, id: string, claim: Statement): Promise<StaffAlertReport | undefined> => {
    if ((await tx.query(claim)).length === 0) return undefined;
    const [report] = await tx.query<StaffAlertReport>(staffAlertReport(id));
    return report;
  };

  const escalate = (id: string, now: Date, shopStanding: CompactStanding | null): Promise<boolean> =>
    db.transaction(async (tx) => {
      // Only the mark: the report's updatedAt (what residents see as "last changed") stays as it was.
      const report = await claimed(
        tx,
        id,
        sql`UPDATE "Report" r SET "escalatedAt" = ${now}
          WHERE r."id" = ${id} AND r."status" = 'SUBMITTED' AND r."escalatedAt" IS NULL AND r."routed" RETURNING r."id"`,
      );
      if (!report) return false;
      const destinations = await destinationsFor(tx, townCode, alertScopeOf(report), "escalation");
      const waitedMinutes = calendar.workingMinutesBetween(report.createdAt, now);
      if (destinations.length === 0)
        logger.info("unclaimed report has no director's group to escalate to", { reference: report.reference, waitedMinutes });
      await queueOutbox(
        tx,
        destinations.map((destination) => ({
          dedupeKey: `escalation:${id}:${destination.id}`,
          kind: ESCALATED_KIND,
          reportId: id,
          channel: destination.channel,
          chatId: destination.address,
          payload: { alert: staffAlertOf(report, localeOf(destination), shopStanding), waitedMinutes } satisfies EscalationPayload,
        })),
        now,
      );
      return true;
    });

  const remind = (id: string, now: Date, shopStanding: CompactStanding | null): Promise<boolean> =>
    db.transaction(async (tx) => {
      const report = await claimed(
        tx,
        id,
        sql`UPDATE "Report" r SET "overdueRemindedAt" = ${now}
          WHERE r."id" = ${id} AND ${OPEN} AND r."overdueRemindedAt" IS NULL AND r."routed" RETURNING r."id"`,
      );
      if (!report) return false;
      const workingDays = report.category.deadlineWorkingDays;
      const deadlineAt = calendar.addWorkingDays(report.createdAt, workingDays);
      const destinations = await destinationsFor(tx, townCode, alertScopeOf(report), "handling");
      await queueOutbox(
        tx,
        destinations.map((destination) => ({
          dedupeKey: `overdue:${id}:${destination.id}`,
          kind: OVERDUE_KIND,
          reportId: id,
          channel: destination.channel,
          chatId: destination.address,
          payload: {
            alert: staffAlertOf(report, localeOf(destination), shopStanding),
            deadlineAt: deadlineAt.toISOString(),
            deadline: calendar.localDateTime(deadlineAt),
            workingDays,
            status: report.status,
          } satisfies OverduePayload,
        })),
        now,
      );
      return true;
    });

  const digestFor = async (
    destination: AlertDestination,
    categories: CategoryLimits[],
    now: Date,
    date: string,
  ): Promise<DailyDigestPayload> => {
    const area = sql`r."townCode" = ${townCode} AND r."routed" AND ${coveredBy(destination)}`;
    const dayAgo = new Date(now.getTime() - DAY_MS);
    const overdue = overdueAt(categories, calendar, now);
    const [[counts], oldest] = await Promise.all([
      db.query<DailyDigestPayload["counts"]>(
        sql`SELECT COUNT(*) FILTER (WHERE r."createdAt" > ${dayAgo} AND r."createdAt" <= ${now})::int AS "new",
            COUNT(*) FILTER (WHERE ${OPEN})::int AS "open",
            COUNT(*) FILTER (WHERE ${overdue})::int AS "overdue",
            COUNT(*) FILTER (WHERE r."status" = 'RESOLVED' AND r."resolvedAt" > ${dayAgo} AND r."resolvedAt" <= ${now})::int AS "resolved"
          FROM ${REPORT_AREA} WHERE ${area}`,
      ),
      db.query<Pick<Report, "reference" | "createdAt"> & Pick<ReportCategory, "name" | "nameEn">>(
        sql`SELECT r."reference", r."createdAt", c."name", c."nameEn" FROM ${REPORT_AREA} WHERE ${area} AND ${overdue}
          ORDER BY r."createdAt", r."reference" LIMIT ${DIGEST_OVERDUE_LIST}`,
      ),
    ]);
    return {
      date,
      counts: counts!,
      oldestOverdue: oldest.map((report) => ({
        reference: report.reference,
        category: { zh: report.name, en: report.nameEn },
        submittedOn: calendar.localDate(report.createdAt),
      })),
      locale: localeOf(destination),
    };
  };

  const digests = async (now: Date, categories: CategoryLimits[]): Promise<number> => {
    if (calendar.localMinutes(now) < deps.dailyDigestAt) return 0;
    const date = calendar.localDate(now);
    const destinations = await prisma.alertDestination.findMany({ where: { townCode }, orderBy: { code: "asc" } });
    if (destinations.length === 0) return 0;
    const keyOf = (destination: AlertDestination) => `digest:${destination.id}:${date}`;
    const queued = new Set(
      (
        await db.query<Pick<OutboxMessage, "dedupeKey">>(
          sql`SELECT "dedupeKey" FROM "OutboxMessage" WHERE "dedupeKey" IN (${join(destinations.map(keyOf))})`,
        )
      ).map((row) => row.dedupeKey),
    );
    let count = 0;
    for (const destination of destinations.filter((d) => !queued.has(keyOf(d))).slice(0, MAX_DIGESTS_PER_RUN)) {
      const payload = await digestFor(destination, categories, now, date);
      // Another instance may have queued it since the check above; the dedupe key keeps theirs.
      count += await queueOutbox(
        db,
        [
          {
            dedupeKey: keyOf(destination),
            kind: DAILY_DIGEST_KIND,
            reportId: null,
            channel: destination.channel,
            chatId: destination.address,
            payload: payload satisfies DailyDigestPayload,
          },
        ],
        now,
      );
    }
    return count;
  };

  return {
    async runOnce(now = clock()) {
      const categories = await categoryLimits();
      const escalated = await drain(
        () =>
          due(
            sql`r."status" = 'SUBMITTED' AND r."escalatedAt" IS NULL AND ${pastLimit(categories, (category) => category.escalateAfterMinutes, calendar, now)}`,
          ),
        (id, shopStanding) => escalate(id, now, shopStanding),
        now,
        "escalate a report",
      );
      const reminded = await drain(
        () => due(sql`${overdueAt(categories, calendar, now)} AND r."overdueRemindedAt" IS NULL`),
        (id, shopStanding) => remind(id, now, shopStanding),
        now,
        "remind of a passed deadline",
      );
      const run: SchedulerRun = {
        escalated: escalated.done,
        reminded: reminded.done,
        digests: await digests(now, categories),
        failed: escalated.failed + reminded.failed,
      };
      if (run.escalated + run.reminded + run.digests + run.failed > 0) logger.info("scheduled alerts queued", { ...run });
      return run;
    },
  };
}
