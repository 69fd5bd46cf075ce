/**
 * An outbox worker in a process of its own, for the restart test to SIGKILL
 * mid-batch. Usage: `node --import tsx test/support/outbox-child.ts <postgres url> <lease ms>`.
 * It delivers WeCom robot rows (whose chatId is the robot's webhook URL, here a
 * server in the test process) with the production worker and WeCom sender,
 * claiming everything due in one batch, until it is killed.
 */
import { createWecomRobotSender } from "../../src/bot/channels/wecom/robot.ts";
import { createOutboxWorker } from "../../src/bot/notify/outbox-worker.ts";
import { openDatabase } from "../../src/db/database.ts";
import { createLogger } from "../../src/log.ts";
import { renderTextRow } from "./outbox-faults.ts";

const [url, leaseMs] = process.argv.slice(2);
if (!url || !leaseMs) throw new Error("usage: outbox-child.ts <postgres url> <lease ms>");

const db = await openDatabase({ kind: "postgres", url });
createOutboxWorker({
  sql: db.sql,
  render: renderTextRow,
  senders: { wecom: createWecomRobotSender() },
  logger: createLogger({ level: "warn" }),
  options: { leaseMs: Number(leaseMs), pollMs: 20, batchSize: 100 },
}).start();
