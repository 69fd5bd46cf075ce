import type { PrismaClient } from "../../generated/prisma/client.ts";

/**
 * The town's own words that reading free text needs besides its grid: the
 * report categories with their keywords, residents' example messages and
 * excluding words; shop, course and compact names. (The reference prefix
 * comes with the grid snapshot.)
 * Read per import, so a second town is understood in its words.
 */
export interface TownVocabulary {
  categories: { code: string; names: string[]; keywords: string[]; examples: string[]; excludes: string[] }[];
  shops: { names: string[]; roadCode: string; houseNumber: number | null }[];
  /** Course names in both languages: naming one means classes. */
  courses: string[];
  /** The street compact's titles in every version, both languages. */
  compactTitles: string[];
}

/** Reads {@link TownVocabulary} for one town; four small indexed reads, done once per import. */
export async function loadTownVocabulary(prisma: PrismaClient, townCode: string): Promise<TownVocabulary> {
  const [categories, shops, courses, compacts] = await Promise.all([
    prisma.reportCategory.findMany({ where: { townCode }, orderBy: { sortOrder: "asc" } }),
    prisma.merchant.findMany({
      where: { townCode },
      select: { name: true, nameEn: true, houseNumber: true, road: { select: { code: true } } },
    }),
    prisma.course.findMany({ where: { townCode }, select: { name: true, nameEn: true } }),
    prisma.compactVersion.findMany({ where: { townCode }, select: { title: true, titleEn: true } }),
  ]);
  return {
    categories: categories.map((c) => ({
      code: c.code,
      names: [c.name, c.nameEn],
      keywords: c.keywords,
      examples: c.examples,
      excludes: c.excludes,
    })),
    shops: shops.map((s) => ({ names: [s.name, s.nameEn], roadCode: s.road.code, houseNumber: s.houseNumber })),
    courses: courses.flatMap((c) => [c.name, c.nameEn]),
    compactTitles: [...new Set(compacts.flatMap((c) => [c.title, c.titleEn]))],
  };
}
