import { execFile, fork, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import path from "node:path";
import { parseArgs, promisify } from "node:util";
import { parse, stringify } from "yaml";
import { TELEGRAM_WEBHOOK_PATH } from "../src/bot/channels/telegram/webhook.ts";
import { openDatabase, type Database } from "../src/db/database.ts";
import { readTownFile } from "../src/towndata/town-file.ts";
import { createDatabaseIn, freePort, startPostgres } from "../test/support/global-setup.ts";
import { startRedisServer } from "../test/support/redis-server.ts";
import { SAMPLE_TOWN_FILE } from "../test/support/town.ts";
import { startLoadBotApi } from "./fake-bot-api.ts";
import { createLoad, LONG_EDIT_ROUNDS, type Mix, type RunSummary, type TownWords } from "./load.ts";
import { benchLookup } from "./lookup.ts";
import { benchUnderstanding } from "./understanding.ts";
import { benchOutboxDrain } from "./outbox.ts";
import { benchConsolePages, CONSOLE_CASES, startSeededConsole } from "./console.ts";
import { summariseProfiles } from "./profile-summary.ts";
import type { StackCommand, StackStats } from "./stack.ts";

/**
 * `npm run bench [-- --config embedded|server|all] [--quick] [--profile] [--workers N]`:
 * drives the whole of Linli (Telegram webhook → grammY parsing → dedupe →
 * session lock and load → flow → domain writes and outbox → render to the Bot
 * API → session save) with simulated users, once per configuration, each in its
 * own process, and prints one table of the figures against the targets. The
 * figures of each configuration are also written to
 * bench-results/<config>.json (machine-specific, not committed). `--profile`
 * writes V8 CPU profiles of the Linli processes to bench-results/profiles/ and
 * prints where their time went (bench/profile-summary.ts).
 * The server configuration runs WORKERS Linli processes, one per core unless
 * `--workers` says otherwise, as a deployment on this machine would.
 * Timings are measured here and only here, never in unit tests.
 */

const { values: args } = parseArgs({
  options: {
    config: { type: "string", default: "all" },
    quick: { type: "boolean", default: false },
    profile: { type: "boolean", default: false },
    rate: { type: "string", default: "300" },
    workers: { type: "string", default: String(cpus().length) },
  },
});
const isConfig = (value: string): value is "embedded" | "server" => value === "embedded" || value === "server";
const CONFIGS = args.config === "all" ? (["embedded", "server"] as const) : [args.config].filter(isConfig);
if (CONFIGS.length === 0) throw new Error(`--config must be embedded, server or all, not ${args.config}`);
const quick = args.quick;
/** Seconds of each timed run; the whole default run stays within a few minutes. */
const RUN_SECONDS = quick ? 5 : 15;
const OPEN_SESSIONS = quick ? 2_000 : 10_000;
const OPEN_LOOP_RATE = Number(args.rate);
/** Linli processes in the server configuration (WORKERS); the embedded one is a single process by design. */
const SERVER_WORKERS = Number(args.workers);
const CLOSED_LOOP_CONCURRENCY = 64;
const MIXED: Mix = { lookup: 5, report: 3, classes: 2 };
const TOKEN = "424242:bench-token-abcdefghijklmnopqrstu";
const SECRET = "bench-webhook-secret";
const RESULTS = path.resolve(import.meta.dirname, "../bench-results");
const PHOTO = await readFile(path.join(import.meta.dirname, "fixtures/photo.jpg"));
const DAY = 86_400_000;
/** Requests of each console page measurement. */
const CONSOLE_REQUESTS = quick ? 200 : 600;

/** The sample town with staff groups for every district (alerts go through the outbox) and four cohorts open for sign-up now. */
async function benchTown(dir: string): Promise<{ file: string; words: TownWords }> {
  const data = parse(await readFile(SAMPLE_TOWN_FILE, "utf8")) as Record<string, unknown>;
  const at = (days: number) => new Date(Date.now() + days * DAY).toISOString();
  const districts = (data.districts as { code: string }[]).map((district) => district.code);
  data.alertDestinations = districts.map((code, i) => ({
    code: `bench-${code}`,
    name: `${code} 工作群`,
    telegramChatId: String(-1_001_000_000_000 - i),
    locale: "zh",
    districts: [code],
    roadCommittees: [],
    categories: [],
  }));
  const cohortCodes = ["bench-1", "bench-2", "bench-3", "bench-4"];
  data.courses = [
    {
      code: "bench-course",
      name: "基准课程",
      nameEn: "Bench course",
      description: "压力测试用的课程。",
      descriptionEn: "A course for the benchmark.",
      cohorts: cohortCodes.map((code, i) => ({
        code,
        title: `第${i + 1}期`,
        titleEn: `Cohort ${i + 1}`,
        capacity: 150,
        enrolmentOpensAt: at(-1),
        enrolmentClosesAt: at(20),
        eligibility: "本镇居民",
        eligibilityEn: "Residents of the town",
        location: "社区学校",
        locationEn: "Community school",
        completionShare: 1,
        sessions: [
          {
            startsAt: at(30 + i),
            endsAt: at(30.1 + i),
            topic: "开班",
            topicEn: "Opening",
            lecturerRole: "教师",
            lecturerRoleEn: "Teacher",
          },
        ],
      })),
    },
  ];
  const file = path.join(dir, "town.yaml");
  await writeFile(file, stringify(data));
  const town = (await readTownFile(file)).data;
  const problems = town.categories.flatMap((category) =>
    category.keywords.filter((keyword) => /\p{Script=Han}/u.test(keyword)).slice(0, 1),
  );
  return {
    file,
    words: { neighbourhoods: town.neighbourhoods.map((n) => n.name), roads: town.roads.map((r) => r.name), problems, cohortCodes },
  };
}

/** The Node flags `npm start` runs the bundle with (package.json), e.g. the young-generation cap that keeps RSS down. */
const START_FLAGS = (() => {
  const start = (JSON.parse(readFileSync(path.resolve(import.meta.dirname, "../package.json"), "utf8")) as { scripts: { start: string } })
    .scripts.start;
  const flags = /\bnode ((?:--\S+ )*)dist\/main\.js/.exec(start)?.[1];
  if (flags === undefined) throw new Error(`package.json's start script no longer runs "node [flags] dist/main.js": ${start}`);
  return flags
    .trim()
    .split(" ")
    .filter((flag) => flag !== "");
})();

/** stack.ts bundled the way `npm start` bundles the bot, so the process under test runs on plain Node as in production. */
const STACK_BUNDLE = path.resolve(import.meta.dirname, "../dist/bench-stack.js");
await promisify(execFile)(process.execPath, [
  path.resolve(import.meta.dirname, "../scripts/bundle.mjs"),
  path.join(import.meta.dirname, "stack.ts"),
  STACK_BUNDLE,
]);

/** The Linli process of one configuration and the IPC calls the driver makes to it. */
async function startStack(env: Record<string, string>, profileDir: string | undefined) {
  const child: ChildProcess = fork(STACK_BUNDLE, [], {
    env: { ...process.env, ...env },
    // npm start's flags, not this process's (those load tsx, which the bundle does not need).
    execArgv: [...START_FLAGS, "--expose-gc", ...(profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : [])],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`the Linli process exited with ${code} before it was ready`)));
    child.once("message", (message: { type: string; url: string }) => resolve(message.url));
  });
  const command = (message: StackCommand) => child.send(message);
  return {
    url,
    phase: () => command({ type: "phase" }),
    /** The process's figures; `settle` collects garbage first, so RSS is what the process keeps. */
    stats: (settle = false) =>
      new Promise<StackStats>((resolve) => {
        child.once("message", (message: StackStats) => resolve(message));
        command({ type: "stats", settle });
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        child.once("exit", () => resolve());
        command({ type: "stop" });
      }),
  };
}

/**
 * Starts what a configuration needs besides Linli: nothing for embedded,
 * PostgreSQL and Redis for server, which Linli reaches through their Unix
 * sockets, as a deployment with all three on one machine would.
 */
async function startServices(
  config: "embedded" | "server",
  dir: string,
): Promise<{
  env: Record<string, string>;
  outboxDatabase: () => Promise<Database>;
  consoleTarget: () => Promise<Parameters<typeof startSeededConsole>[0]>;
  stop: () => Promise<void>;
}> {
  if (config === "embedded") {
    return {
      env: { DATA_DIR: dir },
      outboxDatabase: () => openDatabase({ kind: "pglite", dataDir: "memory://" }),
      consoleTarget: async () => ({ kind: "embedded" }),
      stop: async () => undefined,
    };
  }
  const [postgres, redis] = await Promise.all([
    startPostgres({ durable: true }),
    freePort().then((port) => startRedisServer(port, { durable: true })),
  ]);
  return {
    env: {
      DATA_DIR: dir,
      DATABASE_URL: await createDatabaseIn(postgres.socketUrl, "linli_bench"),
      REDIS_URL: redis.socketUrl,
      WORKERS: String(SERVER_WORKERS),
    },
    outboxDatabase: async (): Promise<Database> =>
      openDatabase({ kind: "postgres", url: await createDatabaseIn(postgres.socketUrl, "linli_outbox") }),
    consoleTarget: async () => ({ kind: "server", databaseUrl: await createDatabaseIn(postgres.socketUrl, "linli_console") }),
    stop: async () => {
      await Promise.all([postgres.stop(), redis.kill()]);
    },
  };
}

async function benchConfig(config: "embedded" | "server", seed: number) {
  const dir = await mkdtemp(path.join(tmpdir(), `linli-bench-${config}-`));
  const services = await startServices(config, dir);
  const town = await benchTown(dir);
  const api = await startLoadBotApi(TOKEN, (fileId) => Buffer.concat([PHOTO, Buffer.from(fileId)]));
  const profileDir = args.profile ? path.join(RESULTS, "profiles", config) : undefined;
  if (profileDir) await rm(profileDir, { recursive: true, force: true });
  const stack = await startStack(
    {
      ...services.env,
      PORT: "0",
      TOWN_DATA_FILE: town.file,
      TELEGRAM_BOT_TOKEN: TOKEN,
      TELEGRAM_API_ROOT: api.url,
      TELEGRAM_WEBHOOK_URL: "https://linli.example/telegram/webhook",
      TELEGRAM_WEBHOOK_SECRET: SECRET,
      LOG_LEVEL: "error",
    },
    profileDir,
  );
  const load = createLoad({
    webhookUrl: `${stack.url}${TELEGRAM_WEBHOOK_PATH}`,
    secret: SECRET,
    api,
    town: town.words,
    seed,
    firstUserId: 1_000_000,
  });
  const measured = async <T>(name: string, run: () => Promise<T>) => {
    process.stderr.write(`[${config}] ${name}…\n`);
    stack.phase();
    const result = await run();
    return { ...result, process: await stack.stats() };
  };
  try {
    const idle = await stack.stats(true);
    await load.closedLoop({ mix: MIXED, concurrency: 16, seconds: quick ? 2 : 4 });
    const closedLoop = await measured("closed loop", () =>
      load.closedLoop({ mix: MIXED, concurrency: CLOSED_LOOP_CONCURRENCY, seconds: RUN_SECONDS }),
    );
    const openLoop = await measured(`open loop at ${OPEN_LOOP_RATE}/s`, () =>
      load.openLoop({ mix: MIXED, rate: OPEN_LOOP_RATE, seconds: RUN_SECONDS }),
    );
    const reports = await measured("reports only", () =>
      load.closedLoop({ mix: { report: 1 }, concurrency: CLOSED_LOOP_CONCURRENCY, seconds: RUN_SECONDS }),
    );
    const newReports = await measured("new reports only", () =>
      load.closedLoop({ mix: { newReport: 1 }, concurrency: CLOSED_LOOP_CONCURRENCY, seconds: RUN_SECONDS }),
    );
    const longConversations = await measured("30-step conversations", () =>
      load.closedLoop({ mix: { longReport: 1 }, concurrency: 16, conversations: quick ? 32 : 96 }),
    );
    const openSessions = await measured(`${OPEN_SESSIONS} open sessions`, () =>
      load.closedLoop({ mix: { openSession: 1 }, concurrency: CLOSED_LOOP_CONCURRENCY, conversations: OPEN_SESSIONS }),
    );
    const withOpenSessions = await stack.stats(true);
    const lifetime = await stack.stats();
    await stack.stop();
    process.stderr.write(`[${config}] outbox drain…\n`);
    const outboxDb = await services.outboxDatabase();
    const outbox = await benchOutboxDrain(outboxDb).finally(() => outboxDb.close());
    process.stderr.write(`[${config}] console: ${CONSOLE_CASES} cases, case desk and figures…\n`);
    const seeded = await startSeededConsole(await services.consoleTarget());
    const { caseDesk, figures } = await benchConsolePages(seeded, CONSOLE_REQUESTS).finally(() => seeded.stop());
    return {
      config,
      idle,
      closedLoop,
      openLoop,
      reports,
      newReports,
      longConversations,
      openSessions,
      withOpenSessions,
      lifetime,
      botApiCalls: api.counts(),
      stuckSamples: load.stuckSamples,
      outbox,
      caseDesk,
      figures,
    };
  } finally {
    await api.close();
    await services.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

type ConfigResult = Awaited<ReturnType<typeof benchConfig>>;

const ms = (value: number) => `${value.toFixed(value < 10 ? 2 : 1)}`;
const triple = (p: { p50Ms: number; p95Ms: number; p99Ms: number }) => `${ms(p.p50Ms)} / ${ms(p.p95Ms)} / ${ms(p.p99Ms)}`;
const perSecond = (value: number) => value.toFixed(0);
const verdict = (ok: boolean) => (ok ? "✓" : "✗ MISS");

/** The RSS of each Linli process: the workers when there are several, else the one process. */
const perProcess = (stats: StackStats) => (stats.workers.length > 0 ? stats.workers.map((w) => w.rssMb) : [stats.rssMb]);

/** Step 1 and step 30 of the long conversations. */
function longConversationFigures(run: RunSummary) {
  const step1 = run.byStepNumber[1];
  const step30 = run.byStepNumber[30];
  return { step1, step30 };
}

function table(
  results: ConfigResult[],
  lookup: ReturnType<typeof benchLookup>,
  understanding: Awaited<ReturnType<typeof benchUnderstanding>>,
) {
  const columns = results.map((r) => r.config);
  const rows: [string, ...string[]][] = [];
  const row = (figure: string, value: (r: ConfigResult) => string, target = "") => rows.push([figure, ...results.map(value), target]);
  row("updates/s, closed loop (64 users)", (r) => perSecond(r.closedLoop.updatesPerSecond), "server ≥ 1500, embedded ≥ 300");
  row("  verdict", (r) => verdict(r.closedLoop.updatesPerSecond >= (r.config === "server" ? 1500 : 300)));
  row(`latency p50/p95/p99 ms, open loop ${OPEN_LOOP_RATE}/s`, (r) => triple(r.openLoop.latency), "server p99 < 20");
  row("  verdict", (r) => (r.config === "server" ? verdict(r.openLoop.latency.p99Ms < 20) : ""));
  row(
    `  answered updates/s (offered ${OPEN_LOOP_RATE}); shed`,
    (r) => `${perSecond(r.openLoop.updates / (r.openLoop.seconds + r.openLoop.drainSeconds))}; ${r.openLoop.shed}`,
    "0 shed",
  );
  const labels = [...new Set(results.flatMap((r) => Object.keys(r.openLoop.steps)))].sort();
  for (const label of labels) row(`  ${label}`, (r) => (r.openLoop.steps[label] ? triple(r.openLoop.steps[label]) : "—"));
  row(
    "completed reports/s (reports only, 64 users): new + followed",
    (r) =>
      `${perSecond((r.reports.outcomes.reportsSubmitted + r.reports.outcomes.reportsFollowed) / r.reports.seconds)}: ${perSecond(r.reports.outcomes.reportsSubmitted / r.reports.seconds)} + ${perSecond(r.reports.outcomes.reportsFollowed / r.reports.seconds)}`,
    "server ≥ 300",
  );
  row("  verdict", (r) =>
    r.config === "server"
      ? verdict((r.reports.outcomes.reportsSubmitted + r.reports.outcomes.reportsFollowed) / r.reports.seconds >= 300)
      : "",
  );
  row("  updates/s in that run", (r) => perSecond(r.reports.updatesPerSecond));
  row(
    "new reports/s with a photo (each filed past the nearby ones); followed instead; reports naming a shop",
    (r) =>
      `${perSecond(r.newReports.outcomes.reportsSubmitted / r.newReports.seconds)}; ${perSecond(r.newReports.outcomes.reportsFollowed / r.newReports.seconds)}; ${r.newReports.outcomes.reportsNamingShop} of ${r.newReports.outcomes.reportsSubmitted}`,
  );
  row("  updates/s in that run", (r) => perSecond(r.newReports.updatesPerSecond));
  row(
    "Linli CPU per update, µs: closed loop / reports only / new reports",
    (r) =>
      [r.closedLoop, r.reports, r.newReports]
        .map((run) => (run.updates > 0 ? ((run.process.cpuMs * 1000) / run.updates).toFixed(0) : "—"))
        .join(" / "),
    "all Linli processes, user + system",
  );
  row("completed reports/s (mixed closed loop)", (r) => perSecond(r.closedLoop.outcomes.reportsSubmitted / r.closedLoop.seconds));
  row(
    "class sign-ups: seated / waitlisted (all runs)",
    (r) =>
      `${r.closedLoop.outcomes.classSeats + r.openLoop.outcomes.classSeats} / ${r.closedLoop.outcomes.classWaitlisted + r.openLoop.outcomes.classWaitlisted}`,
  );
  row(
    "step 1 vs step 30 p50 ms (30-step report)",
    (r) => {
      const { step1, step30 } = longConversationFigures(r.longConversations);
      return `${ms(step1?.p50Ms ?? 0)} vs ${ms(step30?.p50Ms ?? 0)}`;
    },
    "no growth",
  );
  row("  p95 ms", (r) => {
    const { step1, step30 } = longConversationFigures(r.longConversations);
    return `${ms(step1?.p95Ms ?? 0)} vs ${ms(step30?.p95Ms ?? 0)}`;
  });
  row("  edit round 1 vs 13 p50 / p95 ms (same step)", (r) => {
    const first = r.longConversations.steps["long report: edit description #1"];
    const last = r.longConversations.steps[`long report: edit description #${LONG_EDIT_ROUNDS}`];
    return first && last ? `${ms(first.p50Ms)} vs ${ms(last.p50Ms)} / ${ms(first.p95Ms)} vs ${ms(last.p95Ms)}` : "—";
  });
  row("Linli processes (WORKERS)", (r) => String(Math.max(1, r.idle.workers.length)));
  row("peak RSS MB (closed loop)", (r) => String(r.closedLoop.process.peakRssMb));
  row("RSS MB idle after start (after GC)", (r) => String(r.idle.rssMb));
  row(
    `RSS MB after ${OPEN_SESSIONS} more open sessions (after GC), all processes`,
    (r) => String(r.withOpenSessions.rssMb),
    "10,000 sessions",
  );
  row(
    "  per Linli process (workers)",
    (r) =>
      r.withOpenSessions.workers.length > 0
        ? r.withOpenSessions.workers.map((w) => String(w.rssMb)).join(" + ")
        : String(r.withOpenSessions.rssMb),
    "server < 200 each",
  );
  row("  verdict", (r) => (r.config === "server" ? verdict(perProcess(r.withOpenSessions).every((rss) => rss < 200)) : ""));
  row("  JS heap MB after GC: idle / with the sessions", (r) => `${r.idle.heapUsedMb} / ${r.withOpenSessions.heapUsedMb}`);
  row("max RSS MB, whole run", (r) => String(r.lifetime.maxRssMb));
  row(
    "event-loop delay p99 ms: closed / open loop",
    (r) => `${ms(r.closedLoop.process.eventLoopDelayP99Ms)} / ${ms(r.openLoop.process.eventLoopDelayP99Ms)}`,
  );
  row(
    "outbox: 700 alerts to 50 Telegram groups, s (fastest allowed)",
    (r) => `${(r.outbox.telegram.elapsedMs / 1000).toFixed(1)} (${(r.outbox.telegram.fastestAllowedMs / 1000).toFixed(1)})`,
    "= limit, not faster",
  );
  row(
    "  achieved vs allowed /s; refused",
    (r) => `${r.outbox.telegram.achievedPerSecond.toFixed(1)} vs ${r.outbox.allowed.telegramPerSecond}; ${r.outbox.telegram.rejected}`,
    "0 refused",
  );
  row(
    "outbox: 300 alerts to 10 WeCom robots, s (fastest allowed)",
    (r) => `${(r.outbox.wecom.elapsedMs / 1000).toFixed(1)} (${(r.outbox.wecom.fastestAllowedMs / 1000).toFixed(1)})`,
  );
  row("  refused; real seconds for 1,000", (r) => `${r.outbox.wecom.rejected}; ${r.outbox.realSeconds.toFixed(1)}`, "0 refused");
  row(
    "errors: failed deliveries / error replies / stuck",
    (r) => {
      const runs = [r.closedLoop, r.openLoop, r.reports, r.newReports, r.longConversations, r.openSessions];
      return `${runs.reduce((n, x) => n + x.failedDeliveries, 0)} / ${runs.reduce((n, x) => n + x.outcomes.errorReplies, 0)} / ${runs.reduce((n, x) => n + x.outcomes.stuck, 0)}`;
    },
    "0 / 0 / 0",
  );
  row(
    `console: GET /console/cases, ${CONSOLE_CASES.toLocaleString("en")} cases, p50 / p95 ms`,
    (r) => `${ms(r.caseDesk.p50Ms)} / ${ms(r.caseDesk.p95Ms)} (${r.caseDesk.count} requests, ${r.caseDesk.queries} filter sets)`,
    "p95 ≤ 50",
  );
  row("  verdict", (r) => verdict(r.caseDesk.p95Ms <= 50));
  row(
    `console: GET /console/figures, ${CONSOLE_CASES.toLocaleString("en")} cases, p50 / p95 ms`,
    (r) => `${ms(r.figures.p50Ms)} / ${ms(r.figures.p95Ms)} (${r.figures.count} requests, ${r.figures.queries} periods and districts)`,
    "p95 ≤ 200",
  );
  row("  verdict", (r) => verdict(r.figures.p95Ms <= 200));
  rows.push([
    `lookup, ${lookup.places} neighbourhoods and roads: mean / p50 / p99 µs`,
    ...columns.map((_, i) =>
      i === 0 ? `${(lookup.meanMs * 1000).toFixed(1)} / ${(lookup.p50Ms * 1000).toFixed(1)} / ${(lookup.p99Ms * 1000).toFixed(1)}` : "",
    ),
    "< 100 µs",
  ]);
  rows.push([
    `understanding one message (${understanding.messages} reads of the labelled messages): mean / p50 / p99 µs`,
    ...columns.map((_, i) =>
      i === 0
        ? `${(understanding.meanMs * 1000).toFixed(1)} / ${(understanding.p50Ms * 1000).toFixed(1)} / ${(understanding.p99Ms * 1000).toFixed(1)}`
        : "",
    ),
    "p99 < 1000 µs",
  ]);

  const header: [string, ...string[]] = ["figure", ...columns, "target"];
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((r) => [...(r[i] ?? "")].length)));
  const line = (cells: string[]) => `| ${cells.map((cell, i) => cell + " ".repeat(widths[i]! - [...cell].length)).join(" | ")} |`;
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

const loadBefore = loadavg();
const lookup = benchLookup(250, 20);
const understanding = await benchUnderstanding(20);
const results: ConfigResult[] = [];
for (const [i, config] of CONFIGS.entries()) results.push(await benchConfig(config, 1 + i));
const machine = { cores: cpus().length, loadAverageBefore: loadBefore, loadAverageAfter: loadavg(), node: process.version, quick };
await mkdir(RESULTS, { recursive: true });
for (const result of results)
  await writeFile(
    path.join(RESULTS, `${result.config}.json`),
    `${JSON.stringify({ measuredAt: new Date().toISOString(), machine, lookup, understanding, ...result }, null, 2)}\n`,
  );
process.stdout.write(`${table(results, lookup, understanding)}\n`);
if (args.profile) process.stdout.write(`\n${await summariseProfiles(path.join(RESULTS, "profiles"))}`);
process.stdout.write(
  `load average before ${loadBefore.map((l) => l.toFixed(2)).join(" ")}, after ${machine.loadAverageAfter.map((l) => l.toFixed(2)).join(" ")} on ${machine.cores} cores; JSON in ${path.relative(process.cwd(), RESULTS)}/<config>.json\n`,
);
