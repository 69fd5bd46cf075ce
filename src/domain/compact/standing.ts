import type { PrismaClient } from "../../generated/prisma/client.ts";

/**
 * Where a shop stands with the street compact: `current` when an account has
 * acknowledged the version in force, `outdated` when only an earlier version
 * was acknowledged, `none` when nobody ever acknowledged for it.
 */
export type CompactStanding = "current" | "outdated" | "none";

type Reader = Pick<PrismaClient, "compactVersion" | "compactAcknowledgement">;

/**
 * The version in force at `now`: the highest-numbered one whose effective date
 * has passed. A version published for a later date does not make earlier
 * acknowledgements outdated before it takes effect.
 */
export async function versionInForce(
  prisma: Reader,
  townCode: string,
  now: Date,
): Promise<{ id: string; version: number; contentHash: string } | undefined> {
  const version = await prisma.compactVersion.findFirst({
    where: { townCode, effectiveFrom: { lte: now } },
    orderBy: { version: "desc" },
    select: { id: true, version: true, contentHash: true },
  });
  return version ?? undefined;
}

/**
 * The standing of each shop in `merchantIds` at `now`, in two queries whatever
 * the number of shops, so alerts and per-road tallies stay cheap. A town with
 * no compact in force reports every shop as `none`.
 */
export async function compactStandingOf(
  prisma: Reader,
  townCode: string,
  merchantIds: readonly string[],
  now: Date,
): Promise<Map<string, CompactStanding>> {
  const standing = new Map<string, CompactStanding>(merchantIds.map((id) => [id, "none"]));
  if (merchantIds.length === 0) return standing;
  const inForce = await versionInForce(prisma, townCode, now);
  if (!inForce) return standing;
  const acknowledged = await prisma.compactAcknowledgement.findMany({
    where: { merchantId: { in: [...merchantIds] }, acknowledgedAt: { lte: now } },
    select: { merchantId: true, version: { select: { version: true } } },
  });
  for (const record of acknowledged) {
    // Signing a version announced for a later date also covers the one in force until then.
    if (record.version.version >= inForce.version) standing.set(record.merchantId, "current");
    else if (standing.get(record.merchantId) === "none") standing.set(record.merchantId, "outdated");
  }
  return standing;
}
