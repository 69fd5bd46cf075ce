import { randomUUID } from "node:crypto";
import { join, sql, type Sql, type Statement } from "../../db/sql.ts";

/** A message for the outbox worker (src/bot/notify) to deliver: what, to which chat, and the key that keeps it from being queued twice. */
export interface OutboxRow {
  dedupeKey: string;
  kind: string;
  channel: string;
  chatId: string;
  /** Plain JSON, rendered by the worker when it sends. */
  payload: object;
  /** The report the message is about, so its case history can find what was sent. */
  reportId?: string | null;
}

/**
 * The one statement that queues outbox rows, due at `at`, for a caller that
 * sends it inside a statement of its own (a data-modifying WITH). `rows` must
 * not be empty.
 *
 * Duplicate policy, the same for every writer: a row whose dedupe key is
 * already queued is skipped, not an error. A dedupe key names one message
 * about one change (an event id, a reminder's session and day), so meeting it
 * again means the same change was queued before (a scheduler pass run twice, a
 * step retried after a crash) and sending it again would be the double the key
 * exists to prevent.
 */
export function outboxInsert(rows: readonly OutboxRow[], at: Date): Statement {
  const values = rows.map(
    (row) =>
      sql`(${randomUUID()}, ${row.dedupeKey}, ${row.kind}, ${row.channel}, ${row.chatId}, ${JSON.stringify(row.payload)}::jsonb, ${row.reportId ?? null}, ${at}, ${at})`,
  );
  return sql`INSERT INTO "OutboxMessage" ("id", "dedupeKey", "kind", "channel", "chatId", "payload", "reportId", "createdAt", "nextAttemptAt")
    VALUES ${join(values)} ON CONFLICT ("dedupeKey") DO NOTHING`;
}

/**
 * Queues `rows` in the caller's transaction, due at `at`, in one statement
 * however many there are, so they are sent only if the change they tell of
 * commits. Answers how many were queued: fewer than `rows` when some dedupe
 * keys were queued before (see {@link outboxInsert}).
 */
export async function queueOutbox(tx: Sql, rows: readonly OutboxRow[], at: Date): Promise<number> {
  if (rows.length === 0) return 0;
  return (await tx.query<{ id: string }>(sql`${outboxInsert(rows, at)} RETURNING "id"`)).length;
}
