import { randomUUID } from "node:crypto";
import type { Merchant, OutboxMessage, Report, ReportCategory, ReportEvent, ReportStatus, Road } from "../../generated/prisma/client.ts";
import { join, sql, type Sql } from "../../db/sql.ts";
import { boundShopsOf, recipientsOfShop, type BoundShop } from "../compact/accounts.ts";
import type { Bilingual } from "../grid/index.ts";
import { storedText } from "../grid/text.ts";
import { queueOutbox, type OutboxRow } from "../outbox/queue.ts";
import { maskPersonalNumbers } from "../privacy.ts";
import { alertOf } from "./alert-updates.ts";
import type { RejectReasonName } from "./reports.ts";
import type { ReportStatusName, ReportView } from "./service.ts";

/** Outbox kind of the notice a shop's accounts get when a report names the shop. */
export const MERCHANT_REPORT_KIND = "merchant.report";
/** Outbox kind of the notice a shop's accounts get when a case about the shop is closed. */
export const MERCHANT_STATUS_KIND = "merchant.status";
/** Outbox kind of the message staff groups get when a shop answers a case they were alerted about. */
export const MERCHANT_ANSWER_ALERT_KIND = "alert.merchantAnswer";

/**
 * What a shop is told about a report naming it. Deliberately without the
 * reporter: no name, chat ids, contact preference or follower count, and the
 * description masked. The place is the road and house number only.
 */
export interface MerchantNoticePayload {
  reference: string;
  shop: Bilingual;
  category: Bilingual;
  clause: { ref: string; text: Bilingual };
  /** ISO time the report was filed. */
  reportedAt: string;
  place: Bilingual | null;
  description: string;
  locale: "zh" | "en";
}

/**
 * What a shop is told when a case about it is closed: the outcome only. Staff
 * notes are left out because they are written for the reporter and may name them.
 */
export interface MerchantStatusPayload {
  reference: string;
  shop: Bilingual;
  status: "RESOLVED" | "REJECTED";
  rejectReason: RejectReasonName | null;
  locale: "zh" | "en";
}

/** What a staff group that was alerted about a case is told when the shop answers. */
export interface MerchantAnswerAlertPayload {
  reference: string;
  shop: Bilingual;
  answer: MerchantAnswerKind;
  /** Masked: the group is wider than the staff handling the case. */
  note: string;
  photoId: string | null;
  locale: "zh" | "en";
}

/** The two answers a shop can give: the problem is put right, or the report is disputed. */
export type MerchantAnswerKind = "rectified" | "disputed";

/** A shop's answer to a report: put right (with a note and optionally a photo), or disputed with a reason. */
export type MerchantAnswer = { kind: "rectified"; note: string; photoId?: string } | { kind: "disputed"; note: string };

/** One report about a shop in a merchant's list. */
export interface MerchantCaseLine {
  reference: string;
  shop: Bilingual;
  category: Bilingual;
  status: ReportStatusName;
  place: Bilingual | null;
  reportedAt: Date;
}

/**
 * A report as its shop sees it: what, where and when, the masked description
 * and the timeline without residents' doings beyond the submission and without
 * staff notes (written for the reporter). Never who reported it.
 */
export interface MerchantCaseView extends MerchantCaseLine {
  clause: { ref: string; text: Bilingual };
  description: string;
  rejectReason: RejectReasonName | null;
  timeline: ReportView["timeline"];
}

/** A merchant's reports, or a refusal for an account bound to no shop. */
export type MerchantCasesResult =
  | { type: "ok"; shops: BoundShop[]; open: MerchantCaseLine[]; history: MerchantCaseLine[] }
  | { type: "notMerchant" };

/** `notFound` also for a report about another shop, so a merchant cannot probe references. */
export type MerchantViewResult = { type: "ok"; view: MerchantCaseView } | { type: "notMerchant" } | { type: "notFound" };

/** The outcome of a shop's answer: recorded (and how many staff groups were told), or why not. Never thrown. */
export type MerchantAnswerResult =
  | { type: "ok"; reference: string; answer: MerchantAnswerKind; staffGroups: number }
  | { type: "notMerchant" }
  | { type: "notFound" }
  /** Closed cases (resolved or rejected) take no more answers. */
  | { type: "closed"; reference: string; status: ReportStatusName }
  /** The note or reason is not between {@link MIN_ANSWER_NOTE} and {@link MAX_ANSWER_NOTE} characters. */
  | { type: "invalidNote" };

/** The shortest note or dispute reason a shop may give, after trimming. */
export const MIN_ANSWER_NOTE = 2;
/** The longest note or dispute reason a shop may give, after trimming. */
export const MAX_ANSWER_NOTE = 500;
/** How many closed reports a merchant's history shows. */
export const HISTORY_LIMIT = 20;
/** How many open reports a merchant's list shows; a shop with more has bigger problems than a long list. */
export const OPEN_LIMIT = 30;

/**
 * The merchant side of reports: the reports about a chat account's shops, and
 * the shop's answers to them. Every call checks the account is bound (and not
 * revoked) to the report's shop; anyone else is refused.
 */
export interface MerchantReports {
  /** Open reports (oldest first) and the last closed ones about the caller's shops. */
  casesOf(who: ChatAccount): Promise<MerchantCasesResult>;
  view(who: ChatAccount, reference: string): Promise<MerchantViewResult>;
  /** Adds the answer to the case timeline and tells the staff groups alerted about it, in one transaction. */
  answer(who: ChatAccount, reference: string, answer: MerchantAnswer): Promise<MerchantAnswerResult>;
}

/** A chat account as the channels name it; the binding to a shop is looked up from it on every call. */
export interface ChatAccount {
  channel: string;
  userId: string;
}

const OPEN_STATUSES: ReportStatus[] = ["SUBMITTED", "ACKNOWLEDGED", "IN_PROGRESS"];
const CLOSED_STATUSES: ReportStatus[] = ["RESOLVED", "REJECTED"];
// The groups that handle a case: those that got its alert or its deadline reminder. Director's
// groups (escalations) hear of single cases only when they are escalated.
const HANDLING_ALERT_KINDS = ["alert.new", "alert.overdue"];
const WHITESPACE = /\s+/g;

/** A report about a shop as merchants see it, with its category, road and shop. */
type CaseReport = Pick<
  Report,
  "id" | "reference" | "townCode" | "status" | "routed" | "houseNumber" | "description" | "rejectReason" | "createdAt"
> & {
  merchantId: Merchant["id"];
  category: Pick<ReportCategory, "name" | "nameEn" | "clauseRef" | "clauseText" | "clauseTextEn">;
  road: Pick<Road, "name" | "nameEn"> | null;
  merchant: Pick<Merchant, "name" | "nameEn">;
};

type CaseRow = Omit<CaseReport, "category" | "road" | "merchant"> &
  Pick<ReportCategory, "clauseRef" | "clauseText" | "clauseTextEn"> & {
    categoryName: string;
    categoryNameEn: string;
    roadName: string | null;
    roadNameEn: string | null;
    shopName: string;
    shopNameEn: string;
  };

/** The reports that name a shop, with what {@link CaseReport} shows; the caller adds the WHERE. */
const CASE_SELECT = sql`SELECT r."id", r."reference", r."townCode", r."status", r."routed", r."houseNumber", r."description", r."rejectReason",
    r."createdAt", r."merchantId", c."name" AS "categoryName", c."nameEn" AS "categoryNameEn", c."clauseRef", c."clauseText", c."clauseTextEn",
    rd."name" AS "roadName", rd."nameEn" AS "roadNameEn", m."name" AS "shopName", m."nameEn" AS "shopNameEn"
  FROM "Report" r JOIN "ReportCategory" c ON c."id" = r."categoryId" JOIN "Merchant" m ON m."id" = r."merchantId"
    LEFT JOIN "Road" rd ON rd."id" = r."roadId"`;

function caseOf(row: CaseRow): CaseReport {
  const { categoryName, categoryNameEn, clauseRef, clauseText, clauseTextEn, roadName, roadNameEn, shopName, shopNameEn, ...report } = row;
  return {
    ...report,
    category: { name: categoryName, nameEn: categoryNameEn, clauseRef, clauseText, clauseTextEn },
    road: roadName !== null && roadNameEn !== null ? { name: roadName, nameEn: roadNameEn } : null,
    merchant: { name: shopName, nameEn: shopNameEn },
  };
}

/** "XX路12号" / "No. 12, XX Road": road and number only, nothing that narrows down a resident's home. */
function roadPlaceOf(report: { road: { name: string; nameEn: string } | null; houseNumber: number | null }): Bilingual | null {
  if (!report.road) return null;
  const n = report.houseNumber;
  return n !== null
    ? { zh: `${report.road.name}${n}号`, en: `No. ${n}, ${report.road.nameEn}` }
    : { zh: report.road.name, en: report.road.nameEn };
}

function shopOf(merchant: { name: string; nameEn: string }): Bilingual {
  return { zh: merchant.name, en: merchant.nameEn };
}

function lineOf(report: CaseReport): MerchantCaseLine {
  return {
    reference: report.reference,
    shop: shopOf(report.merchant),
    category: { zh: report.category.name, en: report.category.nameEn },
    status: report.status,
    place: roadPlaceOf(report),
    reportedAt: report.createdAt,
  };
}

function normalizeReference(reference: string): string {
  return reference.replace(WHITESPACE, "").toUpperCase();
}

/**
 * The notices of a new report to every account of the shop it names, for the
 * submitting transaction to queue with the report, so a notice exists exactly
 * when the report does. The accounts are read now, in that transaction; the
 * rows are built by the function returned, once the report's reference is
 * known (see staffAlertRows). The caller leaves out unrouted (blocked
 * reporters') reports; a shop without accounts gets none.
 */
export async function merchantNoticeRows(
  tx: Sql,
  report: {
    id: string;
    eventId: string;
    createdAt: Date;
    shop: { id: string; name: string; nameEn: string };
    category: { name: string; nameEn: string; clauseRef: string; clauseText: string; clauseTextEn: string };
    road: { name: string; nameEn: string } | null;
    houseNumber: number | null;
    description: string;
  },
): Promise<(reference: string) => OutboxRow[]> {
  const recipients = await recipientsOfShop(tx, report.shop.id);
  return (reference) =>
    recipients.map((recipient) => {
      const payload: MerchantNoticePayload = {
        reference,
        shop: shopOf(report.shop),
        category: { zh: report.category.name, en: report.category.nameEn },
        clause: { ref: report.category.clauseRef, text: { zh: report.category.clauseText, en: report.category.clauseTextEn } },
        reportedAt: report.createdAt.toISOString(),
        place: roadPlaceOf(report),
        description: maskPersonalNumbers(report.description),
        locale: recipient.locale,
      };
      return {
        dedupeKey: `${report.eventId}:merchant:${recipient.accountId}`,
        kind: MERCHANT_REPORT_KIND,
        reportId: report.id,
        channel: recipient.channel,
        chatId: recipient.chatId,
        payload,
      };
    });
}

/**
 * Tells the shop a report names that its case was closed, in the caller's
 * transaction (the status change's). Other statuses are staff's own business.
 */
export async function queueMerchantStatusNotices(
  db: Sql,
  args: { reportId: string; eventId: string; status: ReportStatus; createdAt: Date },
): Promise<number> {
  const status = args.status;
  if (status !== "RESOLVED" && status !== "REJECTED") return 0;
  const [report] = await db.query<
    Pick<Report, "id" | "reference" | "rejectReason" | "routed"> & Pick<Merchant, "name" | "nameEn"> & { merchantId: string }
  >(
    sql`SELECT r."id", r."reference", r."rejectReason", r."routed", m."id" AS "merchantId", m."name", m."nameEn"
      FROM "Report" r JOIN "Merchant" m ON m."id" = r."merchantId" WHERE r."id" = ${args.reportId}`,
  );
  if (!report?.routed) return 0;
  const recipients = await recipientsOfShop(db, report.merchantId);
  const rows = recipients.map((recipient) => {
    const payload: MerchantStatusPayload = {
      reference: report.reference,
      shop: shopOf(report),
      status,
      rejectReason: report.rejectReason,
      locale: recipient.locale,
    };
    return {
      dedupeKey: `${args.eventId}:merchant-status:${recipient.accountId}`,
      kind: MERCHANT_STATUS_KIND,
      reportId: report.id,
      channel: recipient.channel,
      chatId: recipient.chatId,
      payload,
    };
  });
  await queueOutbox(db, rows, args.createdAt);
  return recipients.length;
}

/** Creates the merchant side of the reports of one town. */
export function createMerchantReports(deps: {
  /** The database through its driver: reports and their timelines are SQL's tables (decision record 0007). */
  sql: Sql;
  townCode: string;
  clock?: () => Date;
}): MerchantReports {
  const { sql: db, townCode } = deps;
  const clock = deps.clock ?? (() => new Date());

  /** The report if it exists, was routed, and concerns one of `shops`; otherwise undefined. */
  const reportOfShops = async (on: Sql, reference: string, shops: BoundShop[]) => {
    const [row] = await on.query<CaseRow>(sql`${CASE_SELECT} WHERE r."reference" = ${normalizeReference(reference)}`);
    if (!row || row.townCode !== townCode || !row.routed) return undefined;
    const shop = shops.find((s) => s.merchantId === row.merchantId);
    return shop && { report: caseOf(row), shop };
  };

  return {
    async casesOf(who) {
      const shops = await boundShopsOf(db, townCode, who);
      if (shops.length === 0) return { type: "notMerchant" };
      const where = sql`WHERE r."townCode" = ${townCode} AND r."routed" AND r."merchantId" IN (${join(shops.map((s) => s.merchantId))})`;
      const [open, history] = await Promise.all([
        db.query<CaseRow>(
          sql`${CASE_SELECT} ${where} AND r."status" IN (${join(OPEN_STATUSES)}) ORDER BY r."createdAt", r."reference" LIMIT ${OPEN_LIMIT}`,
        ),
        db.query<CaseRow>(
          sql`${CASE_SELECT} ${where} AND r."status" IN (${join(CLOSED_STATUSES)})
            ORDER BY r."updatedAt" DESC, r."reference" DESC LIMIT ${HISTORY_LIMIT}`,
        ),
      ]);
      const lines = (rows: CaseRow[]) => rows.map((row) => lineOf(caseOf(row)));
      return { type: "ok", shops, open: lines(open), history: lines(history) };
    },

    async view(who, reference) {
      const shops = await boundShopsOf(db, townCode, who);
      if (shops.length === 0) return { type: "notMerchant" };
      const found = await reportOfShops(db, reference, shops);
      if (!found) return { type: "notFound" };
      const { report } = found;
      const events = await db.query<Pick<ReportEvent, "createdAt" | "type" | "toStatus" | "note" | "actorKind">>(
        sql`SELECT "createdAt", "type", "toStatus", "note", "actorKind" FROM "ReportEvent"
          WHERE "reportId" = ${report.id} AND ("type" = 'SUBMITTED' OR "actorKind" IN ('STAFF', 'MERCHANT'))
          ORDER BY "createdAt", "id"`,
      );
      return {
        type: "ok",
        view: {
          ...lineOf(report),
          clause: { ref: report.category.clauseRef, text: { zh: report.category.clauseText, en: report.category.clauseTextEn } },
          description: maskPersonalNumbers(report.description),
          rejectReason: report.rejectReason,
          timeline: events.map((event) => ({
            at: event.createdAt,
            type: event.type,
            status: event.toStatus,
            // The shop's own words, masked like everywhere else; staff notes are written for the reporter.
            note: event.actorKind === "MERCHANT" && event.note !== null ? maskPersonalNumbers(event.note) : null,
            by: event.actorKind === "MERCHANT" ? "merchant" : event.actorKind === "STAFF" ? "staff" : "resident",
          })),
        },
      };
    },

    async answer(who, reference, answer) {
      const note = storedText(answer.note);
      if (note.length < MIN_ANSWER_NOTE || note.length > MAX_ANSWER_NOTE) return { type: "invalidNote" };
      return db.transaction(async (tx): Promise<MerchantAnswerResult> => {
        const shops = await boundShopsOf(tx, townCode, who);
        if (shops.length === 0) return { type: "notMerchant" };
        const found = await reportOfShops(tx, reference, shops);
        if (!found) return { type: "notFound" };
        const { report, shop } = found;
        const now = clock();
        // Conditional on the case being open, so an answer racing a closure is refused rather than recorded on a closed case.
        const [touched] = await tx.query<Pick<Report, "status">>(
          sql`UPDATE "Report" SET "updatedAt" = ${now} WHERE "id" = ${report.id} AND "status" IN (${join(OPEN_STATUSES)}) RETURNING "status"`,
        );
        if (!touched) {
          const [current] = await tx.query<Pick<Report, "status">>(sql`SELECT "status" FROM "Report" WHERE "id" = ${report.id}`);
          return { type: "closed", reference: report.reference, status: current!.status };
        }
        const photoId = answer.kind === "rectified" ? (answer.photoId ?? null) : null;
        const eventId = randomUUID();
        // The shop's answer is recorded as said by the chat account that gave it.
        const [event] = await tx.query<Pick<ReportEvent, "id">>(
          sql`INSERT INTO "ReportEvent" ("id", "reportId", "type", "note", "photoId", "actorKind", "actorId", "actorLabel", "createdAt")
            SELECT ${eventId}, ${report.id}, ${answer.kind === "rectified" ? "MERCHANT_RECTIFIED" : "MERCHANT_DISPUTED"}::"ReportEventType", ${note},
              ${photoId}, 'MERCHANT', a."chatUserId", ${shop.name.zh}, ${now}
            FROM "MerchantAccount" a WHERE a."id" = ${shop.accountId}
            RETURNING "id"`,
        );
        if (!event) throw new Error(`merchant account ${shop.accountId} vanished while answering ${report.reference}`);
        const staffGroups = await queueAnswerToStaff(tx, {
          reportId: report.id,
          eventId: event.id,
          reference: report.reference,
          shop: shop.name,
          answer: answer.kind,
          note,
          photoId,
          createdAt: now,
        });
        return { type: "ok", reference: report.reference, answer: answer.kind, staffGroups };
      });
    },
  };
}

/**
 * One message per staff group that handles the case (got its alert or its
 * deadline reminder), whatever the delivery state of that alert: a group
 * still waiting for the alert gets the answer after it, in order.
 */
async function queueAnswerToStaff(
  tx: Sql,
  args: {
    reportId: string;
    eventId: string;
    reference: string;
    shop: Bilingual;
    answer: MerchantAnswerKind;
    note: string;
    photoId: string | null;
    createdAt: Date;
  },
): Promise<number> {
  const rows = await tx.query<Pick<OutboxMessage, "id" | "kind" | "channel" | "chatId" | "payload">>(
    sql`SELECT "id", "kind", "channel", "chatId", "payload" FROM "OutboxMessage"
      WHERE "reportId" = ${args.reportId} AND "kind" IN (${join(HANDLING_ALERT_KINDS)}) AND "status" <> 'DEAD'
      ORDER BY "createdAt", "id"`,
  );
  const told = new Set<string>();
  const answers: OutboxRow[] = [];
  for (const row of rows) {
    const alert = alertOf(row);
    const destination = `${row.channel}\u0000${row.chatId}`;
    if (!alert || told.has(destination)) continue;
    told.add(destination);
    const payload: MerchantAnswerAlertPayload = {
      reference: args.reference,
      shop: args.shop,
      answer: args.answer,
      note: maskPersonalNumbers(args.note),
      photoId: args.photoId,
      locale: alert.locale,
    };
    answers.push({
      dedupeKey: `${args.eventId}:merchant-answer:${row.id}`,
      kind: MERCHANT_ANSWER_ALERT_KIND,
      reportId: args.reportId,
      channel: row.channel,
      chatId: row.chatId,
      payload,
    });
  }
  await queueOutbox(tx, answers, args.createdAt);
  return told.size;
}
