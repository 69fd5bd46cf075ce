import { monitorEventLoopDelay } from "node:perf_hooks";
import { loadConfig } from "../src/config.ts";
import { startLinli } from "../src/main.ts";

/**
 * The process under test: the whole of Linli exactly as `npm start` composes it
 * (startLinli with the configuration from the environment), plus what only the
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
  /** Memory outside the JS heap that V8 knows of: buffers and WebAssembly memories (Prisma's query compiler, PGlite). */
  externalMb: number;
  /** The kernel's high-water mark for the whole life of the process. */
  maxRssMb: number;
}

/** A message the driver sends to the stack process. */
export type StackCommand = { type: "phase" } | { type: "stats"; settle?: boolean } | { type: "stop" };

const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

const send = (message: unknown) => process.send?.(message);
const running = await startLinli(loadConfig(process.env));
const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();
let peakRss = 0;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
}, 100);

process.on("message", (command: StackCommand) => {
  if (command.type === "phase") {
    delay.reset();
    peakRss = process.memoryUsage.rss();
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
      externalMb: mb(memory.external),
      maxRssMb: mb(process.resourceUsage().maxRSS * 1024),
    };
    send(stats);
  } else {
    clearInterval(sampler);
    delay.disable();
    running.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  }
});
send({ type: "ready", url: running.httpUrl });
