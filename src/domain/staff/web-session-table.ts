import { sql, type Sql } from "../../db/sql.ts";
import { createWebSessions, type StoredWebSession, type WebSessionPolicy, type WebSessions, type WebSessionStore } from "./web-sessions.ts";

/**
 * Web console sessions in the `StaffWebSession` table, when no Redis is
 * configured. The table is on driver SQL (decision record 0007): it is read and
 * touched on every console request. A record past `forgetAfter` is left for
 * {@link createWebSessions} to find and delete; `forgetAfter` itself is not
 * stored, because the rules recompute it from `lastSeenAt` and `endsAt`.
 */
export function createDatabaseWebSessionStore(db: Sql): WebSessionStore {
  return {
    async read(idHash) {
      const [row] = await db.query<StoredWebSession>(
        sql`SELECT "staffId", "csrfToken", "createdAt", "lastSeenAt", "endsAt" FROM "StaffWebSession" WHERE "idHash" = ${idHash}`,
      );
      return row;
    },

    async write(idHash, session) {
      await db.query(
        sql`INSERT INTO "StaffWebSession" ("idHash", "staffId", "csrfToken", "createdAt", "lastSeenAt", "endsAt")
            VALUES (${idHash}, ${session.staffId}, ${session.csrfToken}, ${session.createdAt}, ${session.lastSeenAt}, ${session.endsAt})`,
      );
    },

    async touch(idHash, lastSeenAt) {
      await db.query(sql`UPDATE "StaffWebSession" SET "lastSeenAt" = ${lastSeenAt} WHERE "idHash" = ${idHash}`);
    },

    async delete(idHash) {
      await db.query(sql`DELETE FROM "StaffWebSession" WHERE "idHash" = ${idHash}`);
    },

    async deleteAllOf(staffId) {
      const rows = await db.query<{ idHash: string }>(sql`DELETE FROM "StaffWebSession" WHERE "staffId" = ${staffId} RETURNING "idHash"`);
      return rows.length;
    },

    async deleteEnded(now, policy) {
      const idleSince = new Date(now.getTime() - policy.idleMs);
      const rows = await db.query<{ idHash: string }>(
        sql`DELETE FROM "StaffWebSession" WHERE "endsAt" <= ${now} OR "lastSeenAt" <= ${idleSince} RETURNING "idHash"`,
      );
      return rows.length;
    },
  };
}

/** Web console sessions kept in the database: the default without REDIS_URL, and the command line's (it never signs anyone in). */
export function databaseWebSessions(db: Sql, options: { policy?: WebSessionPolicy; clock?: () => Date } = {}): WebSessions {
  return createWebSessions({ store: createDatabaseWebSessionStore(db), ...options });
}
