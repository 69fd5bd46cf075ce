import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/db/database.ts";
import { DATABASE_KINDS, freshDatabase } from "../support/databases.ts";

describe.each(DATABASE_KINDS)("SQL through the driver on %s", (kind) => {
  let db: Database;
  const zoneBefore = process.env.TZ;
  beforeAll(async () => {
    // Far from UTC, so a timestamp read or written as local time would be off by eight hours.
    process.env.TZ = "Asia/Shanghai";
    db = await freshDatabase(kind);
  });
  afterAll(async () => {
    process.env.TZ = zoneBefore;
    await db.close();
  });

  it("a DateTime written by Prisma reads back through SQL as the same instant, and one written through SQL reads back through Prisma", async () => {
    const instant = new Date("2026-11-27T03:04:05.678Z");
    const viaPrisma = await db.prisma.chatUser.create({ data: { channel: "web", channelUserId: "sql-a", chatId: "a", createdAt: instant } });
    const [read] = await db.sql.query<{ createdAt: Date }>(`SELECT "createdAt" FROM "ChatUser" WHERE id = $1`, [viaPrisma.id]);
    expect(read?.createdAt.toISOString()).toBe(instant.toISOString());

    await db.sql.query(`INSERT INTO "ChatUser" (id, channel, "channelUserId", "chatId", "createdAt") VALUES ($1, 'web', 'sql-b', 'b', $2)`, ["sql-b-id", instant]);
    const viaSql = await db.prisma.chatUser.findUniqueOrThrow({ where: { id: "sql-b-id" } });
    expect(viaSql.createdAt.toISOString()).toBe(instant.toISOString());
  });

  it("a transaction commits when its work resolves and leaves nothing behind when it throws, and its rows are unseen until it commits", async () => {
    const count = async () => Number((await db.sql.query<{ n: string }>(`SELECT count(*) AS n FROM "ChatUser" WHERE channel = 'tx'`))[0]?.n);
    await expect(
      db.sql.transaction(async (tx) => {
        await tx.query(`INSERT INTO "ChatUser" (id, channel, "channelUserId", "chatId") VALUES ('tx-1', 'tx', '1', '1')`);
        throw new Error("the step failed after its first insert");
      }),
    ).rejects.toThrow("the step failed after its first insert");
    expect(await count()).toBe(0);

    const inserted = await db.sql.transaction(async (tx) => {
      await tx.query(`INSERT INTO "ChatUser" (id, channel, "channelUserId", "chatId") VALUES ('tx-2', 'tx', '2', '2')`);
      // A nested transaction joins the outer one: one commit for the whole step.
      await tx.transaction((inner) => inner.query(`INSERT INTO "ChatUser" (id, channel, "channelUserId", "chatId") VALUES ('tx-3', 'tx', '3', '3')`));
      return (await tx.query<{ id: string }>(`SELECT id FROM "ChatUser" WHERE channel = 'tx' ORDER BY id`)).map((row) => row.id);
    });
    expect(inserted).toEqual(["tx-2", "tx-3"]);
    expect(await count()).toBe(2);
  });

  it("a failed statement inside a transaction rolls the transaction back and the connection serves the next one", async () => {
    await expect(
      db.sql.transaction(async (tx) => {
        await tx.query(`INSERT INTO "ChatUser" (id, channel, "channelUserId", "chatId") VALUES ('dup-1', 'dup', '1', '1')`);
        await tx.query(`INSERT INTO "ChatUser" (id, channel, "channelUserId", "chatId") VALUES ('dup-2', 'dup', '1', '1')`);
      }),
    ).rejects.toThrow(/unique|duplicate/i);
    expect(await db.sql.query(`SELECT id FROM "ChatUser" WHERE channel = 'dup'`)).toEqual([]);
    for (let i = 0; i < 12; i++) await db.sql.transaction((tx) => tx.query(`SELECT 1`));
    expect(await db.prisma.chatUser.count({ where: { channel: "dup" } })).toBe(0);
  });
});
