import { sql, type Sql, type Statement } from "../../db/sql.ts";
import type { CompactAcknowledgement, CompactVersion } from "../../generated/prisma/client.ts";

/**
 * Where a shop stands with the street compact: `current` when an account has
 * acknowledged the version in force, `outdated` when only an earlier version
 * was acknowledged, `none` when nobody ever acknowledged for it.
 */
export type CompactStanding = "current" | "outdated" | "none";

/**
 * The version in force at `now`, as a statement to select from: the
 * highest-numbered one whose effective date has passed. A version published for
 * a later date does not make earlier acknowledgements outdated before it takes
 * effect. The one place that rule is written.
 */
const inForce = (townCode: string, now: Date): Statement =>
  sql`SELECT "id", "version", "contentHash" FROM "CompactVersion"
      WHERE "townCode" = ${townCode} AND "effectiveFrom" <= ${now} ORDER BY "version" DESC LIMIT 1`;

/** The version in force at `now` (see {@link inForce}); undefined before the town's first compact takes effect. */
export async function versionInForce(
  db: Sql,
  townCode: string,
  now: Date,
): Promise<Pick<CompactVersion, "id" | "version" | "contentHash"> | undefined> {
  const [version] = await db.query<Pick<CompactVersion, "id" | "version" | "contentHash">>(inForce(townCode, now));
  return version;
}

/**
 * The standing of each shop in `merchantIds` at `now`, in one statement
 * whatever the number of shops, so alerts and per-road tallies stay cheap. A
 * town with no compact in force reports every shop as `none`.
 */
export async function compactStandingOf(
  db: Sql,
  townCode: string,
  merchantIds: readonly string[],
  now: Date,
): Promise<Map<string, CompactStanding>> {
  const standing = new Map<string, CompactStanding>(merchantIds.map((id) => [id, "none"]));
  if (merchantIds.length === 0) return standing;
  // Signing a version announced for a later date also covers the one in force until then.
  const acknowledged = await db.query<Pick<CompactAcknowledgement, "merchantId"> & { standing: "current" | "outdated" }>(
    sql`WITH "inForce" AS (${inForce(townCode, now)})
        SELECT a."merchantId", CASE WHEN MAX(v."version") >= (SELECT "version" FROM "inForce") THEN 'current' ELSE 'outdated' END AS "standing"
        FROM "CompactAcknowledgement" a JOIN "CompactVersion" v ON v."id" = a."compactVersionId"
        WHERE a."merchantId" = ANY(${[...merchantIds]}::text[]) AND a."acknowledgedAt" <= ${now} AND EXISTS (SELECT 1 FROM "inForce")
        GROUP BY a."merchantId"`,
  );
  for (const record of acknowledged) standing.set(record.merchantId, record.standing);
  return standing;
}
