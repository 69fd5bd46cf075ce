import { createHash } from "node:crypto";
import { empty, join, sql, type Sql, type Statement } from "../../db/sql.ts";
import type { OutboxMessage } from "../../generated/prisma/client.ts";
import { outboxInsert } from "./queue.ts";

/**
 * Every statement the outbox worker (src/bot/notify/outbox-worker.ts) and the
 * staff desk run on `OutboxMessage` besides queueing (queue.ts): claiming due
 * rows, writing a delivery's outcome, folding a backlog into a digest and
 * putting dead letters back. Decision record 0007: the table is written only
 * here and in queue.ts, through the driver.
 */

/** A row as the worker claims it: what it renders and sends, and the attempt count that fences the claim. */
export type ClaimedOutboxRow = Pick<OutboxMessage, "id" | "kind" | "channel" | "chatId" | "payload" | "attempts" | "createdAt">;

/** A claimed row plus the lease it was claimed until: together they prove the claim is still ours when the outcome is written. */
export interface OutboxClaim {
  row: ClaimedOutboxRow;
  leaseUntil: Date;
}

/** What to claim: due rows of `channels` at `now`, hidden from other workers until `leaseUntil`, at most `limit`. */
export interface ClaimRequest {
  channels: readonly string[];
  now: Date;
  leaseUntil: Date;
  limit: number;
}

/** Transaction-level advisory lock that makes claims of concurrent workers take turns (see {@link claimOutbox}). */
const CLAIM_LOCK_KEY = 7_240_611;

/**
 * Claims the due rows of `request.channels`, oldest first, in one transaction
 * holding the claim lock, after running `beforeClaim` in that transaction (the
 * worker folds backlogs there, so a digest goes out in the same pass).
 *
 * The claim is one `UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED)`
 * that moves `nextAttemptAt` to the lease's end and counts the attempt, so any
 * number of workers on one database never hold the same row, and a worker
 * killed mid-send leaves the row to be retried when the lease runs out. A row
 * is not claimed while an older row to the same chat (channel + chatId) waits
 * for a retry, a lease or a rate limit, so a chat's rows go out in
 * `(createdAt, id)` order; the advisory lock keeps two workers from taking
 * consecutive rows of one chat at once. Answers the claims in that order.
 */
export async function claimOutbox(db: Sql, request: ClaimRequest, beforeClaim: (tx: Sql) => Promise<void>): Promise<OutboxClaim[]> {
  const { channels, now, leaseUntil, limit } = request;
  if (channels.length === 0) return [];
  const rows = await db.transaction(async (tx) => {
    await tx.query(sql`SELECT 1 AS "locked" FROM pg_advisory_xact_lock(${CLAIM_LOCK_KEY}::bigint)`);
    await beforeClaim(tx);
    return tx.query<ClaimedOutboxRow>(sql`
      UPDATE "OutboxMessage" SET "nextAttemptAt" = ${leaseUntil}, "attempts" = "attempts" + 1
      WHERE "id" IN (
        SELECT o."id" FROM "OutboxMessage" o
        WHERE o."status" = 'PENDING' AND o."nextAttemptAt" <= ${now} AND o."channel" = ANY(${channels}::text[])
          AND NOT EXISTS (
            SELECT 1 FROM "OutboxMessage" older
            WHERE older."channel" = o."channel" AND older."chatId" = o."chatId" AND older."status" = 'PENDING'
              AND older."nextAttemptAt" > ${now} AND (older."createdAt", older."id") < (o."createdAt", o."id"))
        ORDER BY o."createdAt", o."id"
        LIMIT ${limit}
        FOR UPDATE SKIP LOCKED)
      RETURNING "id", "kind", "channel", "chatId", "payload", "attempts", "createdAt"`);
  });
  // RETURNING keeps no order.
  rows.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return rows.map((row) => ({ row, leaseUntil }));
}

/** What a delivery attempt changes on a claimed row; a field left out keeps its value. */
export interface Settlement {
  status?: "SENT" | "DEAD";
  sentAt?: Date;
  lastError?: string | null;
  deliveredRef?: string | null;
  nextAttemptAt?: Date;
  /** The claim counted an attempt that did not happen (a rate limit or an older row of the chat held it back). */
  giveBackAttempt?: true;
}

/**
 * Writes the outcome of a delivery attempt, but only while the row still
 * carries `claim` (PENDING, with the attempt count and lease end the claim
 * set): a worker that outlived its lease cannot undo another worker's SENT.
 * Answers false when the row changed hands in the meantime and nothing was
 * written.
 */
export async function settleOutbox(db: Sql, claim: OutboxClaim, outcome: Settlement): Promise<boolean> {
  const assignments: Statement[] = [];
  if (outcome.status !== undefined) assignments.push(sql`"status" = ${outcome.status}::"OutboxStatus"`);
  if (outcome.sentAt !== undefined) assignments.push(sql`"sentAt" = ${outcome.sentAt}`);
  if (outcome.lastError !== undefined) assignments.push(sql`"lastError" = ${outcome.lastError}`);
  if (outcome.deliveredRef !== undefined) assignments.push(sql`"deliveredRef" = ${outcome.deliveredRef}`);
  if (outcome.nextAttemptAt !== undefined) assignments.push(sql`"nextAttemptAt" = ${outcome.nextAttemptAt}`);
  if (outcome.giveBackAttempt) assignments.push(sql`"attempts" = "attempts" - 1`);
  const settled = await db.query<Pick<OutboxMessage, "id">>(sql`
    UPDATE "OutboxMessage" SET ${join(assignments, ", ")}
    WHERE "id" = ${claim.row.id} AND "status" = 'PENDING' AND "attempts" = ${claim.row.attempts} AND "nextAttemptAt" = ${claim.leaseUntil}
    RETURNING "id"`);
  return settled.length === 1;
}

/** A destination with more pending rows than `above`, of which at least two could be folded. */
export type CrowdedDestination = Pick<OutboxMessage, "channel" | "chatId"> & { pending: number };

/**
 * The destinations of `channels` with more than `above` pending rows, at
 * least two of them of `kinds` and never attempted: the ones a backlog digest
 * may relieve. Run it in the claim's transaction (`beforeClaim` of
 * {@link claimOutbox}).
 */
export function crowdedDestinations(
  tx: Sql,
  filter: { channels: readonly string[]; kinds: readonly string[]; above: number },
): Promise<CrowdedDestination[]> {
  return tx.query<CrowdedDestination>(sql`
    SELECT "channel", "chatId", COUNT(*)::int AS "pending" FROM "OutboxMessage"
    WHERE "status" = 'PENDING' AND "channel" = ANY(${filter.channels}::text[])
    GROUP BY "channel", "chatId"
    HAVING COUNT(*) > ${filter.above}::int
      AND COUNT(*) FILTER (WHERE "attempts" = 0 AND "kind" = ANY(${filter.kinds}::text[])) >= 2`);
}

/** A pending row a backlog may fold, as a digest is made from it. */
export type FoldableRow = Pick<OutboxMessage, "id" | "kind" | "payload" | "createdAt">;

/**
 * The digest made of some of the rows offered: its kind and payload, and the
 * ids of the rows it tells of, all among the rows offered.
 */
export interface Digest {
  kind: string;
  payload: object;
  foldedIds: readonly string[];
}

/** Which of a destination's pending rows to fold. */
export interface FoldRequest {
  channel: string;
  chatId: string;
  /** The first rows of the destination's order that stay as they are (they fit its rate limit now). */
  keep: number;
  /** Kinds a digest may fold. */
  kinds: readonly string[];
}

/**
 * Folds part of one destination's backlog into one digest row, in the
 * caller's transaction (run it in `beforeClaim` of {@link claimOutbox}, under
 * the claim lock). Of the destination's pending rows in `(createdAt, id)`
 * order, the first `keep` stay; the rest of `kinds` never attempted are locked
 * (SKIP LOCKED: a row another transaction is settling stays out) and offered
 * to `digestOf`, oldest first. A claimed row has `attempts` ≥ 1 until it is
 * settled or given back, so a row is never both sent and folded.
 *
 * The digest is queued with the one outbox writer ({@link outboxInsert}) and
 * the folded rows are marked MERGED into it in the same statement. It takes
 * the oldest folded row's `createdAt` (so it keeps that row's place in the
 * chat's order) and is due from then on; its dedupe key is derived from the
 * folded ids. Those rows are MERGED in the same statement, so no later fold
 * can offer the same set again: should the key have been queued before, the
 * writer skips the digest and no row is marked MERGED, leaving the rows to go
 * out on their own.
 *
 * Answers the digest's id and how many rows it folded; undefined when fewer
 * than two rows could be folded (a digest of one helps nobody) or `digestOf`
 * made none.
 */
export async function foldIntoDigest(
  tx: Sql,
  request: FoldRequest,
  digestOf: (rows: FoldableRow[]) => Digest | undefined,
): Promise<{ digestId: string; folded: number } | undefined> {
  const { channel, chatId, keep, kinds } = request;
  const pending = await tx.query<Pick<OutboxMessage, "id" | "kind" | "attempts">>(sql`
    SELECT "id", "kind", "attempts" FROM "OutboxMessage"
    WHERE "status" = 'PENDING' AND "channel" = ${channel} AND "chatId" = ${chatId}
    ORDER BY "createdAt", "id"`);
  const candidates = pending
    .slice(keep)
    .filter((row) => row.attempts === 0 && kinds.includes(row.kind))
    .map((row) => row.id);
  if (candidates.length < 2) return undefined;
  const locked = await tx.query<FoldableRow>(sql`
    SELECT "id", "kind", "payload", "createdAt" FROM "OutboxMessage"
    WHERE "id" = ANY(${candidates}::text[]) AND "status" = 'PENDING' AND "attempts" = 0
    ORDER BY "createdAt", "id"
    FOR UPDATE SKIP LOCKED`);
  if (locked.length < 2) return undefined;
  const digest = digestOf(locked);
  if (!digest) return undefined;
  const folded = locked.filter((row) => digest.foldedIds.includes(row.id));
  const [oldest] = folded;
  if (!oldest || folded.length < 2) return undefined;
  const ids = folded.map((row) => row.id);
  const queued = outboxInsert(
    [
      {
        dedupeKey: `${digest.kind}:${createHash("sha256").update(ids.join(",")).digest("hex")}`,
        kind: digest.kind,
        channel,
        chatId,
        payload: digest.payload,
      },
    ],
    oldest.createdAt,
  );
  const merged = await tx.query<{ digestId: string }>(sql`
    WITH "digest" AS (${queued} RETURNING "id")
    UPDATE "OutboxMessage" o SET "status" = 'MERGED', "mergedIntoId" = "digest"."id"
    FROM "digest"
    WHERE o."id" = ANY(${ids}::text[])
    RETURNING "digest"."id" AS "digestId"`);
  const [first] = merged;
  return first ? { digestId: first.digestId, folded: merged.length } : undefined;
}

/**
 * Puts dead letters back in the queue, due at `at`, with a fresh attempt
 * count: the ones named by `ids`, or every one ("all"). Answers how many were
 * put back; an id that names no dead letter is passed over.
 */
export async function requeueDeadLetters(db: Sql, ids: readonly string[] | "all", at: Date): Promise<number> {
  const chosen = ids === "all" ? empty : sql`AND "id" = ANY(${ids}::text[])`;
  const requeued = await db.query<Pick<OutboxMessage, "id">>(sql`
    UPDATE "OutboxMessage" SET "status" = 'PENDING', "attempts" = 0, "nextAttemptAt" = ${at}
    WHERE "status" = 'DEAD' ${chosen}
    RETURNING "id"`);
  return requeued.length;
}
