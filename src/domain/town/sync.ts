/** How many rows of one kind an import created, kept (and rewrote) or deleted. */
export interface ImportCounts {
  created: number;
  updated: number;
  removed: number;
}

/**
 * Upserts rows keyed by code: existing ids are kept (reports and other later
 * features point at them), new codes are created, codes missing from the file
 * are returned for deletion once nothing else needs them. Every part of
 * the town data (grid, courses) uses it, so every part keeps ids the same way.
 */
export async function sync<Row extends { id: string; code: string }>(
  existing: readonly Row[],
  wanted: readonly { code: string }[],
  write: { update: (id: string, index: number) => Promise<unknown>; create: (index: number) => Promise<{ id: string }> },
): Promise<{ ids: Map<string, string>; counts: ImportCounts; stale: string[] }> {
  const byCode = new Map<string, string>();
  const stale: string[] = [];
  for (const row of existing) {
    // The database only forbids duplicate neighbourhood codes within a district; keep one per code.
    if (byCode.has(row.code)) stale.push(row.id);
    else byCode.set(row.code, row.id);
  }
  const ids = new Map<string, string>();
  const counts: ImportCounts = { created: 0, updated: 0, removed: 0 };
  for (const [index, { code }] of wanted.entries()) {
    const id = byCode.get(code);
    if (id === undefined) {
      ids.set(code, (await write.create(index)).id);
      counts.created++;
    } else {
      await write.update(id, index);
      ids.set(code, id);
      counts.updated++;
    }
  }
  for (const [code, id] of byCode) if (!ids.has(code)) stale.push(id);
  counts.removed = stale.length;
  return { ids, counts, stale };
}

/** The id imported for a code; validated data always has one. */
export const required = (ids: Map<string, string>, code: string): string => {
  const id = ids.get(code);
  // validateTownData guarantees every reference resolves; reaching this means the caller skipped it.
  if (id === undefined) throw new Error(`Town data refers to unknown code "${code}"; validate it with validateTownData first`);
  return id;
};
