import { prismaSql, sql } from "../../db/sql.ts";
import { Prisma, type PrismaClient } from "../../generated/prisma/client.ts";
import { writeCourses, type CourseImportCounts } from "./courses.ts";
import { importCompact, refuseDroppingAcknowledgedShops } from "./compact.ts";
import { required, sync, type ImportCounts } from "./sync.ts";
import { DEADLINE_WORKING_DAYS_DEFAULT, ESCALATE_AFTER_MINUTES_DEFAULT, type TownData } from "./town-data.ts";

/** What {@link importTownData} did. `unchanged` means the same file was already imported and nothing was written. */
export type TownImportResult =
  | { status: "unchanged"; townCode: string }
  | {
      status: "imported";
      townCode: string;
      /** True when the town did not exist before this import. */
      townCreated: boolean;
      districts: ImportCounts;
      neighbourhoods: ImportCounts;
      roadCommittees: ImportCounts;
      roads: ImportCounts;
      categories: ImportCounts;
      merchants: ImportCounts;
      alertDestinations: ImportCounts;
      /** The governance academy's courses, cohorts and sessions. */
      courses: CourseImportCounts;
      /** The street compact's version after the import, and whether this import published it; null without a compact section. */
      compact: { version: number; published: boolean } | null;
      /** Committee members and road segments are replaced wholesale: these are the numbers written now. */
      committeeMembers: number;
      roadSegments: number;
    };

/** A report category the file leaves out but which reports still point at, so it cannot be deleted. */
export interface CategoryInUse {
  code: string;
  name: string;
  nameEn: string;
  reports: number;
}

/**
 * Raised when an import would delete report categories that reports still use
 * (reports keep their category for life, so the database refuses). Nothing is
 * written; whoever maintains the file puts the categories back, or renames one
 * in place by keeping its code.
 */
export class CategoryInUseError extends Error {
  constructor(
    readonly townCode: string,
    readonly categories: readonly CategoryInUse[],
  ) {
    const zh = categories.map((c) => `“${c.name}”（${c.code}，${c.reports} 条举报）`).join("、");
    const en = categories.map((c) => `"${c.nameEn}" (${c.code}, ${c.reports} report(s))`).join(", ");
    super(
      `镇 ${townCode} 的数据文件删除了仍有举报的类别 ${zh}，未导入任何内容；请保留这些类别（可改名称，代码不变） / ` +
        `the town data for ${townCode} removes categories that reports still use: ${en}; nothing was imported. Keep these categories (a name may change, the code must stay)`,
    );
    this.name = "CategoryInUseError";
  }
}

// A large town (hundreds of roads) on PGlite takes a few seconds; Prisma's 5 s default would abort it.
const TRANSACTION_TIMEOUT_MS = 120_000;

const PARITY = { all: "ALL", odd: "ODD", even: "EVEN" } as const;

type Tx = Prisma.TransactionClient;

/** Fails before anything is written when the file drops a category that reports still use. */
async function refuseRemovingUsedCategories(tx: Tx, data: TownData): Promise<void> {
  const kept = data.categories.map((c) => c.code);
  // Reports are a driver-SQL table (decision record 0007), so they are counted through SQL.
  const used = await prismaSql(tx).query<CategoryInUse>(
    sql`SELECT c."code", c."name", c."nameEn", count(*)::int AS "reports"
        FROM "ReportCategory" c JOIN "Report" r ON r."categoryId" = c."id"
        WHERE c."townCode" = ${data.town.code} AND NOT (c."code" = ANY(${kept}::text[]))
        GROUP BY c."id" ORDER BY c."sortOrder"`,
  );
  if (used.length > 0) throw new CategoryInUseError(data.town.code, used);
}

async function writeTown(
  tx: Tx,
  data: TownData,
  dataHash: string,
  timeZone: string,
): Promise<Exclude<TownImportResult, { status: "unchanged" }>> {
  await refuseRemovingUsedCategories(tx, data);
  await refuseDroppingAcknowledgedShops(tx, data);
  const t = data.town;
  const townFields = {
    name: t.name,
    nameEn: t.nameEn,
    officeName: t.officeName,
    officeNameEn: t.officeNameEn,
    officePhone: t.officePhone,
    officeHours: t.officeHours,
    officeHoursEn: t.officeHoursEn,
    officeAddress: t.officeAddress,
    isSample: t.sample,
    referencePrefix: t.referencePrefix,
    holidays: data.holidays,
    extraWorkingDays: data.extraWorkingDays,
    dataHash,
    importedAt: new Date(),
  };
  const before = await tx.town.findUnique({ where: { code: t.code }, select: { code: true } });
  await tx.town.upsert({ where: { code: t.code }, create: { code: t.code, ...townFields }, update: townFields });

  const districtFields = (index: number) => {
    const d = data.districts[index]!;
    return {
      name: d.name,
      nameEn: d.nameEn,
      committeeName: d.committeeName,
      committeeNameEn: d.committeeNameEn,
      officePhone: d.officePhone,
      officeHours: d.officeHours,
      officeHoursEn: d.officeHoursEn,
      officeAddress: d.officeAddress,
      boundary: d.boundary ?? Prisma.DbNull,
      sortOrder: index,
    };
  };
  const districts = await sync(
    await tx.district.findMany({ where: { townCode: t.code }, select: { id: true, code: true } }),
    data.districts,
    {
      update: (id, index) => tx.district.update({ where: { id }, data: districtFields(index) }),
      create: (index) =>
        tx.district.create({
          data: { townCode: t.code, code: data.districts[index]!.code, ...districtFields(index) },
          select: { id: true },
        }),
    },
  );

  await tx.committeeMember.deleteMany({ where: { district: { townCode: t.code } } });
  const members = data.districts.flatMap((d) =>
    d.members.map((m, sortOrder) => ({
      districtId: required(districts.ids, d.code),
      role: m.role,
      title: m.title,
      titleEn: m.titleEn,
      personName: m.personName ?? null,
      contact: m.contact ?? null,
      sortOrder,
    })),
  );
  await tx.committeeMember.createMany({ data: members });

  const neighbourhoodFields = (index: number) => {
    const n = data.neighbourhoods[index]!;
    return {
      districtId: required(districts.ids, n.district),
      name: n.name,
      nameEn: n.nameEn,
      aliases: n.aliases,
      committeeName: n.committeeName,
      committeeNameEn: n.committeeNameEn,
      committeePhone: n.committeePhone,
      committeeAddress: n.committeeAddress,
      partyOrganisation: n.partyOrganisation ?? null,
    };
  };
  const neighbourhoods = await sync(
    await tx.neighbourhood.findMany({
      where: { district: { townCode: t.code } },
      select: { id: true, code: true },
      orderBy: { id: "asc" },
    }),
    data.neighbourhoods,
    {
      update: (id, index) => tx.neighbourhood.update({ where: { id }, data: neighbourhoodFields(index) }),
      create: (index) =>
        tx.neighbourhood.create({ data: { code: data.neighbourhoods[index]!.code, ...neighbourhoodFields(index) }, select: { id: true } }),
    },
  );

  const committeeFields = (index: number) => {
    const c = data.roadCommittees[index]!;
    return { name: c.name, nameEn: c.nameEn, officePhone: c.officePhone, officeAddress: c.officeAddress };
  };
  const roadCommittees = await sync(
    await tx.roadCommittee.findMany({ where: { townCode: t.code }, select: { id: true, code: true } }),
    data.roadCommittees,
    {
      update: (id, index) => tx.roadCommittee.update({ where: { id }, data: committeeFields(index) }),
      create: (index) =>
        tx.roadCommittee.create({
          data: { townCode: t.code, code: data.roadCommittees[index]!.code, ...committeeFields(index) },
          select: { id: true },
        }),
    },
  );

  const committeeOfRoad = new Map(
    data.roadCommittees.flatMap((c) => c.roads.map((road) => [road, required(roadCommittees.ids, c.code)] as const)),
  );
  const roadFields = (index: number) => {
    const r = data.roads[index]!;
    return { name: r.name, nameEn: r.nameEn, aliases: r.aliases, roadCommitteeId: required(committeeOfRoad, r.code) };
  };
  const roads = await sync(await tx.road.findMany({ where: { townCode: t.code }, select: { id: true, code: true } }), data.roads, {
    update: (id, index) => tx.road.update({ where: { id }, data: roadFields(index) }),
    create: (index) =>
      tx.road.create({ data: { townCode: t.code, code: data.roads[index]!.code, ...roadFields(index) }, select: { id: true } }),
  });

  await tx.roadSegment.deleteMany({ where: { road: { townCode: t.code } } });
  const segments = data.roads.flatMap((r) =>
    r.segments.map((s) => ({
      roadId: required(roads.ids, r.code),
      districtId: required(districts.ids, s.district),
      neighbourhoodId: s.neighbourhood === undefined ? null : required(neighbourhoods.ids, s.neighbourhood),
      fromNumber: s.from,
      toNumber: s.to,
      parity: PARITY[s.parity],
    })),
  );
  await tx.roadSegment.createMany({ data: segments });

  const categoryFields = (index: number) => {
    const c = data.categories[index]!;
    const target = c.routeTo;
    return {
      name: c.name,
      nameEn: c.nameEn,
      clauseRef: c.clause.ref,
      clauseText: c.clause.text,
      clauseTextEn: c.clause.textEn,
      keywords: c.keywords,
      examples: c.examples,
      excludes: c.excludes,
      routeToRoadCommitteeId: target?.roadCommittee === undefined ? null : required(roadCommittees.ids, target.roadCommittee),
      routeToDistrictId: target?.district === undefined ? null : required(districts.ids, target.district),
      escalateAfterMinutes: c.escalateAfterMinutes ?? ESCALATE_AFTER_MINUTES_DEFAULT,
      deadlineWorkingDays: c.deadlineWorkingDays ?? DEADLINE_WORKING_DAYS_DEFAULT,
      sortOrder: index,
    };
  };
  const categories = await sync(
    await tx.reportCategory.findMany({ where: { townCode: t.code }, select: { id: true, code: true } }),
    data.categories,
    {
      update: (id, index) => tx.reportCategory.update({ where: { id }, data: categoryFields(index) }),
      create: (index) =>
        tx.reportCategory.create({
          data: { townCode: t.code, code: data.categories[index]!.code, ...categoryFields(index) },
          select: { id: true },
        }),
    },
  );

  const merchantFields = (index: number) => {
    const m = data.merchants[index]!;
    return {
      name: m.name,
      nameEn: m.nameEn,
      roadId: required(roads.ids, m.road),
      houseNumber: m.houseNumber ?? null,
      address: m.address ?? null,
      licenceNumber: m.licenceNumber ?? null,
      contactName: m.contactName ?? null,
      contactPhone: m.contactPhone ?? null,
      // A chat-added shop the file now lists becomes the file's to manage.
      managedInChat: false,
    };
  };
  const existingMerchants = await tx.merchant.findMany({
    where: { townCode: t.code },
    select: { id: true, code: true, managedInChat: true },
  });
  const chatManaged = new Set(existingMerchants.filter((m) => m.managedInChat).map((m) => m.id));
  const merchants = await sync(existingMerchants, data.merchants, {
    update: (id, index) => tx.merchant.update({ where: { id }, data: merchantFields(index) }),
    create: (index) =>
      tx.merchant.create({ data: { townCode: t.code, code: data.merchants[index]!.code, ...merchantFields(index) }, select: { id: true } }),
  });

  const destinationFields = (index: number) => {
    const d = data.alertDestinations[index]!;
    return {
      name: d.name,
      channel: d.telegramChatId !== undefined ? "telegram" : "wecom",
      address: d.telegramChatId ?? d.wecomRobotUrl ?? "",
      locale: d.locale,
      districtCodes: d.districts,
      roadCommitteeCodes: d.roadCommittees,
      categoryCodes: d.categories,
      escalation: d.escalation ?? false,
    };
  };
  const destinations = await sync(
    await tx.alertDestination.findMany({ where: { townCode: t.code, managedInChat: false }, select: { id: true, code: true } }),
    data.alertDestinations,
    {
      update: (id, index) => tx.alertDestination.update({ where: { id }, data: destinationFields(index) }),
      create: (index) =>
        tx.alertDestination.create({
          data: { townCode: t.code, code: data.alertDestinations[index]!.code, ...destinationFields(index) },
          select: { id: true },
        }),
    },
  );
  await tx.alertDestination.deleteMany({ where: { id: { in: destinations.stale } } });

  const courses = await writeCourses(tx, data, new Date());
  const compact = await importCompact(tx, data, new Date(), timeZone);

  // Reports of a dropped merchant keep the report and lose the shop (SetNull); refuseRemovingUsedCategories
  // made sure no stale category has reports.
  // Shops staff added in the chat stay whatever the file says.
  const staleMerchants = merchants.stale.filter((id) => !chatManaged.has(id));
  merchants.counts.removed = staleMerchants.length;
  await tx.merchant.deleteMany({ where: { id: { in: staleMerchants } } });
  await tx.reportCategory.deleteMany({ where: { id: { in: categories.stale } } });
  // Children first: a stale district would otherwise cascade-delete rows that moved out of it,
  // and a road still pointing at a stale committee would block its deletion.
  await tx.road.deleteMany({ where: { id: { in: roads.stale } } });
  await tx.roadCommittee.deleteMany({ where: { id: { in: roadCommittees.stale } } });
  await tx.neighbourhood.deleteMany({ where: { id: { in: neighbourhoods.stale } } });
  await tx.district.deleteMany({ where: { id: { in: districts.stale } } });

  return {
    status: "imported",
    townCode: t.code,
    townCreated: before === null,
    districts: districts.counts,
    neighbourhoods: neighbourhoods.counts,
    roadCommittees: roadCommittees.counts,
    roads: roads.counts,
    categories: categories.counts,
    merchants: merchants.counts,
    alertDestinations: destinations.counts,
    courses,
    compact: compact ? { version: compact.version, published: compact.type === "published" } : null,
    committeeMembers: members.length,
    roadSegments: segments.length,
  };
}

/**
 * Loads one validated town-data file into the database in a single transaction:
 * either the whole grid of the town is replaced or nothing changes. Districts,
 * neighbourhoods, road committees, roads, report categories and merchants keep
 * their ids across re-imports (matched by code within the town); rows whose
 * code left the file are deleted; committee members and road segments are
 * rewritten. A file that drops a category still used by reports is refused
 * with {@link CategoryInUseError} and changes nothing, and so is one that
 * would undo enrolments (a capacity below the seated count, a dropped cohort
 * with enrolments) with `CourseConflictError`, and one dropping a shop
 * that acknowledged the compact with `AcknowledgedShopError`; a dropped
 * merchant's reports simply lose the shop, and shops staff added in the chat
 * are left alone. A changed compact section publishes a new version. Importing content whose
 * `dataHash` (SHA-256 of the file) equals the stored one writes nothing, so
 * running it at every start is cheap and idempotent.
 *
 * @param data the output of `validateTownData` — references are assumed resolved
 * @param dataHash identifies the file content, e.g. SHA-256 hex of its bytes
 * @param timeZone the town's IANA zone (config TIME_ZONE): the compact's effective date is midnight there
 */
export async function importTownData(prisma: PrismaClient, data: TownData, dataHash: string, timeZone: string): Promise<TownImportResult> {
  return prisma.$transaction(
    async (tx) => {
      const existing = await tx.town.findUnique({ where: { code: data.town.code }, select: { dataHash: true } });
      if (existing?.dataHash === dataHash) return { status: "unchanged", townCode: data.town.code };
      return writeTown(tx, data, dataHash, timeZone);
    },
    { timeout: TRANSACTION_TIMEOUT_MS, maxWait: TRANSACTION_TIMEOUT_MS },
  );
}
