import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/db/database.ts";
import { openSampleTown } from "../support/town.ts";

const OVERLAP = "Calling client.query() when the client is already executing a query";

describe("Prisma transactions on PostgreSQL", () => {
  let db: Database;
  const warnings: string[] = [];
  const onWarning = (warning: Error) => warnings.push(warning.message);

  beforeAll(async () => {
    process.on("warning", onWarning);
    ({ db } = await openSampleTown("postgres"));
  });
  afterAll(async () => {
    process.off("warning", onWarning);
    await db?.close();
  });

  it("a read with several relations inside a transaction never sends a statement on a connection still running one (pg 9 refuses that)", async () => {
    for (let round = 0; round < 5; round++) {
      const districts = await db.prisma.$transaction(async (tx) =>
        tx.district.findMany({ include: { neighbourhoods: true, members: true, roadSegments: true, town: true }, take: 3 }),
      );
      expect(districts.length).toBeGreaterThan(0);
    }
    // Deprecation warnings are emitted on the next tick.
    await new Promise((resolve) => setImmediate(resolve));
    expect(warnings.filter((message) => message.includes(OVERLAP))).toEqual([]);
  });
});
