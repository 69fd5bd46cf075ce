import type { AlertDestination, Prisma, PrismaClient, ReportStatus } from "../../generated/prisma/client.ts";
import { prismaSql } from "../../db/sql.ts";
import type { Logger } from "../../log.ts";
import type { Bilingual } from "../grid/index.ts";
import type { WorkingCalendar } from "../time/working-time.ts";
import {
  alertScopeOf,
  destinationsFor,
  localeOf,
  reportsCoveredBy,
  shopStandingOf,
  STAFF_ALERT_REPORT_INCLUDE,
  staffAlertOf,
  type StaffAlertPayload,
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
  prisma: PrismaClient;
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
// Like the reports service: PGlite queues transactions on its one connection, so allow more than Prisma's 5 s.
const TRANSACTION_OPTIONS = { timeout: 30_000, maxWait: 30_000 };

type Tx = Prisma.TransactionClient;
type CategoryLimits = { id: string; escalateAfterMinutes: number; deadlineWorkingDays: number };

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
  const { prisma, townCode, calendar } = deps;
  const logger = deps.logger.child({ component: "scheduler" });
  const clock = deps.clock ?? (() => new Date());
  const batchSize = deps.batchSize ?? DEFAULT_BATCH_SIZE;

  const categoryLimits = (): Promise<CategoryLimits[]> =>
    prisma.reportCategory.findMany({ where: { townCode }, select: { id: true, escalateAfterMinutes: true, deadlineWorkingDays: true } });

  /** Reports of each category created early enough that `minutes` working minutes have passed by `now`. */
  const pastLimit = (categories: CategoryLimits[], minutes: (category: CategoryLimits) => number, now: Date): Prisma.ReportWhereInput => ({
    OR: categories.map((category) => ({
      categoryId: category.id,
      createdAt: { lte: calendar.workingMinutesBefore(now, minutes(category)) },
    })),
  });
  const deadlineMinutes = (category: CategoryLimits) => category.deadlineWorkingDays * calendar.minutesPerDay;

  const queue = (
    tx: Tx | PrismaClient,
    now: Date,
    rows: { dedupeKey: string; kind: string; reportId: string | null; destination: AlertDestination; payload: object }[],
  ) =>
    rows.length === 0
      ? Promise.resolve({ count: 0 })
      : tx.outboxMessage.createMany({
          data: rows.map((row) => ({
            dedupeKey: row.dedupeKey,
            kind: row.kind,
            reportId: row.reportId,
            channel: row.destination.channel,
            chatId: row.destination.address,
            // Payloads are plain JSON by construction; their interfaces just have no index signature.
            payload: row.payload as unknown as Prisma.InputJsonObject,
            createdAt: now,
            nextAttemptAt: now,
          })),
          skipDuplicates: true,
        });

  /**
   * Works through the reports `find` returns, oldest first, batch by batch,
   * until fewer than a batch are left or a batch made no progress (every case
   * in it failed, and would only be read again).
   */
  const drain = async (
    find: () => Promise<{ id: string }[]>,
    handle: (id: string) => Promise<boolean>,
    what: string,
  ): Promise<{ done: number; failed: number }> => {
    let done = 0;
    let failed = 0;
    for (let batch = 0; batch < MAX_BATCHES; batch++) {
      const due = await find();
      let progress = 0;
      for (const { id } of due) {
        try {
          if (await handle(id)) done++;
          progress++;
        } catch (error) {
          failed++;
          logger.error(`could not ${what}; the next run tries again`, { reportId: id, error });
        }
      }
      if (due.length < batchSize || progress === 0) break;
    }
    return { done, failed };
  };

  const escalate = (id: string, now: Date): Promise<boolean> =>
    prisma.$transaction(async (tx) => {
      // Raw SQL so the report's updatedAt (what residents see as "last changed") stays as it was.
      const claimed = await tx.$executeRaw`
        UPDATE "Report" SET "escalatedAt" = ${now.toISOString()}::timestamp(3)
        WHERE "id" = ${id} AND "status" = 'SUBMITTED' AND "escalatedAt" IS NULL AND "routed"`;
      if (claimed === 0) return false;
      const report = await tx.report.findUniqueOrThrow({ where: { id }, include: STAFF_ALERT_REPORT_INCLUDE });
      const shopStanding = await shopStandingOf(tx, townCode, report.merchantId, now);
      const destinations = await destinationsFor(prismaSql(tx), townCode, alertScopeOf(report), "escalation");
      const waitedMinutes = calendar.workingMinutesBetween(report.createdAt, now);
      if (destinations.length === 0)
        logger.info("unclaimed report has no director's group to escalate to", { reference: report.reference, waitedMinutes });
      await queue(
        tx,
        now,
        destinations.map((destination) => ({
          dedupeKey: `escalation:${id}:${destination.id}`,
          kind: ESCALATED_KIND,
          reportId: id,
          destination,
          payload: { alert: staffAlertOf(report, localeOf(destination), shopStanding), waitedMinutes } satisfies EscalationPayload,
        })),
      );
      return true;
    }, TRANSACTION_OPTIONS);

  const remind = (id: string, now: Date): Promise<boolean> =>
    prisma.$transaction(async (tx) => {
      const claimed = await tx.$executeRaw`
        UPDATE "Report" SET "overdueRemindedAt" = ${now.toISOString()}::timestamp(3)
        WHERE "id" = ${id} AND "status" IN ('SUBMITTED', 'ACKNOWLEDGED', 'IN_PROGRESS') AND "overdueRemindedAt" IS NULL AND "routed"`;
      if (claimed === 0) return false;
      const report = await tx.report.findUniqueOrThrow({ where: { id }, include: STAFF_ALERT_REPORT_INCLUDE });
      const shopStanding = await shopStandingOf(tx, townCode, report.merchantId, now);
      const workingDays = report.category.deadlineWorkingDays;
      const deadlineAt = calendar.addWorkingDays(report.createdAt, workingDays);
      const destinations = await destinationsFor(prismaSql(tx), townCode, alertScopeOf(report), "handling");
      await queue(
        tx,
        now,
        destinations.map((destination) => ({
          dedupeKey: `overdue:${id}:${destination.id}`,
          kind: OVERDUE_KIND,
          reportId: id,
          destination,
          payload: {
            alert: staffAlertOf(report, localeOf(destination), shopStanding),
            deadlineAt: deadlineAt.toISOString(),
            deadline: calendar.localDateTime(deadlineAt),
            workingDays,
            status: report.status,
          } satisfies OverduePayload,
        })),
      );
      return true;
    }, TRANSACTION_OPTIONS);

  const digestFor = async (
    destination: AlertDestination,
    categories: CategoryLimits[],
    now: Date,
    date: string,
  ): Promise<DailyDigestPayload> => {
    const area: Prisma.ReportWhereInput = { townCode, routed: true, ...reportsCoveredBy(destination) };
    const dayAgo = new Date(now.getTime() - DAY_MS);
    const overdue: Prisma.ReportWhereInput = {
      AND: [area, { status: { in: OPEN_STATUSES } }, pastLimit(categories, deadlineMinutes, now)],
    };
    const [created, open, overdueCount, resolved, oldest] = await Promise.all([
      prisma.report.count({ where: { AND: [area, { createdAt: { gt: dayAgo, lte: now } }] } }),
      prisma.report.count({ where: { AND: [area, { status: { in: OPEN_STATUSES } }] } }),
      prisma.report.count({ where: overdue }),
      prisma.report.count({ where: { AND: [area, { status: "RESOLVED", resolvedAt: { gt: dayAgo, lte: now } }] } }),
      prisma.report.findMany({
        where: overdue,
        orderBy: [{ createdAt: "asc" }, { reference: "asc" }],
        take: DIGEST_OVERDUE_LIST,
        select: { reference: true, createdAt: true, category: { select: { name: true, nameEn: true } } },
      }),
    ]);
    return {
      date,
      counts: { new: created, open, overdue: overdueCount, resolved },
      oldestOverdue: oldest.map((report) => ({
        reference: report.reference,
        category: { zh: report.category.name, en: report.category.nameEn },
        submittedOn: calendar.localDate(report.createdAt),
      })),
      locale: localeOf(destination),
    };
  };

  const digests = async (now: Date, categories: CategoryLimits[]): Promise<number> => {
    if (calendar.localMinutes(now) < deps.dailyDigestAt) return 0;
    const date = calendar.localDate(now);
    const destinations = await prisma.alertDestination.findMany({ where: { townCode }, orderBy: { code: "asc" } });
    const keyOf = (destination: AlertDestination) => `digest:${destination.id}:${date}`;
    const queued = new Set(
      (await prisma.outboxMessage.findMany({ where: { dedupeKey: { in: destinations.map(keyOf) } }, select: { dedupeKey: true } })).map(
        (row) => row.dedupeKey,
      ),
    );
    let count = 0;
    for (const destination of destinations.filter((d) => !queued.has(keyOf(d))).slice(0, MAX_DIGESTS_PER_RUN)) {
      const payload = await digestFor(destination, categories, now, date);
      // Another instance may have queued it since the check above; the dedupe key keeps theirs.
      const written = await queue(prisma, now, [
        {
          dedupeKey: keyOf(destination),
          kind: DAILY_DIGEST_KIND,
          reportId: null,
          destination,
          payload: payload satisfies DailyDigestPayload,
        },
      ]);
      count += written.count;
    }
    return count;
  };

  return {
    async runOnce(now = clock()) {
      const categories = await categoryLimits();
      const open = { townCode, routed: true };
      const escalated = await drain(
        () =>
          prisma.report.findMany({
            where: {
              ...open,
              status: "SUBMITTED",
              escalatedAt: null,
              ...pastLimit(categories, (category) => category.escalateAfterMinutes, now),
            },
            orderBy: [{ createdAt: "asc" }, { id: "asc" }],
            take: batchSize,
            select: { id: true },
          }),
        (id) => escalate(id, now),
        "escalate a report",
      );
      const reminded = await drain(
        () =>
          prisma.report.findMany({
            where: { ...open, status: { in: OPEN_STATUSES }, overdueRemindedAt: null, ...pastLimit(categories, deadlineMinutes, now) },
            orderBy: [{ createdAt: "asc" }, { id: "asc" }],
            take: batchSize,
            select: { id: true },
          }),
        (id) => remind(id, now),
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
