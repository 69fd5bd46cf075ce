import cluster, { type Worker } from "node:cluster";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { announceReady, startWorkers } from "../src/cluster.ts";
import { loadConfig } from "../src/config.ts";
import { createLogger } from "../src/log.ts";
import { startLinli } from "../src/app.ts";

/**
 * The process under test: the whole of Linli exactly as `npm start` composes it
 * (startLinli with the configuration from the environment; with WORKERS > 1 a
 * primary and its workers, as src/cluster.ts runs them), plus what only the
 * process itself can see of itself. The benchmark driver forks it, so its RSS
 * and event-loop delay are Linli's alone, not the load generator's or the fake
 * Bot API's. It talks over the IPC channel:
 *
 * - it sends `{ type: "ready", url }` once Linli listens;
 * - `{ type: "phase" }` starts a measuring phase (event-loop histogram and peak RSS reset);
 * - `{ type: "stats" }` is answered with a {@link StackStats}; with `settle` it first collects
 *   garbage (the driver starts this process with --expose-gc), so RSS shows what is retained;
 * - `{ type: "stop" }` stops Linli and exits.
 */
export interface StackStats {
  type: "stats";
  eventLoopDelayP99Ms: number;
  eventLoopDelayMaxMs: number;
  /** Highest RSS sampled (every 100 ms) since the phase started. */
  peakRssMb: number;
  rssMb: number;
  heapUsedMb: number;
  /** The JS heap V8 holds from the system, used or not: the part of RSS a busy phase can leave behind. */
  heapTotalMb: number;
  /** Memory outside the JS heap that V8 knows of: buffers and WebAssembly memories (Prisma's query compiler, PGlite). */
  externalMb: number;
  /** The kernel's high-water mark for the whole life of the process. */
  maxRssMb: number;
  /**
   * CPU time (user and system) spent since the phase started: divided by the
   * updates handled, what an update costs, which a slower or busier host
   * changes far less than it changes updates per second.
   */
  cpuMs: number;
  /** With WORKERS > 1, each worker's own figures; the fields above then add them up, the primary included. */
  workers: StackStats[];
}

/** A message the driver sends to the stack process. */
export type StackCommand = { type: "phase" } | { type: "stats"; settle?: boolean } | { type: "stop" };

const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
const cpuMsSince = (start: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
};

const send = (message: unknown) => process.send?.(message);
const config = loadConfig(process.env);

if (config.workers > 1 && cluster.isPrimary) await relayForWorkers();
else await runLinli();

/** The process that runs Linli itself: alone, or as one worker of several. */
async function runLinli() {
  const running = await startLinli(config);
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  let peakRss = 0;
  let phaseCpu = process.cpuUsage();
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 100);

  process.on("message", (command: StackCommand) => {
    if (command.type === "phase") {
      delay.reset();
      peakRss = process.memoryUsage.rss();
      phaseCpu = process.cpuUsage();
    } else if (command.type === "stats") {
      if (command.settle) globalThis.gc?.();
      const memory = process.memoryUsage();
      peakRss = Math.max(peakRss, memory.rss);
      const stats: StackStats = {
        type: "stats",
        eventLoopDelayP99Ms: delay.count > 0 ? delay.percentile(99) / 1e6 : 0,
        eventLoopDelayMaxMs: delay.count > 0 ? delay.max / 1e6 : 0,
        peakRssMb: mb(peakRss),
        rssMb: mb(memory.rss),
        heapUsedMb: mb(memory.heapUsed),
        heapTotalMb: mb(memory.heapTotal),
        externalMb: mb(memory.external),
        maxRssMb: mb(process.resourceUsage().maxRSS * 1024),
        cpuMs: cpuMsSince(phaseCpu),
        workers: [],
      };
      send(stats);
    } else stop();
  });
  // A worker is stopped by its primary with SIGTERM; it closes like `npm start` does, so a CPU profile is still written.
  process.once("SIGTERM", stop);
  function stop() {
    clearInterval(sampler);
    delay.disable();
    running.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  }
  if (cluster.isWorker) announceReady(running.httpUrl);
  else send({ type: "ready", url: running.httpUrl });
}

/**
 * The primary of a WORKERS > 1 deployment, started by the same code `npm start`
 * uses: it passes the driver's commands to every worker and answers with their
 * figures added up (memory) or at their worst (event-loop delay), the primary's
 * own memory included, and each worker's figures beside them.
 */
async function relayForWorkers() {
  const pool = await startWorkers({ count: config.workers, logger: createLogger({ level: config.logLevel, secrets: config.secrets }) });
  let primaryCpu = process.cpuUsage();
  const ask = (worker: Worker, command: StackCommand) =>
    new Promise<StackStats>((resolve) => {
      const onMessage = (message: StackStats) => {
        if (message.type !== "stats") return;
        worker.off("message", onMessage);
        resolve(message);
      };
      worker.on("message", onMessage);
      worker.send(command);
    });
  process.on("message", (command: StackCommand) => {
    if (command.type === "phase") {
      primaryCpu = process.cpuUsage();
      for (const worker of pool.workers()) worker.send(command);
    } else if (command.type === "stats") {
      void Promise.all(pool.workers().map((worker) => ask(worker, command))).then((workers) => {
        const own = process.memoryUsage();
        const sum = (figure: (stats: StackStats) => number, primary: number) =>
          Math.round((workers.reduce((total, stats) => total + figure(stats), 0) + primary) * 10) / 10;
        send({
          type: "stats",
          eventLoopDelayP99Ms: Math.max(...workers.map((stats) => stats.eventLoopDelayP99Ms)),
          eventLoopDelayMaxMs: Math.max(...workers.map((stats) => stats.eventLoopDelayMaxMs)),
          peakRssMb: sum((stats) => stats.peakRssMb, mb(own.rss)),
          rssMb: sum((stats) => stats.rssMb, mb(own.rss)),
          heapUsedMb: sum((stats) => stats.heapUsedMb, mb(own.heapUsed)),
          heapTotalMb: sum((stats) => stats.heapTotalMb, mb(own.heapTotal)),
          externalMb: sum((stats) => stats.externalMb, mb(own.external)),
          maxRssMb: sum((stats) => stats.maxRssMb, mb(process.resourceUsage().maxRSS * 1024)),
          cpuMs: sum((stats) => stats.cpuMs, cpuMsSince(primaryCpu)),
          workers,
        } satisfies StackStats);
      });
    } else {
      void pool.stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    }
  });
  send({ type: "ready", url: pool.url });
}
