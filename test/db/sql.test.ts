import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/db/database.ts";
import { epochMillis, prismaSql, sql, SqlStatementError } from "../../src/db/sql.ts";
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
    const viaPrisma = await db.prisma.chatUser.create({
      data: { channel: "web", channelUserId: "sql-a", chatId: "a", createdAt: instant },
    });
    const [read] = await db.sql.query<{ createdAt: Date }>(sql`SELECT "createdAt" FROM "ChatUser" WHERE id = ${viaPrisma.id}`);
    expect(read?.createdAt.toISOString()).toBe(instant.toISOString());

    await db.sql.query(
      sql`INSERT INTO "ChatUser" (id, channel, "channelUserId", "chatId", "createdAt") VALUES (${"sql-b-id"}, 'web', 'sql-b', 'b', ${instant})`,
    );
    const viaSql = await db.prisma.chatUser.findUniqueOrThrow({ where: { id: "sql-b-id" } });
    expect(viaSql.createdAt.toISOString()).toBe(instant.toISOString());
  });

  it("a transaction commits when its work resolves and leaves nothing behind when it throws, and its rows are unseen until it commits", async () => {
    const count = async () =>
      Number((await db.sql.query<{ n: string }>(sql`SELECT count(*) AS n FROM "ChatUser" WHERE channel = 'tx'`))[0]?.n);
    await expect(
      db.sql.transaction(async (tx) => {
        await tx.query(sql`INSERT INTO "ChatUser" (id, channel, "channelUserId", "chatId") VALUES ('tx-1', 'tx', '1', '1')`);
        throw new Error("the step failed after its first insert");
      }),
    ).rejects.toThrow("the step failed after its first insert");
    expect(await count()).toBe(0);

    const inserted = await db.sql.transaction(async (tx) => {
      await tx.query(sql`INSERT INTO "ChatUser" (id, channel, "channelUserId", "chatId") VALUES ('tx-2', 'tx', '2', '2')`);
      // A nested transaction joins the outer one: one commit for the whole step.
      await tx.transaction((inner) =>
        inner.query(sql`INSERT INTO "ChatUser" (id, channel, "channelUserId", "chatId") VALUES ('tx-3', 'tx', '3', '3')`),
      );
      return (await tx.query<{ id: string }>(sql`SELECT id FROM "ChatUser" WHERE channel = 'tx' ORDER BY id`)).map((row) => row.id);
    });
    expect(inserted).toEqual(["tx-2", "tx-3"]);
    expect(await count()).toBe(2);
  });

  it("a failed statement inside a transaction rolls the transaction back and the connection serves the next one", async () => {
    await expect(
      db.sql.transaction(async (tx) => {
        await tx.query(sql`INSERT INTO "ChatUser" (id, channel, "channelUserId", "chatId") VALUES ('dup-1', 'dup', '1', '1')`);
        await tx.query(sql`INSERT INTO "ChatUser" (id, channel, "channelUserId", "chatId") VALUES ('dup-2', 'dup', '1', '1')`);
      }),
    ).rejects.toThrow(/unique|duplicate/i);
    expect(await db.sql.query(sql`SELECT id FROM "ChatUser" WHERE channel = 'dup'`)).toEqual([]);
    for (let i = 0; i < 12; i++) await db.sql.transaction((tx) => tx.query(sql`SELECT 1`));
    expect(await db.prisma.chatUser.count({ where: { channel: "dup" } })).toBe(0);
  });

  it("work written for Sql runs inside a Prisma transaction too, and a refused statement reports the database's own message and code", async () => {
    const written = await db.prisma.$transaction(async (tx) => {
      const bridge = prismaSql(tx);
      await bridge.query(
        sql`INSERT INTO "ChatUser" (id, channel, "channelUserId", "chatId", "createdAt") VALUES ('via-prisma', 'prisma', '1', '1', ${new Date("2026-11-27T00:00:00.000Z")})`,
      );
      return bridge.query<{ createdAt: number }>(
        sql`SELECT ${epochMillis(`"createdAt"`)} AS "createdAt" FROM "ChatUser" WHERE id = 'via-prisma'`,
      );
    });
    expect(new Date(written[0]!.createdAt).toISOString()).toBe("2026-11-27T00:00:00.000Z");
    // The same statement through the driver gives the same number.
    const [direct] = await db.sql.query<{ createdAt: number }>(
      sql`SELECT ${epochMillis(`"createdAt"`)} AS "createdAt" FROM "ChatUser" WHERE id = 'via-prisma'`,
    );
    expect(direct?.createdAt).toBe(written[0]!.createdAt);

    const refused = db.prisma.$transaction((tx) =>
      prismaSql(tx).query(sql`DO $$ BEGIN RAISE EXCEPTION 'the outbox refuses this row'; END $$`),
    );
    await expect(refused).rejects.toBeInstanceOf(SqlStatementError);
    await expect(refused).rejects.toMatchObject({ message: "the outbox refuses this row", code: "P0001" });
  });

  it.runIf(kind === "postgres")(
    "a connection the server drops in the middle of a transaction fails that work only: nothing crashes and the next transaction runs",
    async () => {
      const lost = db.sql.transaction(async (tx) => {
        await tx.query(sql`INSERT INTO "ChatUser" (id, channel, "channelUserId", "chatId") VALUES ('lost-1', 'lost', '1', '1')`);
        // The server ends this very connection, as a restart or a failover would.
        await tx.query(sql`SELECT pg_terminate_backend(pg_backend_pid())`);
      });
      await expect(lost).rejects.toThrow();
      expect(
        await db.sql.transaction((tx) => tx.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM "ChatUser" WHERE channel = 'lost'`)),
      ).toEqual([{ n: 0 }]);
    },
  );
});
