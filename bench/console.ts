import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { startLinli } from "../src/app.ts";
import { loadConfig } from "../src/config.ts";
import { openDatabase } from "../src/db/database.ts";
import { createStaffRegistry } from "../src/domain/staff/registry.ts";
import { createStaffSignIn } from "../src/domain/staff/sign-in.ts";
import { databaseWebSessions } from "../src/domain/staff/web-session-table.ts";
import { importTownData } from "../src/domain/town/import.ts";
import { createLogger } from "../src/log.ts";
import { readTownFile } from "../src/towndata/town-file.ts";
import { seedCases } from "../test/support/cases.ts";
import { SAMPLE_TOWN_FILE } from "../test/support/town.ts";
import { percentiles, type Percentiles } from "./stats.ts";

/** Cases in the town the console pages are measured on: several years of a busy town's reports. */
export const CONSOLE_CASES = 10_000;

/** Desk queries measured in turn: the default page, filters that narrow or sort the whole town's cases, and a deep page. */
const DESK_QUERIES = [
  "",
  "status=SUBMITTED&status=ACKNOWLEDGED&status=IN_PROGRESS&sort=due",
  "overdue=1&district=d2",
  "committee=rc1&category=pavement-trading&sort=updated&size=100",
  "from=2026-01-01&to=2026-06-30&sort=oldest&page=7",
  "q=1999-0042",
];

/** A running Linli on a database holding {@link CONSOLE_CASES} cases, with an admin signed in to its console. */
export interface SeededConsole {
  url: string;
  /** The admin's session cookie (`name=value`) for console requests. */
  cookie: string;
  stop(): Promise<void>;
}

/**
 * Starts Linli on a fresh database of the configuration's kind holding the
 * sample town, {@link CONSOLE_CASES} cases (seeded in bulk SQL by
 * `seedCases`) and an admin signed in through a link, as /web gives one. The
 * seeding runs before Linli starts (an embedded database has one owner), so
 * every console page measurement reuses it.
 */
export async function startSeededConsole(target: { kind: "embedded" } | { kind: "server"; databaseUrl: string }): Promise<SeededConsole> {
  const dir = await mkdtemp(path.join(tmpdir(), "linli-bench-console-"));
  const config = loadConfig({
    DATA_DIR: dir,
    PORT: "0",
    TOWN_DATA_FILE: SAMPLE_TOWN_FILE,
    LOG_LEVEL: "error",
    ...(target.kind === "server" ? { DATABASE_URL: target.databaseUrl } : {}),
  });
  const db = await openDatabase(config.database, { purpose: "bench seeding" });
  let token: string;
  try {
    const file = await readTownFile(SAMPLE_TOWN_FILE);
    await importTownData(db.prisma, file.data, file.hash, config.workingTime.timeZone);
    await seedCases(db.sql, { townCode: config.town.code, count: CONSOLE_CASES, now: new Date() });
    const webSessions = databaseWebSessions(db.sql);
    const registry = createStaffRegistry({ prisma: db.prisma, sql: db.sql, townCode: config.town.code, webSessions });
    const invite = await registry.invite("bootstrap", { role: "ADMIN", label: "bench admin", districtCodes: [], roadCommitteeCodes: [] });
    const who = { channel: "telegram", userId: "bench-admin", chatId: "bench-admin", locale: "zh" as const };
    if (invite.type !== "created" || (await registry.redeem(invite.code, who)).type !== "bound") throw new Error("no bench admin");
    const link = await createStaffSignIn({ prisma: db.prisma, townCode: config.town.code, registry, webSessions }).request(who);
    if (link.type !== "created") throw new Error(`no sign-in link: ${link.type}`);
    token = link.token;
  } finally {
    await db.close();
  }
  const linli = await startLinli(config, { logger: createLogger({ level: "error" }) });
  const signedIn = await fetch(`${linli.httpUrl}/console/sign-in?token=${token}`, { redirect: "manual" });
  const cookie = signedIn.headers.get("set-cookie")?.split(";")[0];
  if (!cookie) throw new Error(`signing in answered ${signedIn.status}`);
  return {
    url: linli.httpUrl,
    cookie,
    async stop() {
      await linli.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Figures pages measured in turn: the default eight weeks, a quarter and half a year of the whole town, and one district. */
const FIGURES_QUERIES = ["", "weeks=13", "weeks=26", "district=d2"];

/** One console page measured over the seeded cases, queries taken in turn. */
export type PageTiming = Percentiles & { queries: number };

/**
 * Time of `GET <path>` for each of `queries` in turn, `requests` in all, one
 * at a time on the loopback (so the figure is the server's time plus a
 * fraction of a millisecond), after one unmeasured request per query warms it.
 */
async function benchPage(seeded: SeededConsole, path: string, queries: readonly string[], requests: number): Promise<PageTiming> {
  const get = async (query: string) => {
    const response = await fetch(`${seeded.url}${path}?${query}`, { headers: { cookie: seeded.cookie } });
    if (response.status !== 200) throw new Error(`GET ${path}?${query} answered ${response.status}`);
    await response.arrayBuffer();
  };
  for (const query of queries) await get(query);
  const samples: number[] = [];
  for (let i = 0; i < requests; i++) {
    const started = performance.now();
    await get(queries[i % queries.length]!);
    samples.push(performance.now() - started);
  }
  return { ...percentiles(samples), queries: queries.length };
}

/** The case desk's filtered list and the figures page over the seeded cases. */
export async function benchConsolePages(seeded: SeededConsole, requests: number): Promise<{ caseDesk: PageTiming; figures: PageTiming }> {
  const caseDesk = await benchPage(seeded, "/console/cases", DESK_QUERIES, requests);
  // The figures page aggregates every case of the period: fewer requests give a stable p95 already.
  const figures = await benchPage(seeded, "/console/figures", FIGURES_QUERIES, Math.max(40, Math.floor(requests / 5)));
  return { caseDesk, figures };
}
