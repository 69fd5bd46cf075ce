import type { Prisma, PrismaClient, ReportStatus } from "../../generated/prisma/client.ts";
import type { GridDirectory } from "../grid/directory.ts";
import type { Bilingual } from "../grid/index.ts";
import { normalize } from "../grid/text.ts";
import { maskPersonalNumbers } from "../privacy.ts";
import type {
  ChatIdentity,
  FeedbackResult,
  FollowResult,
  NearbyReport,
  ReportCategoryInfo,
  ReportDraft,
  ReportPlace,
  ReportRoute,
  ReportsService,
  ReportSummary,
  ReportView,
  SubmitResult,
} from "./service.ts";

/** Tunable rules of reporting; the defaults are the town's policy unless configured otherwise. */
export interface ReportsOptions {
  duplicateWindowDays: number;
  duplicateHouseNumberSpan: number;
  duplicateDistanceMeters: number;
  rateLimit: { count: number; windowMinutes: number };
  reopenWindowDays: number;
}

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

/** The outcome of a staff action: applied, or why not (never thrown, so chat handlers can answer it). */
export type StaffActionResult =
  | { type: "ok"; reference: string; status: ReportStatus }
  | { type: "notFound" }
  | { type: "badTransition"; from: ReportStatus; to: ReportStatus }
  /** Someone else changed the report between reading and writing it. */
  | { type: "conflict" }
  | { type: "noteRequired" }
  | { type: "unknownTarget" };

export type RejectReasonName = "NOT_OUR_RESPONSIBILITY" | "DUPLICATE" | "INVALID";

/** What staff do with a case; each change writes a timeline entry and notifies the reporter and followers. */
export interface StaffReportActions {
  acknowledge(reference: string, actor: StaffActor): Promise<StaffActionResult>;
  startProgress(reference: string, actor: StaffActor, note?: string): Promise<StaffActionResult>;
  resolve(reference: string, actor: StaffActor, note: string, photoId?: string): Promise<StaffActionResult>;
  reject(reference: string, actor: StaffActor, reason: RejectReasonName, note: string, duplicateOfReference?: string): Promise<StaffActionResult>;
  reroute(reference: string, actor: StaffActor, target: { roadCommitteeCode: string } | { districtCode: string }, note: string): Promise<StaffActionResult>;
  blockUser(user: { channel: string; userId: string }, actor: StaffActor, reason: string): Promise<{ type: "ok" } | { type: "notFound" }>;
}

const OPEN_STATUSES: ReportStatus[] = ["SUBMITTED", "ACKNOWLEDGED", "IN_PROGRESS"];

const ALLOWED: Record<ReportStatus, ReportStatus[]> = {
  SUBMITTED: ["ACKNOWLEDGED", "IN_PROGRESS", "REJECTED"],
  ACKNOWLEDGED: ["IN_PROGRESS", "RESOLVED", "REJECTED"],
  IN_PROGRESS: ["RESOLVED", "REJECTED"],
  RESOLVED: [],
  REJECTED: [],
};

// A town's largest transaction here is a handful of rows; PGlite under a burst of
// residents queues them, so allow more than Prisma's 5 s before giving up.
const TRANSACTION_OPTIONS = { timeout: 30_000, maxWait: 30_000 };

type Tx = Prisma.TransactionClient;
type Db = PrismaClient | Tx;

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/**
 * Creates the reports service on a database and the town's grid. All writes
 * that belong together (report, photos, timeline entry, outbox rows) happen in
 * one transaction, so a crash never leaves half a report or a lost update.
 */
export function createReportsService(deps: {
  prisma: PrismaClient;
  grid: GridDirectory;
  townCode: string;
  clock?: () => Date;
  options?: Partial<ReportsOptions>;
}): ReportsService & StaffReportActions {
  const { prisma, grid, townCode } = deps;
  const clock = deps.clock ?? (() => new Date());
  const options: ReportsOptions = { ...DEFAULT_REPORTS_OPTIONS, ...deps.options };

  const categoryRows = (db: Db = prisma) => db.reportCategory.findMany({ where: { townCode }, orderBy: { sortOrder: "asc" } });

  const toCategoryInfo = (row: { code: string; name: string; nameEn: string; clauseRef: string; clauseText: string; clauseTextEn: string }): ReportCategoryInfo => ({
    code: row.code,
    name: { zh: row.name, en: row.nameEn },
    clause: { ref: row.clauseRef, text: { zh: row.clauseText, en: row.clauseTextEn } },
  });

  /** Labels come from the grid snapshot (in memory), ids from the database. */
  const routeFor = async (categoryCode: string, place: ReportPlace, db: Db = prisma): Promise<ReportRoute | null> => {
    const index = grid.index;
    const category = await db.reportCategory.findUnique({ where: { townCode_code: { townCode, code: categoryCode } } });
    if (category?.routeToRoadCommitteeId) {
      const committee = await db.roadCommittee.findUnique({ where: { id: category.routeToRoadCommitteeId } });
      if (committee) return { kind: "roadCommittee", code: committee.code, name: { zh: committee.name, en: committee.nameEn } };
    }
    if (category?.routeToDistrictId) {
      const district = await db.district.findUnique({ where: { id: category.routeToDistrictId } });
      if (district) return { kind: "districtCommittee", code: district.code, name: { zh: district.committeeName, en: district.committeeNameEn } };
    }
    const road = place.roadCode ? index.snapshot.roads.find((r) => r.code === place.roadCode) : undefined;
    const roadCommittee = road && index.snapshot.roadCommittees.find((c) => c.code === road.roadCommitteeCode);
    if (roadCommittee) return { kind: "roadCommittee", code: roadCommittee.code, name: roadCommittee.name };
    const neighbourhood = place.neighbourhoodCode ? index.snapshot.neighbourhoods.find((n) => n.code === place.neighbourhoodCode) : undefined;
    const district = index.district(neighbourhood?.districtCode ?? place.districtCode ?? "");
    if (district) return { kind: "districtCommittee", code: district.code, name: district.committee.name };
    return null;
  };

  const userRow = (db: Db, user: ChatIdentity) =>
    db.chatUser.upsert({
      where: { channel_channelUserId: { channel: user.channel, channelUserId: user.userId } },
      create: { channel: user.channel, channelUserId: user.userId, chatId: user.chatId, displayName: user.displayName, locale: user.locale },
      update: { chatId: user.chatId, locale: user.locale, ...(user.displayName ? { displayName: user.displayName } : {}) },
    });

  const findUser = (db: Db, user: { channel: string; userId: string }) =>
    db.chatUser.findUnique({ where: { channel_channelUserId: { channel: user.channel, channelUserId: user.userId } } });

  const rateLimit = async (db: Db, reporterId: string | undefined) => {
    if (!reporterId) return { allowed: true as const };
    const since = new Date(clock().getTime() - options.rateLimit.windowMinutes * MINUTE);
    const recent = await db.report.findMany({ where: { reporterId, createdAt: { gte: since } }, orderBy: { createdAt: "asc" }, select: { createdAt: true } });
    if (recent.length < options.rateLimit.count) return { allowed: true as const };
    const freeAt = recent[recent.length - options.rateLimit.count]!.createdAt.getTime() + options.rateLimit.windowMinutes * MINUTE;
    return { allowed: false as const, retryAfterMinutes: Math.max(1, Math.ceil((freeAt - clock().getTime()) / MINUTE)) };
  };

  const reportInclude = {
    category: true,
    road: true,
    neighbourhood: true,
    district: true,
    routedRoadCommittee: true,
    routedDistrict: true,
    _count: { select: { followers: true, photos: true } },
  } as const;
  type LoadedReport = Prisma.ReportGetPayload<{ include: typeof reportInclude }>;

  const placeOf = (report: LoadedReport): Bilingual => {
    if (report.road) {
      const n = report.houseNumber;
      return { zh: n ? `${report.road.name}${n}号` : report.road.name, en: n ? `No. ${n}, ${report.road.nameEn}` : report.road.nameEn };
    }
    if (report.neighbourhood) return { zh: report.neighbourhood.name, en: report.neighbourhood.nameEn };
    if (report.district) return { zh: report.district.name, en: report.district.nameEn };
    return { zh: "未指定地点", en: "no place given" };
  };

  const routeOf = (report: LoadedReport): ReportRoute | null => {
    if (report.routedRoadCommittee) {
      return { kind: "roadCommittee", code: report.routedRoadCommittee.code, name: { zh: report.routedRoadCommittee.name, en: report.routedRoadCommittee.nameEn } };
    }
    if (report.routedDistrict) {
      return { kind: "districtCommittee", code: report.routedDistrict.code, name: { zh: report.routedDistrict.committeeName, en: report.routedDistrict.committeeNameEn } };
    }
    return null;
  };

  const nearbyOpen = async (db: Db, categoryCode: string, place: ReportPlace): Promise<LoadedReport[]> => {
    const since = new Date(clock().getTime() - options.duplicateWindowDays * DAY);
    const candidates = await db.report.findMany({
      where: { townCode, category: { code: categoryCode }, status: { in: OPEN_STATUSES }, createdAt: { gte: since } },
      include: reportInclude,
      orderBy: { createdAt: "desc" },
      take: 200,
    });
    return candidates
      .filter((report) => {
        if (place.latitude !== undefined && place.longitude !== undefined && report.latitude !== null && report.longitude !== null) {
          if (distanceMeters(place.latitude, place.longitude, report.latitude, report.longitude) <= options.duplicateDistanceMeters) return true;
        }
        if (place.roadCode) {
          if (report.road?.code !== place.roadCode) return false;
          if (place.houseNumber === undefined || report.houseNumber === null) return true;
          return Math.abs(place.houseNumber - report.houseNumber) <= options.duplicateHouseNumberSpan;
        }
        if (place.neighbourhoodCode) return report.neighbourhood?.code === place.neighbourhoodCode && !report.road;
        return false;
      })
      .slice(0, 5);
  };

  const toNearby = (report: LoadedReport): NearbyReport => ({
    reference: report.reference,
    category: { zh: report.category.name, en: report.category.nameEn },
    status: report.status,
    place: placeOf(report),
    description: maskPersonalNumbers(report.description),
    supporters: report._count.followers,
    createdAt: report.createdAt,
  });

  /** Makes `userId` a follower of `reportId` once, with its timeline entry. */
  const addFollower = async (tx: Tx, reportId: string, userId: string): Promise<boolean> => {
    const existing = await tx.reportFollower.findUnique({ where: { reportId_userId: { reportId, userId } } });
    if (existing) return false;
    await tx.reportFollower.create({ data: { reportId, userId, createdAt: clock() } });
    await tx.reportEvent.create({ data: { reportId, type: "FOLLOWED", actorKind: "RESIDENT", actorId: userId, createdAt: clock() } });
    await tx.report.update({ where: { id: reportId }, data: { updatedAt: clock() } });
    return true;
  };

  /** Queues one update per recipient (reporter and followers) in the caller's transaction. */
  const notifyResidents = async (tx: Tx, reportId: string, eventId: string, kind: string, payload: Record<string, unknown>) => {
    const report = await tx.report.findUniqueOrThrow({ where: { id: reportId }, include: { reporter: true, followers: { include: { user: true } } } });
    const recipients = [report.reporter, ...report.followers.map((f) => f.user)];
    const seen = new Set<string>();
    for (const user of recipients) {
      if (seen.has(user.id)) continue;
      seen.add(user.id);
      await tx.outboxMessage.create({
        data: {
          dedupeKey: `${eventId}:${user.id}`,
          kind,
          channel: user.channel,
          chatId: user.chatId,
          payload: { ...payload, reference: report.reference, locale: user.locale, reporter: user.id === report.reporterId } as Prisma.InputJsonValue,
          createdAt: clock(),
          nextAttemptAt: clock(),
        },
      });
    }
  };

  const nextReference = async (tx: Tx): Promise<string> => {
    const town = await tx.town.findUniqueOrThrow({ where: { code: townCode }, select: { referencePrefix: true } });
    const year = clock().getFullYear();
    const [row] = await tx.$queryRaw<{ next: number }[]>`
      INSERT INTO "ReferenceCounter" ("townCode", "year", "next") VALUES (${townCode}, ${year}, 1)
      ON CONFLICT ("townCode", "year") DO UPDATE SET "next" = "ReferenceCounter"."next" + 1
      RETURNING "next"`;
    return `${town.referencePrefix}-${year}-${String(row!.next).padStart(6, "0")}`;
  };

  const placeIds = async (tx: Tx, place: ReportPlace) => {
    const index = grid.index;
    let districtCode = place.districtCode;
    let neighbourhoodCode = place.neighbourhoodCode;
    if (place.roadCode && place.houseNumber !== undefined) {
      const answer = index.houseOnRoad(place.roadCode, place.houseNumber);
      districtCode ??= answer?.district.code;
      neighbourhoodCode ??= answer?.neighbourhood?.code;
    }
    if (neighbourhoodCode && !districtCode) districtCode = index.snapshot.neighbourhoods.find((n) => n.code === neighbourhoodCode)?.districtCode;
    const road = place.roadCode ? await tx.road.findUnique({ where: { townCode_code: { townCode, code: place.roadCode } } }) : null;
    const district = districtCode ? await tx.district.findUnique({ where: { townCode_code: { townCode, code: districtCode } } }) : null;
    const neighbourhood = neighbourhoodCode ? await tx.neighbourhood.findFirst({ where: { code: neighbourhoodCode, district: { townCode } } }) : null;
    return { roadId: road?.id ?? null, districtId: district?.id ?? null, neighbourhoodId: neighbourhood?.id ?? null };
  };

  const routeIds = async (tx: Tx, route: ReportRoute | null) => {
    if (!route) return { routedRoadCommitteeId: null, routedDistrictId: null };
    if (route.kind === "roadCommittee") {
      const committee = await tx.roadCommittee.findUnique({ where: { townCode_code: { townCode, code: route.code } } });
      return { routedRoadCommitteeId: committee?.id ?? null, routedDistrictId: null };
    }
    const district = await tx.district.findUnique({ where: { townCode_code: { townCode, code: route.code } } });
    return { routedRoadCommitteeId: null, routedDistrictId: district?.id ?? null };
  };

  /** Moves a report from one status to another if nobody else moved it first; writes the event and notifications. */
  const transition = async (
    reference: string,
    actor: StaffActor,
    to: ReportStatus,
    details: { note?: string; photoId?: string; rejectReason?: RejectReasonName; duplicateOfReference?: string },
  ): Promise<StaffActionResult> =>
    prisma.$transaction(async (tx) => {
      const report = await tx.report.findUnique({ where: { reference } });
      if (!report) return { type: "notFound" } as const;
      if (!ALLOWED[report.status].includes(to)) return { type: "badTransition", from: report.status, to } as const;
      const duplicateOf = details.duplicateOfReference ? await tx.report.findUnique({ where: { reference: details.duplicateOfReference } }) : null;
      if (details.duplicateOfReference && (!duplicateOf || duplicateOf.id === report.id)) return { type: "unknownTarget" } as const;
      const now = clock();
      const moved = await tx.report.updateMany({
        where: { id: report.id, status: report.status },
        data: {
          status: to,
          updatedAt: now,
          ...(to === "RESOLVED" ? { resolvedAt: now } : {}),
          ...(details.rejectReason ? { rejectReason: details.rejectReason, duplicateOfId: duplicateOf?.id ?? null } : {}),
        },
      });
      if (moved.count === 0) return { type: "conflict" } as const;
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
        duplicateOf: duplicateOf?.reference ?? null,
        askFeedback: to === "RESOLVED",
      });
      if (duplicateOf) {
        // Everyone waiting on the duplicate now waits on the original.
        const followers = await tx.reportFollower.findMany({ where: { reportId: report.id } });
        for (const userId of [report.reporterId, ...followers.map((f) => f.userId)]) {
          if (userId !== duplicateOf.reporterId) await addFollower(tx, duplicateOf.id, userId);
        }
      }
      return { type: "ok", reference, status: to } as const;
    }, TRANSACTION_OPTIONS);

  return {
    async categories() {
      return (await categoryRows()).map(toCategoryInfo);
    },

    async suggestCategory(text) {
      const words = normalize(text);
      if (words.length === 0) return undefined;
      let best: { score: number; row: Awaited<ReturnType<typeof categoryRows>>[number] } | undefined;
      for (const row of await categoryRows()) {
        if (row.code === "other") continue;
        const score = row.keywords.map(normalize).filter((keyword) => keyword.length > 0 && words.includes(keyword)).reduce((sum, keyword) => sum + keyword.length, 0);
        if (score > 0 && (!best || score > best.score)) best = { score, row };
      }
      return best && toCategoryInfo(best.row);
    },

    async merchantsOnRoad(roadCode) {
      const rows = await prisma.merchant.findMany({ where: { townCode, road: { code: roadCode } }, orderBy: [{ houseNumber: "asc" }, { code: "asc" }] });
      return rows.map((row) => ({ code: row.code, name: { zh: row.name, en: row.nameEn }, houseNumber: row.houseNumber }));
    },

    routeFor: (categoryCode, place) => routeFor(categoryCode, place),

    async checkRateLimit(user) {
      return rateLimit(prisma, (await findUser(prisma, user))?.id);
    },

    async findNearbyOpen(categoryCode, place) {
      return (await nearbyOpen(prisma, categoryCode, place)).map(toNearby);
    },

    async follow(reference, user) {
      return prisma.$transaction(async (tx): Promise<FollowResult> => {
        const report = await tx.report.findUnique({ where: { reference } });
        if (!report) return { type: "notFound" };
        if (!OPEN_STATUSES.includes(report.status)) return { type: "closed", reference };
        const follower = await userRow(tx, user);
        if (report.reporterId === follower.id) return { type: "ownReport", reference };
        return { type: (await addFollower(tx, report.id, follower.id)) ? "followed" : "alreadyFollowing", reference };
      }, TRANSACTION_OPTIONS);
    },

    async submit(draft: ReportDraft, user: ChatIdentity, declinedDuplicates: string[]): Promise<SubmitResult> {
      return prisma.$transaction(async (tx) => {
        const reporter = await userRow(tx, user);
        const limit = await rateLimit(tx, reporter.id);
        if (!limit.allowed) return { type: "rateLimited", retryAfterMinutes: limit.retryAfterMinutes };
        const category = await tx.reportCategory.findUniqueOrThrow({ where: { townCode_code: { townCode, code: draft.categoryCode } } });
        // Two residents filing the same problem at the same moment queue here, so
        // the second sees the first's report and follows it instead of duplicating it.
        const spot = draft.place.roadCode ?? draft.place.neighbourhoodCode ?? draft.place.districtCode ?? "anywhere";
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`${townCode}:${category.code}:${spot}`}))`;
        const duplicate = (await nearbyOpen(tx, category.code, draft.place)).find((report) => !declinedDuplicates.includes(report.reference));
        if (duplicate) {
          if (duplicate.reporterId !== reporter.id) await addFollower(tx, duplicate.id, reporter.id);
          return { type: "followedExisting", reference: duplicate.reference };
        }
        const blocked = reporter.blockedAt !== null;
        const route = blocked ? null : await routeFor(category.code, draft.place, tx);
        const merchant = draft.merchantCode ? await tx.merchant.findUnique({ where: { townCode_code: { townCode, code: draft.merchantCode } } }) : null;
        const now = clock();
        const reference = await nextReference(tx);
        const report = await tx.report.create({
          data: {
            reference,
            townCode,
            categoryId: category.id,
            reporterId: reporter.id,
            contactAllowed: draft.contactAllowed,
            description: draft.description,
            houseNumber: draft.place.houseNumber ?? null,
            latitude: draft.place.latitude ?? null,
            longitude: draft.place.longitude ?? null,
            merchantId: merchant?.id ?? null,
            routed: !blocked,
            createdAt: now,
            updatedAt: now,
            ...(await placeIds(tx, draft.place)),
            ...(await routeIds(tx, route)),
            photos: { create: draft.photoIds.slice(0, 3).map((mediaId, position) => ({ mediaId, position })) },
          },
        });
        const event = await tx.reportEvent.create({
          data: { reportId: report.id, type: "SUBMITTED", toStatus: "SUBMITTED", actorKind: "RESIDENT", actorId: reporter.id, createdAt: now },
        });
        await notifyResidents(tx, report.id, event.id, "report.submitted", { status: "SUBMITTED" });
        return { type: "created", reference, route };
      }, TRANSACTION_OPTIONS);
    },

    async myReports(user) {
      const me = await findUser(prisma, user);
      if (!me) return [];
      const own = await prisma.report.findMany({ where: { reporterId: me.id }, include: reportInclude, orderBy: { updatedAt: "desc" }, take: 50 });
      const followed = await prisma.report.findMany({ where: { followers: { some: { userId: me.id } } }, include: reportInclude, orderBy: { updatedAt: "desc" }, take: 50 });
      const summary = (report: LoadedReport, relation: ReportSummary["relation"]): ReportSummary => ({
        reference: report.reference,
        category: { zh: report.category.name, en: report.category.nameEn },
        status: report.status,
        place: placeOf(report),
        relation,
        updatedAt: report.updatedAt,
      });
      return [...own.map((r) => summary(r, "reporter")), ...followed.map((r) => summary(r, "follower"))].sort((a, b) => b.updatedAt.getTime() - a.updatedAt.getTime());
    },

    async viewForResident(reference, user) {
      const report = await prisma.report.findUnique({ where: { reference: reference.toUpperCase() }, include: { ...reportInclude, events: { orderBy: { createdAt: "asc" } } } });
      if (!report) return undefined;
      const me = await findUser(prisma, user);
      const following = me ? await prisma.reportFollower.findUnique({ where: { reportId_userId: { reportId: report.id, userId: me.id } } }) : null;
      const view: ReportView = {
        reference: report.reference,
        category: { zh: report.category.name, en: report.category.nameEn },
        status: report.status,
        place: placeOf(report),
        relation: me && report.reporterId === me.id ? "reporter" : following ? "follower" : "follower",
        updatedAt: report.updatedAt,
        description: maskPersonalNumbers(report.description),
        route: routeOf(report),
        supporters: report._count.followers,
        photoCount: report._count.photos,
        rejectReason: report.rejectReason,
        timeline: report.events.map((event) => ({
          at: event.createdAt,
          type: event.type,
          status: event.toStatus,
          note: event.note ? maskPersonalNumbers(event.note) : null,
          by: event.actorKind === "STAFF" ? "staff" : event.actorKind === "RESIDENT" ? "resident" : "system",
        })),
      };
      return view;
    },

    async recordFeedback(reference, user, feedback): Promise<FeedbackResult> {
      return prisma.$transaction(async (tx) => {
        const report = await tx.report.findUnique({ where: { reference } });
        const me = await findUser(tx, user);
        if (!report || !me || report.reporterId !== me.id || report.status !== "RESOLVED") return { type: "notAllowed" };
        const now = clock();
        if ("rating" in feedback) {
          if (!Number.isInteger(feedback.rating) || feedback.rating < 1 || feedback.rating > 5) return { type: "notAllowed" };
          await tx.report.update({ where: { id: report.id }, data: { rating: feedback.rating } });
          await tx.reportEvent.create({ data: { reportId: report.id, type: "RATED", note: String(feedback.rating), actorKind: "RESIDENT", actorId: me.id, createdAt: now } });
          return { type: "recorded", reference };
        }
        if (feedback.fixed) {
          await tx.reportEvent.create({ data: { reportId: report.id, type: "CONFIRMED_FIXED", actorKind: "RESIDENT", actorId: me.id, createdAt: now } });
          return { type: "recorded", reference };
        }
        if (!report.resolvedAt || now.getTime() - report.resolvedAt.getTime() > options.reopenWindowDays * DAY) return { type: "tooLateToReopen", reference };
        const moved = await tx.report.updateMany({ where: { id: report.id, status: "RESOLVED" }, data: { status: "IN_PROGRESS", resolvedAt: null, updatedAt: now } });
        if (moved.count === 0) return { type: "notAllowed" };
        const event = await tx.reportEvent.create({
          data: { reportId: report.id, type: "REOPENED", fromStatus: "RESOLVED", toStatus: "IN_PROGRESS", actorKind: "RESIDENT", actorId: me.id, createdAt: now },
        });
        await notifyResidents(tx, report.id, event.id, "report.status", { status: "IN_PROGRESS", note: null, rejectReason: null, duplicateOf: null, askFeedback: false, reopened: true });
        return { type: "reopened", reference };
      }, TRANSACTION_OPTIONS);
    },

    acknowledge: (reference, actor) => transition(reference, actor, "ACKNOWLEDGED", {}),
    startProgress: (reference, actor, note) => transition(reference, actor, "IN_PROGRESS", { note }),
    async resolve(reference, actor, note, photoId) {
      if (note.trim() === "") return { type: "noteRequired" };
      return transition(reference, actor, "RESOLVED", { note: note.trim(), photoId });
    },
    async reject(reference, actor, reason, note, duplicateOfReference) {
      if (note.trim() === "") return { type: "noteRequired" };
      if (reason === "DUPLICATE" && !duplicateOfReference) return { type: "unknownTarget" };
      return transition(reference, actor, "REJECTED", { note: note.trim(), rejectReason: reason, duplicateOfReference });
    },
    async reroute(reference, actor, target, note) {
      return prisma.$transaction(async (tx): Promise<StaffActionResult> => {
        const report = await tx.report.findUnique({ where: { reference } });
        if (!report) return { type: "notFound" };
        if (!OPEN_STATUSES.includes(report.status)) return { type: "badTransition", from: report.status, to: report.status };
        const route: ReportRoute | null =
          "roadCommitteeCode" in target
            ? { kind: "roadCommittee", code: target.roadCommitteeCode, name: { zh: "", en: "" } }
            : { kind: "districtCommittee", code: target.districtCode, name: { zh: "", en: "" } };
        const ids = await routeIds(tx, route);
        if (!ids.routedRoadCommitteeId && !ids.routedDistrictId) return { type: "unknownTarget" };
        const now = clock();
        await tx.report.update({ where: { id: report.id }, data: { ...ids, routed: true, updatedAt: now } });
        await tx.reportEvent.create({
          data: { reportId: report.id, type: "REROUTED", note: note.trim() || null, actorKind: "STAFF", actorId: actor.staffId, actorLabel: actor.label, createdAt: now },
        });
        return { type: "ok", reference, status: report.status };
      }, TRANSACTION_OPTIONS);
    },
    async blockUser(user, _actor, reason) {
      const row = await findUser(prisma, user);
      if (!row) return { type: "notFound" };
      await prisma.chatUser.update({ where: { id: row.id }, data: { blockedAt: clock(), blockedReason: reason } });
      return { type: "ok" };
    },
  };
}

/** Great-circle distance in metres (haversine); plenty precise within a town. */
function distanceMeters(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const radians = (degrees: number) => (degrees * Math.PI) / 180;
  const dLat = radians(lat2 - lat1);
  const dLon = radians(lon2 - lon1);
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(radians(lat1)) * Math.cos(radians(lat2)) * Math.sin(dLon / 2) ** 2;
  return 2 * 6_371_000 * Math.asin(Math.sqrt(a));
}
