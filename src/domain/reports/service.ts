import type { Bilingual } from "../grid/index.ts";

/** Who is talking: a chat account on one channel. The domain keeps one ChatUser row per (channel, userId). */
export interface ChatIdentity {
  channel: string;
  userId: string;
  /** Where updates about the user's reports are sent (the chat they reported from). */
  chatId: string;
  displayName?: string;
  locale: "zh" | "en";
}

/** A category residents pick, with the compact clause it enforces. */
export interface ReportCategoryInfo {
  code: string;
  name: Bilingual;
  clause: { ref: string; text: Bilingual };
  /** Messages residents might write about this kind of problem, from the town file, in file order (either language); prompts quote them. */
  examples: string[];
}

/**
 * Where the problem is, as precisely as the resident gave it. Exact coordinates
 * are present only when the resident consented to share them.
 */
export interface ReportPlace {
  roadCode?: string;
  houseNumber?: number;
  neighbourhoodCode?: string;
  districtCode?: string;
  latitude?: number;
  longitude?: number;
}

/** The committee a report goes to. */
export interface ReportRoute {
  kind: "roadCommittee" | "districtCommittee";
  code: string;
  name: Bilingual;
}

/** Everything a resident assembled before confirming. */
export interface ReportDraft {
  categoryCode: string;
  place: ReportPlace;
  description: string;
  /** Media ids from the media store, at most three. */
  photoIds: string[];
  merchantCode?: string;
  contactAllowed: boolean;
}

export type ReportStatusName = "SUBMITTED" | "ACKNOWLEDGED" | "IN_PROGRESS" | "RESOLVED" | "REJECTED";

/** An open report near a draft, offered to follow instead of filing a duplicate. */
export interface NearbyReport {
  reference: string;
  category: Bilingual;
  status: ReportStatusName;
  /** e.g. XX路12号, or the neighbourhood / district name. */
  place: Bilingual;
  /** Description with phone and ID numbers masked. */
  description: string;
  supporters: number;
  createdAt: Date;
}

/** What a resident was told about the same problem nearby before confirming a report. */
export interface DuplicateCheck {
  /** When the resident was last shown the open reports nearby, or the check found none. */
  checkedAt: Date;
  /** References of nearby reports the resident was shown and chose not to follow. */
  declined: string[];
}

export type SubmitResult =
  /**
   * The resident's report is filed: by this call, or by an earlier one of theirs
   * since the duplicate check whose answer they never got (a retried confirm).
   */
  | { type: "created"; reference: string; route: ReportRoute | null }
  /** Someone filed the same problem a moment earlier: the resident now follows it instead. */
  | { type: "followedExisting"; reference: string }
  | { type: "rateLimited"; retryAfterMinutes: number };

export type FollowResult =
  | { type: "followed" | "alreadyFollowing" | "ownReport"; reference: string }
  | { type: "notFound" }
  | { type: "closed"; reference: string };

/** One line of a report as its reporter or a follower sees it. */
export interface ReportSummary {
  reference: string;
  category: Bilingual;
  status: ReportStatusName;
  place: Bilingual;
  relation: "reporter" | "follower";
  updatedAt: Date;
}

/**
 * A report in full, for its reporter, its followers and staff: no identities,
 * free text masked. `staff`: the viewer is on the town's staff.
 */
export interface ReportView extends Omit<ReportSummary, "relation"> {
  relation: ReportSummary["relation"] | "staff";
  description: string;
  route: ReportRoute | null;
  supporters: number;
  photoCount: number;
  rejectReason: "NOT_OUR_RESPONSIBILITY" | "DUPLICATE" | "INVALID" | null;
  timeline: {
    at: Date;
    type:
      | "SUBMITTED"
      | "STATUS_CHANGED"
      | "REROUTED"
      | "FOLLOWED"
      | "REOPENED"
      | "RATED"
      | "CONFIRMED_FIXED"
      | "NOTE"
      | "MERCHANT_RECTIFIED"
      | "MERCHANT_DISPUTED";
    status: ReportStatusName | null;
    note: string | null;
    by: "resident" | "staff" | "merchant" | "system";
  }[];
}

/**
 * What anyone else may see of a report by its reference: that it exists, its
 * kind, its road and its status. References run in sequence, so whatever this
 * shows can be listed for every report: no description, house number, notes,
 * route or photos.
 */
export interface PublicReportView {
  relation: "none";
  reference: string;
  category: Bilingual;
  status: ReportStatusName;
  /** The road it is on, without the house number; null when it was placed by neighbourhood or location. */
  road: Bilingual | null;
}

export type FeedbackResult =
  | { type: "recorded"; reference: string }
  | { type: "reopened"; reference: string }
  /** "Not fixed" more than the reopen window after resolution: recorded, but the case stays closed. */
  | { type: "tooLateToReopen"; reference: string }
  | { type: "notAllowed" };

/**
 * Reports as the resident-facing flows use them. Every method that changes a
 * report writes its timeline entry and its outbox rows (updates to the reporter
 * and followers) in the same transaction.
 */
export interface ReportsService {
  categories(): Promise<ReportCategoryInfo[]>;
  merchantsOnRoad(roadCode: string): Promise<{ code: string; name: Bilingual; houseNumber: number | null }[]>;
  /** Where a report of this category at this place would go; null when the place cannot be placed. */
  routeFor(categoryCode: string, place: ReportPlace): Promise<ReportRoute | null>;
  /** Whether the user may submit now (per-user limit), and if not, when. */
  checkRateLimit(user: ChatIdentity): Promise<{ allowed: true } | { allowed: false; retryAfterMinutes: number }>;
  /** Open reports of the same category nearby in the duplicate window, newest first. */
  findNearbyOpen(categoryCode: string, place: ReportPlace): Promise<NearbyReport[]>;
  follow(reference: string, user: ChatIdentity): Promise<FollowResult>;
  /**
   * Files the report with a new reference and its first timeline entry. If an
   * open report of the same problem nearby was filed since `duplicates.checkedAt`
   * and is not among `duplicates.declined`, the resident follows it instead:
   * reports there before the check were shown to the resident (or were too many
   * to show) and are never chosen for them.
   */
  submit(draft: ReportDraft, user: ChatIdentity, duplicates: DuplicateCheck): Promise<SubmitResult>;
  myReports(user: ChatIdentity): Promise<ReportSummary[]>;
  /**
   * A report by reference, as much of it as this user may see: in full for its
   * reporter, its followers and the town's staff, else only its public view.
   * Identities are never included; undefined for an unknown reference.
   */
  viewForResident(reference: string, user: ChatIdentity): Promise<ReportView | PublicReportView | undefined>;
  /** The reporter's answer after resolution: fixed or not (reopens within the window), and a 1-5 rating. */
  recordFeedback(reference: string, user: ChatIdentity, feedback: { fixed: boolean } | { rating: number }): Promise<FeedbackResult>;
}
