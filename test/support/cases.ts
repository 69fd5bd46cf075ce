import { sql, type Sql } from "../../src/db/sql.ts";

/** What {@link seedCases} makes: how many cases, up to when, and the label of the staff member who claimed the claimed ones. */
export interface CaseSeed {
  townCode: string;
  count: number;
  /** The newest case is created an hour before this; the others go back one every `spacingMinutes`. */
  now: Date;
  spacingMinutes?: number;
  claimedBy?: string;
}

/**
 * Many cases at once, in two statements, for pages and benchmarks that need a
 * town with a long history (10,000 cases take well under a second on
 * PostgreSQL): spread over every road stretch and category of the imported
 * town, each routed to its road's committee as a report on a road is. The
 * statuses cycle through four open in ten (submitted, submitted, acknowledged,
 * in progress), then resolved, and one in ten rejected; acknowledged and later
 * cases have a staff claim in their timeline. References are
 * `<prefix>-1999-<n>`, a year no real report has.
 */
export async function seedCases(db: Sql, seed: CaseSeed): Promise<void> {
  const spacing = seed.spacingMinutes ?? 53;
  const newest = new Date(seed.now.getTime() - 3_600_000);
  await db.transaction(async (tx) => {
    const [user] = await tx.query<{ id: string }>(
      sql`INSERT INTO "ChatUser" ("id", "channel", "channelUserId", "chatId", "locale", "createdAt")
          VALUES (gen_random_uuid()::text, 'seed', ${`seed-${seed.townCode}`}, 'seed', 'zh', ${newest})
          ON CONFLICT ("channel", "channelUserId") DO UPDATE SET "locale" = 'zh' RETURNING "id"`,
    );
    await tx.query(sql`
      WITH stretch AS (
        SELECT (row_number() OVER (ORDER BY s."id") - 1)::int AS k, s."roadId", s."districtId", s."neighbourhoodId", road."roadCommitteeId"
        FROM "RoadSegment" s JOIN "Road" road ON road."id" = s."roadId" WHERE road."townCode" = ${seed.townCode}
      ), category AS (
        SELECT (row_number() OVER (ORDER BY c."sortOrder", c."id") - 1)::int AS k, c."id" FROM "ReportCategory" c WHERE c."townCode" = ${seed.townCode}
      ), sizes AS (
        SELECT (SELECT COUNT(*) FROM stretch)::int AS stretches, (SELECT COUNT(*) FROM category)::int AS categories
      ), n AS (
        SELECT i, (ARRAY['SUBMITTED','SUBMITTED','SUBMITTED','SUBMITTED','ACKNOWLEDGED','IN_PROGRESS','RESOLVED','RESOLVED','RESOLVED','REJECTED'])[i % 10 + 1] AS status,
          ${newest}::timestamp(3) - make_interval(mins => i * ${spacing}) AS at
        FROM generate_series(0, ${seed.count - 1}) AS i
      )
      INSERT INTO "Report" ("id", "reference", "townCode", "categoryId", "status", "reporterId", "contactAllowed", "description",
        "roadId", "neighbourhoodId", "districtId", "routedRoadCommitteeId", "routed", "followerCount", "createdAt", "updatedAt", "resolvedAt")
      SELECT gen_random_uuid()::text, t."referencePrefix" || '-1999-' || lpad(n.i::text, 6, '0'), ${seed.townCode}, category."id",
        n.status::"ReportStatus", ${user!.id}, false, '门口堆放杂物',
        stretch."roadId", stretch."neighbourhoodId", stretch."districtId", stretch."roadCommitteeId", true, 0, n.at,
        CASE WHEN n.status = 'SUBMITTED' THEN n.at ELSE n.at + interval '3 hours' END,
        CASE WHEN n.status = 'RESOLVED' THEN n.at + interval '3 hours' END
      FROM n CROSS JOIN sizes JOIN "Town" t ON t."code" = ${seed.townCode}
        JOIN stretch ON stretch.k = n.i % sizes.stretches
        JOIN category ON category.k = (n.i / sizes.stretches + n.i) % sizes.categories`);
    await tx.query(sql`
      INSERT INTO "ReportEvent" ("id", "reportId", "type", "fromStatus", "toStatus", "actorKind", "actorId", "actorLabel", "createdAt")
      SELECT gen_random_uuid()::text, r."id", 'STATUS_CHANGED', 'SUBMITTED', 'ACKNOWLEDGED', 'STAFF', 'seed-staff', ${seed.claimedBy ?? "值班员"},
        r."createdAt" + interval '1 hour'
      FROM "Report" r WHERE r."townCode" = ${seed.townCode} AND r."reference" LIKE '%-1999-%' AND r."status" <> 'SUBMITTED'
        AND r."status" <> 'REJECTED'`);
  });
  // A town's database is analysed as it grows; after one bulk insert the planner would otherwise guess from an empty table.
  await db.query(sql`ANALYZE "Report"`);
  await db.query(sql`ANALYZE "ReportEvent"`);
}
