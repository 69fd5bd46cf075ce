import type { CompactStanding } from "../compact/standing.ts";
import type { Bilingual } from "../grid/index.ts";
import { createReportsContext, type ReportsDeps } from "./context.ts";
import { followersOf } from "./followers.ts";
import { lifecycleOf } from "./lifecycle.ts";
import { nearbyOf } from "./nearby.ts";
import type { ReportCategoryInfo, ReportRoute, ReportsService, ReportStatusName, ReportView } from "./service.ts";
import { submissionOf } from "./submission.ts";
import { viewsOf } from "./views.ts";

/** Tunable rules of reporting; {@link DEFAULT_REPORTS_OPTIONS} is the town's policy unless configured otherwise. */
export interface ReportsOptions {
  /** How far back an open report still counts as the same problem. */
  duplicateWindowDays: number;
  /** House numbers this far apart on one road count as the same spot. */
  duplicateHouseNumberSpan: number;
  /** Two shared locations this close (metres) count as the same spot. */
  duplicateDistanceMeters: number;
  /** At most `count` submissions per user in any `windowMinutes`. */
  rateLimit: { count: number; windowMinutes: number };
  /** How long after resolution "not fixed" reopens a case. */
  reopenWindowDays: number;
}

/** The defaults named in issue 3: 14 days, 20 house numbers, 150 m, 5 per 10 minutes, 14 days to reopen. */
export const DEFAULT_REPORTS_OPTIONS: ReportsOptions = {
  duplicateWindowDays: 14,
  duplicateHouseNumberSpan: 20,
  duplicateDistanceMeters: 150,
  rateLimit: { count: 5, windowMinutes: 10 },
  reopenWindowDays: 14,
};

/** A member of staff acting on a report; `label` is what residents see in the timeline (a role, not a name). */
export interface StaffActor {
  staffId: string;
  label: string;
}

export type RejectReasonName = "NOT_OUR_RESPONSIBILITY" | "DUPLICATE" | "INVALID";

/** The outcome of a staff action: applied, or why not. Never thrown, so a chat handler can answer every case. */
export type StaffActionResult =
  | { type: "ok"; reference: string; status: ReportStatusName }
  | { type: "notFound" }
  /** The move is not allowed from the report's status (closed reports cannot change at all). */
  | { type: "badTransition"; from: ReportStatusName; to: ReportStatusName }
  /** Someone else changed the report between reading and writing it; read it again and decide. */
  | { type: "conflict" }
  | { type: "noteRequired" }
  /** The duplicate's original or the re-route target does not exist (or is the report itself). */
  | { type: "unknownTarget" };

/**
 * What staff do with a case (used by the staff features). Each change writes a
 * timeline entry with who and when, and queues an update to the reporter and
 * every follower, in one transaction.
 */
export interface StaffReportActions {
  acknowledge(reference: string, actor: StaffActor): Promise<StaffActionResult>;
  startProgress(reference: string, actor: StaffActor, note?: string): Promise<StaffActionResult>;
  /** Needs a note saying what was done; a photo (media id) may show it. */
  resolve(reference: string, actor: StaffActor, note: string, photoId?: string): Promise<StaffActionResult>;
  /** DUPLICATE needs the original's reference; the reporter and followers then follow the original. */
  reject(
    reference: string,
    actor: StaffActor,
    reason: RejectReasonName,
    note: string,
    duplicateOfReference?: string,
  ): Promise<StaffActionResult>;
  /**
   * Hands an open case to another committee; the case keeps its timeline, whose
   * entry names the route it left and the one it took. The residents are told,
   * and the handling groups of the new area that were never alerted about the
   * case get its alert (groups alerted before keep theirs).
   */
  reroute(
    reference: string,
    actor: StaffActor,
    target: { roadCommitteeCode: string } | { districtCode: string },
    note: string,
  ): Promise<StaffActionResult>;
  /** A case as the staff handling it see it; undefined for an unknown reference. */
  caseForStaff(reference: string): Promise<StaffCaseView | undefined>;
  /** Open cases in an area ("town": all of them), oldest first, at most `limit`, with the total count. */
  openCases(area: StaffArea, limit: number): Promise<{ cases: OpenCaseLine[]; total: number }>;
  /**
   * Cases in an area for the grid map: every open one and those closed since
   * `closedSince`, newest first, at most `limit`. Nothing about the reporter.
   */
  mapCases(area: StaffArea, options: { closedSince: Date; limit: number }): Promise<CasePin[]>;
  /** Blocks a chat user (given directly, or as the reporter of a report): their later reports are kept but not routed. */
  blockUser(
    target: { channel: string; userId: string } | { reference: string },
    actor: StaffActor,
    reason: string,
  ): Promise<{ type: "ok" } | { type: "notFound" }>;
}

/** Where a member of staff works: their districts and road committees, or the whole town. */
export type StaffArea = { districtCodes: string[]; roadCommitteeCodes: string[] } | "town";

/** One open case in a staff list. */
export interface OpenCaseLine {
  reference: string;
  category: Bilingual;
  status: ReportStatusName;
  place: Bilingual;
  supporters: number;
  createdAt: Date;
}

/** A case as the grid map pins it: what the pin's colour and popup show, and where; never who reported it. */
export interface CasePin {
  reference: string;
  category: Bilingual;
  status: ReportStatusName;
  /** The district of its place, else of its route; null when it has neither. */
  districtCode: string | null;
  /** As stored (WGS-84) and as staff see it in the chat's alert; null when the resident shared no exact position. */
  position: { latitude: number; longitude: number } | null;
}

/**
 * A case for the staff handling it: the description as written (staff need the
 * number a resident left for the shop), the photos, who did what, and the
 * reporter's contact only when the reporter allowed staff to contact them.
 */
export interface StaffCaseView extends OpenCaseLine {
  /** Who may act on it: the districts of its place and route, and its road committee. */
  area: { districtCodes: string[]; roadCommitteeCode: string | null };
  clause: { ref: string; text: Bilingual };
  position: { latitude: number; longitude: number } | null;
  description: string;
  shop: Bilingual | null;
  /** Where the shop stands with the compact in force; null when no shop is named. */
  shopStanding: CompactStanding | null;
  photoIds: string[];
  route: ReportRoute | null;
  rejectReason: RejectReasonName | null;
  reporterContact: { channel: string; userId: string; displayName: string | null } | null;
  timeline: {
    at: Date;
    type: ReportView["timeline"][number]["type"];
    status: ReportStatusName | null;
    note: string | null;
    by: "resident" | "staff" | "merchant" | "system";
    actorLabel: string | null;
    /** A re-route's committees: where the case was handled before (null: nowhere) and where it went; null for other entries. */
    reroute: { from: ReportRoute | null; to: ReportRoute } | null;
    /** The media id of the photo that came with the entry (a resolution's evidence), if any. */
    photoId: string | null;
  }[];
}

/** Outbox kinds this service writes; the delivery worker renders each for the recipient. */
export type ReportOutboxKind = "report.submitted" | "report.status" | "report.rerouted";

/**
 * The payload of every report outbox row: one recipient's view of one change.
 * Free text is already masked, because followers are not the staff handling the case.
 */
export interface ResidentUpdatePayload {
  reference: string;
  status: ReportStatusName;
  note: string | null;
  rejectReason: RejectReasonName | null;
  /** The original a duplicate was merged into; the recipient now follows it. */
  duplicateOf: string | null;
  route: ReportRoute | null;
  /** Only the reporter is asked "fixed?" and for a rating, only after resolution. */
  askFeedback: boolean;
  reopened: boolean;
  relation: "reporter" | "follower";
  locale: "zh" | "en";
}

/** The reports service keeps the town's shops in memory; whoever adds a shop tells it here (see createCompactService's onShopAdded). */
export interface ShopsCache {
  /** Drops the shops read so far, so the next report step reads them again. */
  forgetShops(): void;
}

export { InvalidReportDraftError, UnknownCategoryError } from "./submission.ts";

/**
 * Creates the reports service of one town. All writes that belong together
 * (report, photos, timeline entry, outbox rows) happen in one transaction, so
 * a crash never leaves half a report or a lost update. Places and routes are
 * resolved from the in-memory grid of `grid`, not from the grid tables.
 */
export function createReportsService(deps: ReportsDeps): ReportsService & StaffReportActions & ShopsCache {
  const ctx = createReportsContext(deps);
  const followers = followersOf(ctx);
  const nearby = nearbyOf(ctx);
  const views = viewsOf(ctx);
  const submission = submissionOf(ctx, followers, nearby);
  const lifecycle = lifecycleOf(ctx, followers);
  return {
    forgetShops: () => ctx.shopsByRoad.forget(),
    categories: async () => (await ctx.categoryRows()).map(toCategoryInfo),
    merchantsOnRoad: async (roadCode) => (await ctx.shopsByRoad()).get(roadCode) ?? [],
    routeFor: ctx.routeFor,
    checkRateLimit: submission.checkRateLimit,
    findNearbyOpen: nearby.findNearbyOpen,
    follow: followers.follow,
    submit: submission.submit,
    myReports: views.myReports,
    viewForResident: views.viewForResident,
    caseForStaff: views.caseForStaff,
    openCases: views.openCases,
    mapCases: views.mapCases,
    recordFeedback: lifecycle.recordFeedback,
    acknowledge: lifecycle.acknowledge,
    startProgress: lifecycle.startProgress,
    resolve: lifecycle.resolve,
    reject: lifecycle.reject,
    reroute: lifecycle.reroute,
    blockUser: lifecycle.blockUser,
  };
}

function toCategoryInfo(row: {
  code: string;
  name: string;
  nameEn: string;
  clauseRef: string;
  clauseText: string;
  clauseTextEn: string;
  examples: string[];
}): ReportCategoryInfo {
  return {
    code: row.code,
    name: { zh: row.name, en: row.nameEn },
    clause: { ref: row.clauseRef, text: { zh: row.clauseText, en: row.clauseTextEn } },
    examples: row.examples,
  };
}
