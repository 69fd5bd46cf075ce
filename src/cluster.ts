import cluster, { type Worker } from "node:cluster";
import type { Logger } from "./log.ts";

/**
 * Several Linli processes on one machine, sharing one HTTP port.
 *
 * One Node process uses one core, and an update spends most of its time in
 * JavaScript (the ORM, the flows, HTTP), so a deployment on PostgreSQL and
 * Redis runs `WORKERS` processes to use the machine. That is safe because
 * nothing a conversation needs lives in a process: sessions, their locks,
 * delivery dedupe and the web chat's inbox are in Redis, the outbox is claimed
 * row by row with `SKIP LOCKED`, and reminders carry dedupe keys. What each
 * process caches (the grid, categories, the class catalogue) is re-read when
 * the town data changes or after a short age.
 *
 * The primary here only starts, restarts and stops workers; it never handles
 * an update, nor a connection. Each worker runs the same {@link main} path
 * `npm start` runs with one process, and tells the primary once it listens.
 */

/** What a worker sends the primary once its HTTP server listens. */
interface ReadyMessage {
  type: "linli:ready";
  url: string;
}

const isReadyMessage = (message: unknown): message is ReadyMessage =>
  typeof message === "object" &&
  message !== null &&
  (message as { type?: unknown }).type === "linli:ready" &&
  typeof (message as { url?: unknown }).url === "string";

/** Told by a worker that listens; a no-op in a process that is not a cluster worker. */
export function announceReady(url: string): void {
  if (cluster.isWorker) process.send?.({ type: "linli:ready", url } satisfies ReadyMessage);
}

/** Raised by {@link startWorkers} when a worker dies before it ever listened: the configuration or data is bad, not the worker. */
export class WorkerStartError extends Error {
  constructor(
    readonly slot: number,
    readonly exitCode: number | null,
    readonly signal: string | null,
  ) {
    super(
      `Linli worker ${slot} stopped before it was ready (${signal ? `signal ${signal}` : `exit code ${exitCode}`}); its message above says why`,
    );
    this.name = "WorkerStartError";
  }
}

/** The running workers, as the primary sees them. */
export interface WorkerPool {
  /** Where the workers listen (all on one port). */
  readonly url: string;
  /** The live worker processes, one per slot. */
  workers(): Worker[];
  /** Asks every worker to stop (SIGTERM: each drains and closes like a single process would) and waits for all of them. */
  stop(): Promise<void>;
}

/** How long the primary waits before restarting a worker that crashed, doubling up to the maximum while it keeps crashing. */
const RESTART_DELAY_MS = { first: 1_000, max: 30_000 };
/** A worker that ran this long before dying is considered healthy again: its next restart is quick. */
const HEALTHY_AFTER_MS = 60_000;

/**
 * Starts `count` workers running the current script. The first one starts
 * alone, because an empty database is migrated and gets its town data on the
 * first start; the others start once it listens. A worker that crashes later is
 * restarted (after a growing delay while it keeps crashing); a worker that dies
 * before it was ever ready stops the pool with a {@link WorkerStartError}.
 */
export async function startWorkers(options: { count: number; logger: Logger }): Promise<WorkerPool> {
  const { count, logger } = options;
  // Node's default on Linux has the primary accept every connection and pass it
  // to a worker. A connection passed to a worker that was just killed, before the
  // primary saw it go, is then held by the primary and never answered nor closed.
  // With the workers accepting from the shared socket themselves, a dead worker
  // takes nothing new: what waits in the kernel's queue goes to a live one, and
  // what it had accepted is closed by the kernel with it, so clients can retry.
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  const slots = new Map<number, Worker>();
  let stopping = false;
  let url = "";

  const spawn = (slot: number, restartDelayMs: number) =>
    new Promise<string>((resolve, reject) => {
      const worker = cluster.fork();
      const startedAt = Date.now();
      let ready = false;
      slots.set(slot, worker);
      worker.on("message", (message: unknown) => {
        if (ready || !isReadyMessage(message)) return;
        ready = true;
        resolve(message.url);
      });
      worker.once("exit", (code, signal) => {
        if (slots.get(slot) === worker) slots.delete(slot);
        if (stopping) return;
        if (!ready) {
          reject(new WorkerStartError(slot, code, signal));
          return;
        }
        const delay =
          Date.now() - startedAt >= HEALTHY_AFTER_MS ? RESTART_DELAY_MS.first : Math.min(restartDelayMs * 2, RESTART_DELAY_MS.max);
        logger.error("a Linli worker stopped; restarting it", { slot, exitCode: code, signal, restartInMs: delay });
        setTimeout(() => {
          if (!stopping)
            spawn(slot, delay).catch((error: unknown) => logger.error("a restarted Linli worker failed to start", { slot, error }));
        }, delay).unref();
      });
    });

  const stop = async () => {
    stopping = true;
    const exits = [...slots.values()].map(
      (worker) => new Promise<void>((resolve) => (worker.isDead() ? resolve() : worker.once("exit", () => resolve()))),
    );
    for (const worker of slots.values()) worker.process.kill("SIGTERM");
    await Promise.all(exits);
  };

  try {
    url = await spawn(0, RESTART_DELAY_MS.first);
    await Promise.all(Array.from({ length: count - 1 }, (_, i) => spawn(i + 1, RESTART_DELAY_MS.first)));
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, workers: () => [...slots.values()], stop };
}
