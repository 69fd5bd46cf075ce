import { createHash } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Database } from "../../../src/db/database.ts";
import { sql } from "../../../src/db/sql.ts";
import { queueOutbox } from "../../../src/domain/outbox/queue.ts";
import { foldIntoDigest, requeueDeadLetters, type FoldableRow } from "../../../src/domain/outbox/store.ts";
import { DATABASE_KINDS, freshDatabase } from "../../support/databases.ts";

const AT = new Date("2026-11-27T02:00:00.000Z");
const GROUP = "-100777";

describe.each(DATABASE_KINDS)("the outbox store on %s", (kind) => {
  let db: Database;
  beforeAll(async () => {
    db = await freshDatabase(kind);
  });
  afterAll(async () => {
    await db.close();
  });
  beforeEach(async () => {
    await db.sql.query(sql`DELETE FROM "OutboxMessage"`);
  });

  /** Queues `count` notes to the group, a millisecond apart, and answers their ids in that order. */
  const queueNotes = async (prefix: string, count: number) => {
    for (let n = 0; n < count; n++) {
      const row = { dedupeKey: `${prefix}-${n}`, kind: "test.note", channel: "telegram", chatId: GROUP, payload: { n } };
      await queueOutbox(db.sql, [row], new Date(AT.getTime() + n));
    }
    const rows = await db.sql.query<{ id: string }>(
      sql`SELECT "id" FROM "OutboxMessage" WHERE "dedupeKey" LIKE ${`${prefix}-%`} ORDER BY "createdAt"`,
    );
    return rows.map((row) => row.id);
  };
  const statuses = async () =>
    db.sql.query<{ id: string; status: string; mergedIntoId: string | null }>(
      sql`SELECT "id", "status", "mergedIntoId" FROM "OutboxMessage" ORDER BY "createdAt", "id"`,
    );
  const everyRow = (rows: FoldableRow[]) => ({
    kind: "test.digest",
    payload: { count: rows.length },
    foldedIds: rows.map((row) => row.id),
  });
  const fold = (keep: number) =>
    db.sql.transaction((tx) => foldIntoDigest(tx, { channel: "telegram", chatId: GROUP, keep, kinds: ["test.note"] }, everyRow));

  it("folds the rows after the kept ones into one digest at the oldest folded row's place, marking them merged into it", async () => {
    const ids = await queueNotes("fold", 4);
    const digest = await fold(1);

    expect(digest).toEqual({ digestId: expect.any(String), folded: 3 });
    const [row] = await db.sql.query<{ kind: string; createdAt: Date; nextAttemptAt: Date; payload: unknown }>(
      sql`SELECT "kind", "createdAt", "nextAttemptAt", "payload" FROM "OutboxMessage" WHERE "id" = ${digest!.digestId}`,
    );
    expect(row).toEqual({
      kind: "test.digest",
      createdAt: new Date(AT.getTime() + 1),
      nextAttemptAt: new Date(AT.getTime() + 1),
      payload: { count: 3 },
    });
    const byId = new Map((await statuses()).map((r) => [r.id, r]));
    expect(byId.get(ids[0]!)).toMatchObject({ status: "PENDING", mergedIntoId: null });
    for (const id of ids.slice(1)) expect(byId.get(id)).toMatchObject({ status: "MERGED", mergedIntoId: digest!.digestId });
  });

  it("a digest whose dedupe key was queued before is skipped and leaves its rows pending, merged into nothing", async () => {
    const ids = await queueNotes("again", 3);
    const key = `test.digest:${createHash("sha256").update(ids.join(",")).digest("hex")}`;
    await queueOutbox(db.sql, [{ dedupeKey: key, kind: "test.digest", channel: "telegram", chatId: GROUP, payload: {} }], AT);

    expect(await fold(0)).toBeUndefined();
    const rows = await statuses();
    expect(rows).toHaveLength(4);
    expect(rows.every((r) => r.status === "PENDING" && r.mergedIntoId === null)).toBe(true);
  });

  it("a single foldable row is left alone: a digest of one helps nobody", async () => {
    await queueNotes("one", 2);
    expect(await fold(1)).toBeUndefined();
    expect((await statuses()).every((r) => r.status === "PENDING")).toBe(true);
  });

  it("requeueing puts back only the dead letters named, or every one, with a fresh attempt count, due at the time given", async () => {
    const [first, second, pending] = await queueNotes("dead", 3);
    await db.sql.query(sql`UPDATE "OutboxMessage" SET "status" = 'DEAD', "attempts" = 8 WHERE "id" IN (${first}, ${second})`);
    const later = new Date(AT.getTime() + 60_000);

    expect(await requeueDeadLetters(db.sql, [first!, pending!], later)).toBe(1);
    expect(await requeueDeadLetters(db.sql, [], later)).toBe(0);
    const rows = async () =>
      db.sql.query<{ id: string; status: string; attempts: number; nextAttemptAt: Date }>(
        sql`SELECT "id", "status", "attempts", "nextAttemptAt" FROM "OutboxMessage" ORDER BY "createdAt"`,
      );
    expect(await rows()).toEqual([
      { id: first, status: "PENDING", attempts: 0, nextAttemptAt: later },
      { id: second, status: "DEAD", attempts: 8, nextAttemptAt: new Date(AT.getTime() + 1) },
      { id: pending, status: "PENDING", attempts: 0, nextAttemptAt: new Date(AT.getTime() + 2) },
    ]);
    expect(await requeueDeadLetters(db.sql, "all", later)).toBe(1);
    expect((await rows()).map((row) => row.status)).toEqual(["PENDING", "PENDING", "PENDING"]);
  });
});
