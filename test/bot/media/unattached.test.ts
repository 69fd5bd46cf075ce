import { readdir } from "node:fs/promises";
import { afterEach, describe, expect, it } from "vitest";
import type { ReportDraft } from "../../../src/domain/reports/service.ts";
import { DATABASE_KINDS } from "../../support/databases.ts";
import { declining, openSampleServices, resident, TINY_PNG, type SampleServices } from "../../support/town.ts";

const HOUR = 60 * 60_000;
const visitor = (n: number, address = "198.51.100.7") => ({ clientId: `visitor-${n}-abcdef`, address });

describe.each(DATABASE_KINDS)("uploads no report uses, on %s", (kind) => {
  let town: SampleServices;
  let now: number;
  afterEach(async () => {
    await town?.close();
  });

  const open = async (limits: Parameters<typeof openSampleServices>[0] = {}) => {
    now = Date.parse("2026-12-07T08:00:00.000Z");
    town = await openSampleServices({ kind, clock: () => new Date(now), ...limits });
    return town;
  };
  const stored = async (seed: number, who = visitor(1)) => {
    const result = await town.media.put(TINY_PNG(seed), who);
    if (!result.ok) throw new Error(`expected the upload to be kept, got ${result.reason}`);
    return result.mediaId;
  };
  const fileExists = async (mediaId: string) => (await town.media.read(mediaId)) !== undefined;
  const draft = async (photoIds: string[]): Promise<ReportDraft> => ({
    categoryCode: (
      await town.db.prisma.reportCategory.findFirstOrThrow({
        where: { routeToRoadCommitteeId: null, routeToDistrictId: null, code: { not: "other" } },
        orderBy: { sortOrder: "asc" },
      })
    ).code,
    place: { roadCode: "yongde", houseNumber: 12 },
    description: "门口堆满纸箱",
    photoIds,
    contactAllowed: false,
  });

  it("deletes a photo no report used once its hour has passed, keeps the one a report uses, and two sweeps at once delete it once", async () => {
    await open({ mediaLimits: { unattachedTtlMs: HOUR } });
    const used = await stored(1);
    const abandoned = await stored(2);
    expect((await town.reports.submit(await draft([used]), resident("photo-owner"), declining())).type).toBe("created");
    now += HOUR - 1_000;
    expect(await town.media.sweepUnattached()).toBe(0);
    expect(await town.media.usage()).toMatchObject({ unattached: 1 });
    now += 2_000;
    const swept = await Promise.all([town.media.sweepUnattached(), town.media.sweepUnattached()]);
    expect(swept.reduce((a, b) => a + b, 0)).toBe(1);
    expect(await fileExists(abandoned)).toBe(false);
    expect(await fileExists(used)).toBe(true);
    expect(await town.media.usage()).toMatchObject({ unattached: 0, bytesUsed: TINY_PNG(1).length });
    expect(await town.media.sweepUnattached()).toBe(0);
  });

  it("files a report whose uploaded photo was swept meanwhile, without that photo", async () => {
    await open({ mediaLimits: { unattachedTtlMs: HOUR } });
    const late = await stored(3);
    now += HOUR + 1;
    const fresh = await stored(4);
    expect(await town.media.sweepUnattached()).toBe(1);
    const result = await town.reports.submit(await draft([late, fresh]), resident("slow-writer"), declining());
    expect(result.type).toBe("created");
    const report = await town.db.prisma.report.findFirstOrThrow({ include: { photos: true } });
    expect(report.photos.map((photo) => [photo.mediaId, photo.position])).toEqual([[fresh, 0]]);
  });

  it("refuses a visitor's upload over their quota of unattached photos with the wait, but not the same bytes again, nor another visitor", async () => {
    await open({ mediaLimits: { unattachedPerClient: 3, unattachedPerAddress: 5, unattachedTtlMs: HOUR } });
    for (let seed = 10; seed < 13; seed++) await stored(seed);
    expect(await town.media.put(TINY_PNG(13), visitor(1))).toEqual({
      ok: false,
      reason: "uploaderQuota",
      limit: 3,
      retryAfterSeconds: 3600,
    });
    expect((await town.media.put(TINY_PNG(12), visitor(1))).ok).toBe(true);
    await stored(14, visitor(2));
    await stored(15, visitor(3));
    // Five unattached from one address: a sixth visitor there is refused, one elsewhere is not.
    expect(await town.media.put(TINY_PNG(16), visitor(4))).toMatchObject({ ok: false, reason: "uploaderQuota", limit: 5 });
    await stored(16, visitor(4, "203.0.113.9"));
    // A channel photo has no uploader: only the store's own bounds apply.
    expect((await town.media.put(TINY_PNG(17))).ok).toBe(true);
  });

  it("refuses any new image once everyone's unattached photos reach their bound, leaving no file behind", async () => {
    const size = TINY_PNG(20).length;
    await open({ mediaLimits: { unattachedMaxBytes: size * 2 + Math.floor(size / 2), unattachedPerAddress: 100 } });
    await stored(20, visitor(1));
    await stored(21, visitor(2));
    const before = await town.media.usage();
    expect(await town.media.put(TINY_PNG(22), visitor(3))).toEqual({ ok: false, reason: "storageFull" });
    expect(await town.media.put(TINY_PNG(22))).toEqual({ ok: false, reason: "storageFull" });
    expect(await town.media.usage()).toEqual(before);
    expect(before).toMatchObject({ unattached: 2, unattachedBytes: size * 2 });
    const files = (await readdir(town.mediaRoot, { recursive: true, withFileTypes: true })).filter((entry) => entry.isFile());
    expect(files).toHaveLength(2);
  });
});
