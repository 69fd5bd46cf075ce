import { randomUUID } from "node:crypto";
import type { Sql } from "../db/sql.ts";

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
 * The INSERT that queues `rows`, due at `at`, with its parameters numbered
 * from `$firstParam`, for a caller that sends it as part of a statement of its
 * own (a data-modifying WITH). `rows` must not be empty.
 */
export function outboxInsert(rows: readonly OutboxRow[], at: Date, firstParam: number): { text: string; params: unknown[] } {
  const params: unknown[] = [at];
  const values = rows.map((row) => {
    const first = firstParam + params.push(randomUUID(), row.dedupeKey, row.kind, row.channel, row.chatId, JSON.stringify(row.payload), row.reportId ?? null) - 7;
    return `($${first}, $${first + 1}, $${first + 2}, $${first + 3}, $${first + 4}, $${first + 5}::jsonb, $${first + 6}, $${firstParam}, $${firstParam})`;
  });
  return { text: `INSERT INTO "OutboxMessage" ("id", "dedupeKey", "kind", "channel", "chatId", "payload", "reportId", "createdAt", "nextAttemptAt") VALUES ${values.join(", ")}`, params };
}

/**
 * Queues `rows` in the caller's transaction, due at `at`, in one statement
 * however many there are: they are sent only if the change they tell of
 * commits, and a dedupe key already queued fails the transaction.
 */
export async function queueOutboxRows(tx: Sql, rows: readonly OutboxRow[], at: Date): Promise<void> {
  if (rows.length === 0) return;
  const insert = outboxInsert(rows, at, 1);
  await tx.query(insert.text, insert.params);
}
