import { createHash } from "node:crypto";
import type { OutboundMessage } from "../../flows/kit/messages.ts";
import type { Logger } from "../../log.ts";
import type { Sql } from "../../db/sql.ts";
import { markChatUnreachable } from "../../domain/chat-users.ts";
import {
  claimOutbox,
  crowdedDestinations,
  foldIntoDigest,
  settleOutbox,
  type Digest,
  type FoldableRow,
  type OutboxClaim,
  type Settlement,
} from "../../domain/outbox/store.ts";
import { createMemoryLimiter, type RateLimiter, type WindowLimit } from "../limits/limiter.ts";
import { ALERT_DIGEST_KIND, DIGESTIBLE_KINDS, digestEntryOf, type AlertDigestPayload } from "./render-digest.ts";

/** How one delivery attempt ended, as a channel sender reports it. */
export type SendResult =
  /** `ref`: the channel's id for the first message delivered, kept so the message can be edited later. */
  | { type: "sent"; ref?: string }
  /** The channel asked us to wait (Telegram 429 `retry_after`); waiting is not a failure. */
  | { type: "retryAfter"; seconds: number }
  /** A transient failure (5xx, network, timeout): retried with backoff until the dead-letter limit. */
  | { type: "failed"; error: string }
  /** The recipient can never be reached again (blocked the bot, deactivated): dead-lettered at once. */
  | { type: "recipientGone"; error: string };

/**
 * Delivers rendered messages to one chat of one channel. Implementations never
 * throw for delivery problems (they answer a {@link SendResult}) and never put a
 * secret such as a bot token into an error text: it ends up in `lastError`,
 * which staff can read.
 */
export interface ChannelSender {
  send(chatId: string, messages: OutboundMessage[]): Promise<SendResult>;
  /** Messages one chat may receive a minute (Telegram groups: 20). */
  perDestinationPerMinute: number;
  /** Messages the whole channel may send a second (Telegram: about 30). */
  perSecondOverall: number;
}

/** What the renderer sees of a queued row. */
export interface OutboxRenderInput {
  kind: string;
  channel: string;
  chatId: string;
  payload: unknown;
}

/**
 * Turns a row into the messages its recipient reads. `undefined` (or no
 * messages) means there is nothing to send and the row is done. A throw means
 * the row can never be rendered: it is dead-lettered with the error's message.
 */
export type OutboxRender = (row: OutboxRenderInput) => OutboundMessage[] | undefined;

/** Tuning of the worker; every field has a default in {@link DEFAULT_OUTBOX_WORKER_OPTIONS}. */
export interface OutboxWorkerOptions {
  /** Rows claimed per pass. */
  batchSize: number;
  /** Pause between passes that found less than a full batch. */
  pollMs: number;
  /**
   * How long a claimed row is hidden from other workers. A worker that dies
   * mid-send leaves its rows to be retried after this; it must exceed the
   * longest send (a sender's HTTP timeout).
   */
  leaseMs: number;
  /** Failed attempts (including claims that never reported back) before a row is dead-lettered. */
  maxAttempts: number;
  /** Exponential backoff after a failure: a random delay up to min(cap, base · 2^(attempt-1)). */
  backoffBaseMs: number;
  backoffCapMs: number;
  /** Added at random to a channel's retry-after, so rows told to wait the same time do not return in one burst. */
  retryAfterJitterMs: number;
}

/** Defaults: at most 8 attempts over roughly 20 minutes of backoff, a one-minute lease. */
export const DEFAULT_OUTBOX_WORKER_OPTIONS: OutboxWorkerOptions = {
  batchSize: 50,
  pollMs: 1_000,
  leaseMs: 60_000,
  maxAttempts: 8,
  backoffBaseMs: 2_000,
  backoffCapMs: 10 * 60_000,
  retryAfterJitterMs: 500,
};

/** The delivery loop as the composition root sees it. */
export interface OutboxWorker {
  /** Starts polling in the background; a second call does nothing. */
  start(): void;
  /** Stops polling and resolves when the passes in flight have finished. */
  stop(): Promise<void>;
  /** Runs one pass now; resolves with the number of rows it claimed (0 when nothing was due). */
  drainOnce(): Promise<number>;
}

/** Everything the worker needs; `clock` is injectable so tests can move time without waiting. */
export interface OutboxWorkerDeps {
  /** The database, through its driver: every delivered row writes its outcome, so that statement is on the hot path. */
  sql: Sql;
  render: OutboxRender;
  /** Senders by channel id. Rows of a channel without a sender are left for an instance that has one. */
  senders: Partial<Record<string, ChannelSender>>;
  logger: Logger;
  /**
   * Where the per-destination and per-channel windows are counted. Workers on
   * several processes or machines must share one (Redis) to stay within one
   * limit together; by default a memory limiter on `clock`, for one process.
   */
  limiter?: RateLimiter;
  clock?: () => Date;
  options?: Partial<OutboxWorkerOptions>;
}

/** lastError is shown to staff; a whole HTML error page helps nobody. */
const MAX_ERROR_LENGTH = 500;

/** What happened to one row, as far as the rows after it to the same chat are concerned. */
type Outcome = { type: "done" } | { type: "waiting"; until: Date };

const destinationKey = (channel: string, chatId: string) => `${channel}\u0000${chatId}`;

function errorText(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.length > MAX_ERROR_LENGTH ? `${text.slice(0, MAX_ERROR_LENGTH - 1)}…` : text;
}

/**
 * Creates the outbox worker: it delivers {@link OutboxMessage} rows at least
 * once and never again after one was marked SENT.
 *
 * The guarantee, precisely: a row is marked SENT only after its channel
 * accepted it, and a SENT (or MERGED) row is never claimed again, so nothing
 * queued is lost and nothing committed as delivered is repeated. A process
 * killed (or a connection lost) after the channel accepted a message but
 * before SENT was committed leaves that row to be sent again when its lease
 * runs out: the recipient then sees it twice. That window holds at most one
 * row per destination per worker, because a chat's rows go out one at a time;
 * neither Telegram's nor WeCom's send API takes an idempotency key, so it
 * cannot be closed. The channel's id of the delivered message (`ref`) is kept
 * in `deliveredRef` with SENT, so later updates can edit it.
 *
 * - Backlog digest: when a destination has more pending rows than it may
 *   receive within the next minute (its per-minute limit), the alerts among
 *   them (see `DIGESTIBLE_KINDS`) that fit its limit now go out on their own and the rest become one
 *   `alert.digest` row; the folded rows are marked MERGED with `mergedIntoId`
 *   in the same transaction, under the claim lock and with
 *   `FOR UPDATE SKIP LOCKED`. Only rows never attempted are folded: a claimed
 *   row has `attempts` ≥ 1 until it is settled or given back, so a row is never
 *   both sent and merged, and a reference reaches a group either in its own
 *   alert or in a digest. The digest takes the oldest folded row's `createdAt`,
 *   keeping the chat's order, and its `dedupeKey` is derived from the folded
 *   ids.
 * - Claims are one `UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED)`
 *   that moves `nextAttemptAt` a lease ahead and counts the attempt, so any
 *   number of workers on one database never hold the same row, and a worker
 *   killed mid-send leaves the row to be retried when the lease runs out.
 *   Outcomes are written only while the row still carries our claim
 *   (`attempts` and `nextAttemptAt` as we set them): a worker that outlived its
 *   lease cannot undo another worker's SENT.
 * - Rows to one destination (channel + chatId) go out in `(createdAt, id)`
 *   order: a row is not claimed while an older row to the same chat waits for
 *   a retry, a lease or a rate limit. Claims take a transaction-level advisory
 *   lock so two workers never take consecutive rows of one chat at once.
 * - A row rendering to several messages is retried as a whole, so a recipient
 *   may see its first messages twice after a failure in the middle.
 * - Rate limits are sliding windows per destination (a minute) and per
 *   channel (a second), counted in `limiter` before every send: with a shared
 *   limiter any number of workers together stay within each limit. A row whose
 *   windows are full is given back until the limiter says it fits.
 *
 * The statements behind the claim, the fold and the outcome are in
 * src/domain/outbox/store.ts; this worker decides what to deliver and when.
 */
export function createOutboxWorker(deps: OutboxWorkerDeps): OutboxWorker {
  const { sql: db, render, senders } = deps;
  const logger = deps.logger.child({ component: "outbox" });
  const clock = deps.clock ?? (() => new Date());
  const options: OutboxWorkerOptions = { ...DEFAULT_OUTBOX_WORKER_OPTIONS, ...deps.options };
  const channels = Object.keys(senders).filter((channel) => senders[channel] !== undefined);

  const limiter = deps.limiter ?? createMemoryLimiter({ now: () => clock().getTime() });

  /**
   * A destination's window and its channel's. A WeCom robot's chat id is its
   * secret webhook URL, so keys carry a hash of the chat id, never the id.
   */
  const limitsFor = (channel: string, chatId: string, sender: ChannelSender): [WindowLimit, WindowLimit] => [
    {
      key: `outbox:${channel}:chat:${createHash("sha256").update(chatId).digest("hex").slice(0, 32)}`,
      limit: sender.perDestinationPerMinute,
      windowMs: 60_000,
    },
    { key: `outbox:${channel}:all`, limit: sender.perSecondOverall, windowMs: 1_000 },
  ];

  /** The smallest per-destination limit of our channels: no destination with fewer pending rows can have a backlog. */
  const smallestPerMinute = Math.min(...channels.map((channel) => senders[channel]?.perDestinationPerMinute ?? Infinity));

  /**
   * The backlog digest of a destination's foldable rows (oldest first): the
   * alerts among them whose payload can be read, in the group's language of
   * the oldest; undefined when none are (the store folds no fewer than two).
   */
  const digestOf = (rows: FoldableRow[]): Digest | undefined => {
    const folded = rows.flatMap((row) => {
      const entry = digestEntryOf(row);
      return entry ? [{ row, entry }] : [];
    });
    const [oldest] = folded;
    if (!oldest) return undefined;
    const payload: AlertDigestPayload = {
      locale: oldest.entry.locale,
      alerts: folded.map(({ entry }) => ({
        reference: entry.reference,
        category: entry.category,
        place: entry.place,
        heading: entry.heading,
      })),
    };
    return { kind: ALERT_DIGEST_KIND, payload, foldedIds: folded.map(({ row }) => row.id) };
  };

  /**
   * A destination has a backlog when it has more pending rows than it may
   * receive within the next minute (its per-minute limit: every send counted
   * now leaves the window within that minute). Of its pending rows, those that
   * fit its limit now stay, one place left for the digest; the alerts among
   * the rest become the digest. Runs under the claim lock, before the claim,
   * so the digest goes out in the same pass.
   */
  const foldBacklogs = async (tx: Sql) => {
    const crowded = await crowdedDestinations(tx, { channels, kinds: DIGESTIBLE_KINDS, above: smallestPerMinute });
    for (const { channel, chatId, pending } of crowded) {
      const sender = senders[channel];
      if (!sender || pending <= sender.perDestinationPerMinute) continue;
      const [destination] = limitsFor(channel, chatId, sender);
      const available = await limiter.available(destination);
      const digest = await foldIntoDigest(tx, { channel, chatId, keep: Math.max(0, available - 1), kinds: DIGESTIBLE_KINDS }, digestOf);
      // No chatId: a WeCom robot's address is its secret webhook URL.
      if (digest) logger.info("outbox backlog folded into a digest", { channel, ...digest });
    }
  };

  const claim = (): Promise<OutboxClaim[]> => {
    const now = clock();
    const leaseUntil = new Date(now.getTime() + options.leaseMs);
    return claimOutbox(db, { channels, now, leaseUntil, limit: options.batchSize }, foldBacklogs);
  };

  /** Writes an outcome if the claim still holds; false when another worker has taken the row since. */
  const settle = async (claim: OutboxClaim, outcome: Settlement): Promise<boolean> => {
    const settled = await settleOutbox(db, claim, outcome);
    if (!settled) logger.warn("outbox row changed hands before its outcome was written", { id: claim.row.id });
    return settled;
  };

  /** Gives a row back without counting the claim as an attempt. */
  const release = (claim: OutboxClaim, until: Date, lastError?: string) =>
    settle(claim, { giveBackAttempt: true, nextAttemptAt: until, lastError });

  const deadLetter = async (claim: OutboxClaim, lastError: string): Promise<Outcome> => {
    if (await settle(claim, { status: "DEAD", lastError })) {
      logger.error("outbox row dead-lettered", {
        id: claim.row.id,
        kind: claim.row.kind,
        channel: claim.row.channel,
        attempts: claim.row.attempts,
        lastError,
      });
    }
    return { type: "done" };
  };

  const backoffMs = (attempt: number) =>
    Math.random() * Math.min(options.backoffCapMs, options.backoffBaseMs * 2 ** Math.max(0, attempt - 1));

  const deliver = async (claim: OutboxClaim): Promise<Outcome> => {
    const { row } = claim;
    if (row.attempts > options.maxAttempts) {
      return deadLetter(
        claim,
        `gave up after ${row.attempts - 1} attempts; the last ones never reported an outcome (worker stopped during the send)`,
      );
    }
    let messages: OutboundMessage[] | undefined;
    try {
      messages = render({ kind: row.kind, channel: row.channel, chatId: row.chatId, payload: row.payload });
    } catch (error) {
      return deadLetter(claim, errorText(error));
    }
    if (!messages || messages.length === 0) {
      await settle(claim, { status: "SENT", sentAt: clock(), lastError: null });
      return { type: "done" };
    }

    const now = clock().getTime();
    const sender = senders[row.channel];
    if (!sender) {
      // Claims only ask for channels with a sender; should one go missing, the row is left for an instance that has it.
      await release(claim, new Date(now));
      return { type: "done" };
    }
    const limits = limitsFor(row.channel, row.chatId, sender);
    const decision = await limiter.take(limits, Math.min(messages.length, ...limits.map((limit) => limit.limit)));
    if (!decision.allowed) {
      const until = new Date(now + decision.retryAfterMs);
      await release(claim, until);
      return { type: "waiting", until };
    }

    let result: SendResult;
    try {
      result = await sender.send(row.chatId, messages);
    } catch (error) {
      result = { type: "failed", error: errorText(error) };
    }
    const after = clock();
    switch (result.type) {
      case "sent":
        await settle(claim, { status: "SENT", sentAt: after, lastError: null, deliveredRef: result.ref ?? null });
        return { type: "done" };
      case "retryAfter": {
        const until = new Date(after.getTime() + Math.max(0, result.seconds) * 1_000 + Math.random() * options.retryAfterJitterMs);
        await release(claim, until, `rate limited by ${row.channel}: retry after ${result.seconds} s`);
        return { type: "waiting", until };
      }
      case "failed": {
        const lastError = errorText(result.error);
        if (row.attempts >= options.maxAttempts) return deadLetter(claim, lastError);
        const until = new Date(after.getTime() + backoffMs(row.attempts));
        await settle(claim, { nextAttemptAt: until, lastError });
        logger.warn("outbox delivery failed; will retry", {
          id: row.id,
          channel: row.channel,
          attempts: row.attempts,
          retryAt: until.toISOString(),
          error: lastError,
        });
        return { type: "waiting", until };
      }
      case "recipientGone": {
        const outcome = await deadLetter(claim, errorText(result.error));
        await markChatUnreachable(db, row, after);
        return outcome;
      }
    }
  };

  /** One chat's rows of a batch, oldest first; after a row that must wait, the rest go back unsent. */
  const deliverInOrder = async (claims: OutboxClaim[]) => {
    let blockedUntil: Date | undefined;
    for (const claim of claims) {
      if (blockedUntil) {
        await release(claim, blockedUntil);
        continue;
      }
      const outcome = await deliver(claim);
      if (outcome.type === "waiting") blockedUntil = outcome.until;
    }
  };

  const drainOnce = async (): Promise<number> => {
    const claims = await claim();
    const byDestination = new Map<string, OutboxClaim[]>();
    for (const item of claims) {
      const key = destinationKey(item.row.channel, item.row.chatId);
      const list = byDestination.get(key);
      if (list) list.push(item);
      else byDestination.set(key, [item]);
    }
    const results = await Promise.allSettled([...byDestination.values()].map(deliverInOrder));
    for (const result of results) {
      // Rows of a failed chat keep their lease and are retried when it ends.
      if (result.status === "rejected") logger.error("outbox delivery pass failed", { error: result.reason });
    }
    return claims.length;
  };

  let running = false;
  let timer: NodeJS.Timeout | undefined;
  const inFlight = new Set<Promise<unknown>>();

  const track = <T>(task: Promise<T>): Promise<T> => {
    inFlight.add(task);
    void task.finally(() => inFlight.delete(task)).catch(() => undefined);
    return task;
  };

  const tick = async () => {
    timer = undefined;
    let claimed = 0;
    try {
      claimed = await track(drainOnce());
    } catch (error) {
      logger.error("outbox pass failed", { error });
    }
    if (running) timer = setTimeout(() => void tick(), claimed >= options.batchSize ? 0 : options.pollMs);
  };

  return {
    start() {
      if (running) return;
      running = true;
      timer = setTimeout(() => void tick(), 0);
    },
    async stop() {
      running = false;
      if (timer) clearTimeout(timer);
      timer = undefined;
      await Promise.allSettled([...inFlight]);
    },
    drainOnce: () => track(drainOnce()),
  };
}
