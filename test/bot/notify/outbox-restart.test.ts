import { testLogger } from "../../support/logs.ts";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createWecomRobotSender } from "../../../src/bot/channels/wecom/robot.ts";
import { createOutboxWorker } from "../../../src/bot/notify/outbox-worker.ts";
import { openDatabase, type Database } from "../../../src/db/database.ts";
import { createPostgresDatabase } from "../../support/databases.ts";
import { renderTextRow } from "../../support/outbox-faults.ts";

const ROBOTS = 8;
const ROWS_PER_ROBOT = 5;
/** How long the robot takes to answer: long enough that the kill finds sends in flight. */
const ANSWER_DELAY_MS = 150;
/** Deliveries the robot must have received before the worker is killed. */
const KILL_AFTER = 12;
const CHILD_LEASE_MS = 1_500;

/**
 * A WeCom group robot that answers slowly and records every delivery by its
 * text, and calls `onReceive` as each one arrives (before answering it).
 */
async function startSlowRobot(onReceive: (count: number) => void) {
  const received: string[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { markdown?: { content?: string } };
      received.push(body.markdown?.content ?? "");
      onReceive(received.length);
      setTimeout(() => {
        response.writeHead(200, { "content-type": "application/json" });
        response.end(JSON.stringify({ errcode: 0, errmsg: "ok" }));
      }, ANSWER_DELAY_MS);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    urlFor: (key: number) => `http://127.0.0.1:${port}/cgi-bin/webhook/send?key=robot${key}`,
    received,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// A worker in another process needs a server both processes reach: PostgreSQL only (PGlite serves one process).
describe("the outbox worker on postgres, killed mid-batch", () => {
  let url: string;
  let db: Database;
  let child: ChildProcess | undefined;
  let robot: Awaited<ReturnType<typeof startSlowRobot>>;
  let killedAt: number | undefined;
  const childLog: string[] = [];

  beforeAll(async () => {
    url = await createPostgresDatabase();
    db = await openDatabase({ kind: "postgres", url });
    robot = await startSlowRobot((count) => {
      if (count >= KILL_AFTER && killedAt === undefined && child) {
        killedAt = count;
        child.kill("SIGKILL");
      }
    });
  });
  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await robot.close();
    await db.close();
  });

  it("loses no row, never repeats a row it marked sent, and repeats only sends in flight at the kill", { timeout: 60_000 }, async () => {
    const texts: string[] = [];
    const createdAt = new Date(Date.now() - 60_000);
    for (let n = 0; n < ROBOTS * ROWS_PER_ROBOT; n++) {
      const text = `restart row ${String(n).padStart(3, "0")}`;
      texts.push(text);
      await db.prisma.outboxMessage.create({
        data: {
          dedupeKey: `restart-${n}`,
          kind: "test.note",
          channel: "wecom",
          chatId: robot.urlFor(n % ROBOTS),
          payload: { text },
          createdAt: new Date(createdAt.getTime() + n),
          nextAttemptAt: createdAt,
        },
      });
    }

    child = spawn(process.execPath, ["--import", "tsx", "test/support/outbox-child.ts", url, String(CHILD_LEASE_MS)], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    child.stderr?.on("data", (chunk: Buffer) => childLog.push(chunk.toString("utf8")));
    const exited = once(child, "exit");
    await vi.waitFor(() => expect(killedAt, childLog.join("")).toBeDefined(), { timeout: 30_000, interval: 20 });
    const [, signal] = (await exited) as [number | null, string | null];
    expect(signal).toBe("SIGKILL");

    const receivedBeforeKill = new Set(robot.received);
    const atKill = await db.prisma.outboxMessage.findMany();
    const sentAtKill = atKill.filter((row) => row.status === "SENT");
    // The kill came mid-batch: some rows were delivered and recorded, the rest not.
    expect(sentAtKill.length).toBeGreaterThan(0);
    expect(sentAtKill.length).toBeLessThan(texts.length);

    const successor = createOutboxWorker({
      sql: db.sql,
      render: renderTextRow,
      senders: { wecom: createWecomRobotSender() },
      logger: testLogger(),
      options: { leaseMs: 2_000, pollMs: 50, batchSize: 100 },
    });
    successor.start();
    try {
      await vi.waitFor(async () => expect(await db.prisma.outboxMessage.count({ where: { status: "SENT" } })).toBe(texts.length), {
        timeout: 20_000,
        interval: 100,
      });
    } finally {
      await successor.stop();
    }

    const after = new Map((await db.prisma.outboxMessage.findMany()).map((row) => [row.id, row]));
    // A row recorded as sent before the kill was never sent or recorded again.
    for (const row of sentAtKill) expect(after.get(row.id)).toMatchObject({ status: "SENT", sentAt: row.sentAt, attempts: row.attempts });

    const deliveries = new Map<string, number>();
    for (const text of robot.received) deliveries.set(text, (deliveries.get(text) ?? 0) + 1);
    // Nothing lost: every row reached its robot.
    expect(texts.filter((text) => !deliveries.has(text))).toEqual([]);
    const sentTexts = new Set(sentAtKill.map((row) => (row.payload as { text: string }).text));
    const repeated = texts.filter((text) => (deliveries.get(text) ?? 0) > 1);
    // The only repeats are sends the robot received before the kill whose SENT was never committed
    // (at-least-once: the kill fell between the send and its commit), each repeated once.
    for (const text of repeated) {
      expect(receivedBeforeKill.has(text)).toBe(true);
      expect(sentTexts.has(text)).toBe(false);
      expect(deliveries.get(text)).toBe(2);
    }
    // The kill came while the robot still held the last delivery's answer, so that one is repeated.
    expect(repeated).toContain(robot.received[KILL_AFTER - 1]);
  });
});
