import { randomUUID } from "node:crypto";
import type { Report } from "../../generated/prisma/client.ts";
import { z } from "zod";
import { sql, type Sql } from "../../db/sql.ts";
import { upsertChatUser } from "../chat-users.ts";
import { TownNotLoadedError } from "../grid/directory.ts";
import { storedText } from "../grid/text.ts";
import { outboxInsert } from "../outbox/queue.ts";
import { localYearOf } from "../time/zone.ts";
import { shopStandingOf, staffAlertRows } from "./alerts.ts";
import { MINUTE, type ReportsContext } from "./context.ts";
import type { Followers } from "./followers.ts";
import { merchantNoticeRows } from "./merchant-answers.ts";
import type { Nearby } from "./nearby.ts";
import { defaultRoute, resolvePlace } from "./place.ts";
import { formatReference } from "./reference.ts";
import type { ChatIdentity, DuplicateCheck, ReportDraft, ReportsService, SubmitResult } from "./service.ts";

/** Raised when a draft names a category the town does not have (a stale session after a re-import). */
export class UnknownCategoryError extends Error {
  constructor(
    readonly townCode: string,
    readonly categoryCode: string,
  ) {
    super(`Town "${townCode}" has no report category "${categoryCode}".`);
    this.name = "UnknownCategoryError";
  }
}

/** Raised when a draft breaks the shape the service accepts (more than three photos, half a location, …). */
export class InvalidReportDraftError extends Error {
  constructor(readonly issues: z.core.$ZodIssue[]) {
    super(`Invalid report draft: ${issues.map((issue) => `${issue.path.join(".") || "draft"}: ${issue.message}`).join("; ")}`);
    this.name = "InvalidReportDraftError";
  }
}

const MAX_PHOTOS = 3;
const MAX_DESCRIPTION_LENGTH = 4000;

const draftSchema = z.object({
  categoryCode: z.string().min(1),
  place: z
    .object({
      roadCode: z.string().min(1).optional(),
      houseNumber: z.number().int().positive().optional(),
      neighbourhoodCode: z.string().min(1).optional(),
      districtCode: z.string().min(1).optional(),
      latitude: z.number().min(-90).max(90).optional(),
      longitude: z.number().min(-180).max(180).optional(),
    })
    .refine((place) => (place.latitude === undefined) === (place.longitude === undefined), "latitude and longitude come together"),
  description: z.string().max(MAX_DESCRIPTION_LENGTH).transform(storedText),
  photoIds: z.array(z.string().min(1)).max(MAX_PHOTOS),
  merchantCode: z.string().min(1).optional(),
  contactAllowed: z.boolean(),
});

/**
 * Filing a report: the draft's checks, the rate limit, the duplicate check
 * under the spot's lock, the reference, and the report with its photos,
 * timeline entry and outbox rows in one transaction.
 */
export function submissionOf(ctx: ReportsContext, followers: Followers, nearby: Nearby) {
  const { db, grid, townCode, timeZone, clock, options, categoryRows, gridIds, overrideRoute, normalizeReference } = ctx;
  const { addFollower, residentUpdateRows } = followers;
  const { nearbyOpen } = nearby;

  /** The shop a draft names, read from the database at submission (the cached list may be up to SHOPS_MAX_AGE_MS old); undefined when it is gone. */
  const shopNamed = async (code: string) =>
    (
      await db.query<{ id: string; name: string; nameEn: string }>(
        sql`SELECT "id", "name", "nameEn" FROM "Merchant" WHERE "townCode" = ${townCode} AND "code" = ${code}`,
      )
    )[0];

  /** `reporter` names the reporter by id, or by chat account (one query, and none of a stranger's reports match). */
  const rateLimit = async (
    db: Sql,
    reporter: { reporterId: string } | { reporter: { channel: string; channelUserId: string } },
  ): Promise<{ allowed: true } | { allowed: false; retryAfterMinutes: number }> => {
    const now = clock().getTime();
    const windowMs = options.rateLimit.windowMinutes * MINUTE;
    const since = new Date(now - windowMs);
    const recent =
      "reporterId" in reporter
        ? await db.query<Pick<Report, "createdAt">>(
            sql`SELECT "createdAt" FROM "Report" WHERE "reporterId" = ${reporter.reporterId} AND "createdAt" > ${since} ORDER BY "createdAt" DESC LIMIT ${options.rateLimit.count}`,
          )
        : await db.query<Pick<Report, "createdAt">>(
            sql`SELECT r."createdAt" FROM "Report" r JOIN "ChatUser" u ON u."id" = r."reporterId"
             WHERE u."channel" = ${reporter.reporter.channel} AND u."channelUserId" = ${reporter.reporter.channelUserId} AND r."createdAt" > ${since}
             ORDER BY r."createdAt" DESC LIMIT ${options.rateLimit.count}`,
          );
    if (recent.length < options.rateLimit.count) return { allowed: true };
    // A slot frees when the oldest of the last `count` submissions leaves the window.
    const freeAt = recent[options.rateLimit.count - 1]!.createdAt.getTime() + windowMs;
    return { allowed: false, retryAfterMinutes: Math.max(1, Math.ceil((freeAt - now) / MINUTE)) };
  };

  const nextReference = async (tx: Sql): Promise<string> => {
    const year = localYearOf(clock(), timeZone);
    // One statement takes the number and moves the counter on: concurrent submissions queue on
    // the counter row and each gets its own number; a rolled-back submission gives its number back.
    // The town's prefix comes with it, saving a query per report.
    const [row] = await tx.query<{ issued: number; prefix: string | null }>(
      sql`INSERT INTO "ReferenceCounter" ("townCode", "year", "next") VALUES (${townCode}, ${year}, 2)
       ON CONFLICT ("townCode", "year") DO UPDATE SET "next" = "ReferenceCounter"."next" + 1
       RETURNING "next" - 1 AS "issued", (SELECT "referencePrefix" FROM "Town" WHERE "code" = ${townCode}) AS "prefix"`,
    );
    if (!row?.prefix) throw new TownNotLoadedError(townCode);
    return formatReference(row.prefix, year, row.issued);
  };

  const service: Pick<ReportsService, "checkRateLimit" | "submit"> = {
    async checkRateLimit(user) {
      return rateLimit(db, { reporter: { channel: user.channel, channelUserId: user.userId } });
    },

    async submit(input: ReportDraft, user: ChatIdentity, duplicates: DuplicateCheck): Promise<SubmitResult> {
      const parsed = draftSchema.safeParse(input);
      if (!parsed.success) throw new InvalidReportDraftError(parsed.error.issues);
      const draft = parsed.data;
      const declined = new Set(duplicates.declined.map(normalizeReference));
      // Read before the transaction: on PGlite's one connection a read outside it would wait for it forever.
      const [categories, placeIds] = await Promise.all([categoryRows(), gridIds()]);
      const category = categories.find((row) => row.code === draft.categoryCode);
      if (!category) throw new UnknownCategoryError(townCode, draft.categoryCode);
      const shop = draft.merchantCode ? await shopNamed(draft.merchantCode) : undefined;
      const now = clock();
      // The shop's standing goes into the staff alert as it is when the report comes in.
      const shopStanding = shop ? await shopStandingOf(db, townCode, shop.id, now) : null;
      return db.transaction(async (tx): Promise<SubmitResult> => {
        // The upsert also locks the user's row until commit, so one user's parallel submissions
        // are counted one after the other by the rate limit.
        const reporter = await upsertChatUser(tx, user, now);
        const limit = await rateLimit(tx, { reporterId: reporter.id });
        if (!limit.allowed) return { type: "rateLimited", retryAfterMinutes: limit.retryAfterMinutes };
        const codes = resolvePlace(grid.index, draft.place);
        // Two residents filing the same problem at the same moment queue here, so the
        // second sees the first's report (committed before the lock is released) and follows it.
        const spot = codes.roadCode ? `road:${codes.roadCode}` : `district:${codes.districtCode ?? "-"}`;
        await tx.query(sql`SELECT pg_advisory_xact_lock(hashtext(${`report:${townCode}:${category.code}:${spot}`}))`);
        // Only what was filed since the resident was shown the nearby reports: one they were never shown
        // (there were more than the question lists) is not chosen for them, whatever its age.
        const route = overrideRoute(category, placeIds) ?? defaultRoute(grid.index, codes);
        const duplicate = (
          await nearbyOpen(tx, category.code, draft.place, async () => placeIds, { filedSince: duplicates.checkedAt })
        ).find((report) => !declined.has(report.reference));
        // The resident's own report since the check is this submission made before: its commit went through
        // but the answer was lost (the database or the connection failed on the way back), and the draft was
        // confirmed again. It is their report, not someone else's to follow.
        if (duplicate?.reporterId === reporter.id) return { type: "created", reference: duplicate.reference, route };
        if (duplicate) {
          await addFollower(tx, duplicate.id, reporter.id, "RESIDENT");
          return { type: "followedExisting", reference: duplicate.reference };
        }
        // A blocked reporter gets the same answer as anyone; the case is kept but reaches no committee.
        const blocked = reporter.blockedAt !== null;
        const routed = blocked ? null : route;
        const reportId = randomUUID();
        const eventId = randomUUID();
        const alertsFor = blocked
          ? () => []
          : await staffAlertRows(tx, {
              townCode,
              reportId,
              eventId,
              grid: grid.index,
              categoryCode: category.code,
              codes,
              houseNumber: draft.place.houseNumber,
              content: {
                category: { zh: category.name, en: category.nameEn },
                clause: { ref: category.clauseRef, text: { zh: category.clauseText, en: category.clauseTextEn } },
                position:
                  draft.place.latitude !== undefined && draft.place.longitude !== undefined
                    ? { latitude: draft.place.latitude, longitude: draft.place.longitude }
                    : null,
                description: draft.description,
                shop: shop ? { zh: shop.name, en: shop.nameEn } : null,
                shopStanding,
                photoIds: draft.photoIds,
                supporters: 0,
                route,
              },
            });
        const road = codes.roadCode ? grid.index.road(codes.roadCode)?.name : undefined;
        const shopNoticesFor =
          blocked || !shop
            ? () => []
            : await merchantNoticeRows(tx, {
                id: reportId,
                eventId,
                createdAt: now,
                shop,
                category,
                road: road ? { name: road.zh, nameEn: road.en } : null,
                houseNumber: draft.place.houseNumber ?? null,
                description: draft.description,
              });
        // Every submission in the town waits for the counter row from here until commit, so the
        // reference is taken after every read, and one statement follows it.
        const reference = await nextReference(tx);
        // The report, its photos, its first timeline entry and its outbox rows (the reporter's
        // confirmation, the staff groups' alerts, the shop's notices) in one statement. Grid ids come
        // from the codes here, inside the transaction: codes from resolvePlace exist unless the town
        // was re-imported meanwhile, and then the missing ones are null.
        const outbox = outboxInsert(
          [
            ...residentUpdateRows({ reference, reporterId: reporter.id }, [reporter], eventId, "report.submitted", {
              status: "SUBMITTED",
              note: null,
              rejectReason: null,
              duplicateOf: null,
              route,
              reopened: false,
            }),
            ...alertsFor(reference),
            ...shopNoticesFor(reference),
          ],
          now,
        );
        const routedRoadCommittee = routed?.kind === "roadCommittee" ? routed.code : null;
        const routedDistrict = routed?.kind === "districtCommittee" ? routed.code : null;
        await tx.query(
          sql`WITH report AS (
             INSERT INTO "Report" ("id", "reference", "townCode", "categoryId", "reporterId", "contactAllowed", "description", "roadId", "houseNumber", "neighbourhoodId",
               "districtId", "latitude", "longitude", "merchantId", "routedRoadCommitteeId", "routedDistrictId", "routed", "createdAt", "updatedAt")
             VALUES (${reportId}, ${reference}, ${townCode}, ${category.id}, ${reporter.id}, ${draft.contactAllowed}, ${draft.description},
               (SELECT "id" FROM "Road" WHERE "townCode" = ${townCode} AND "code" = ${codes.roadCode ?? null}),
               ${draft.place.houseNumber ?? null},
               (SELECT n."id" FROM "Neighbourhood" n JOIN "District" d ON d."id" = n."districtId"
                WHERE d."townCode" = ${townCode} AND d."code" = ${codes.districtCode ?? null} AND n."code" = ${codes.neighbourhoodCode ?? null}),
               (SELECT "id" FROM "District" WHERE "townCode" = ${townCode} AND "code" = ${codes.districtCode ?? null}),
               ${draft.place.latitude ?? null}, ${draft.place.longitude ?? null}, ${shop?.id ?? null},
               (SELECT "id" FROM "RoadCommittee" WHERE "townCode" = ${townCode} AND "code" = ${routedRoadCommittee}),
               (SELECT "id" FROM "District" WHERE "townCode" = ${townCode} AND "code" = ${routedDistrict}),
               ${!blocked}, ${now}, ${now})
             RETURNING "id"
           ), photos AS (
             INSERT INTO "ReportPhoto" ("id", "reportId", "mediaId", "position")
             SELECT photo."id", report."id", photo."mediaId", (ROW_NUMBER() OVER (ORDER BY photo."position"))::int - 1
             FROM report, unnest(${draft.photoIds.map(() => randomUUID())}::text[], ${draft.photoIds}::text[]) WITH ORDINALITY AS photo("id", "mediaId", "position")
             -- An upload left unattached past its time is swept; the report goes in without it.
             WHERE EXISTS (SELECT 1 FROM "Media" m WHERE m."id" = photo."mediaId")
           ), outbox AS (${outbox})
           INSERT INTO "ReportEvent" ("id", "reportId", "type", "toStatus", "actorKind", "actorId", "createdAt")
           SELECT ${eventId}, report."id", 'SUBMITTED', 'SUBMITTED', 'RESIDENT', ${reporter.id}, ${now} FROM report`,
        );
        return { type: "created", reference, route };
      });
    },
  };

  return service;
}
