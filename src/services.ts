import type { RateLimiter } from "./bot/limits/limiter.ts";
import { createOriginBudgets } from "./bot/limits/origin-budgets.ts";
import type { Database } from "./db/database.ts";
import { createClassesService } from "./domain/classes/classes.ts";
import { createCompactService } from "./domain/compact/compact.ts";
import type { GridDirectory } from "./domain/grid/directory.ts";
import { createMerchantReports } from "./domain/reports/merchant-answers.ts";
import { createReportsService, type ReportsOptions } from "./domain/reports/reports.ts";
import { createStaffDesk } from "./domain/staff/desk.ts";
import { createStaffRegistry } from "./domain/staff/registry.ts";
import { createStaffSignIn } from "./domain/staff/sign-in.ts";
import { createDatabaseWebSessionStore } from "./domain/staff/web-session-table.ts";
import { createWebSessions, type WebSessionPolicy, type WebSessionStore } from "./domain/staff/web-sessions.ts";
import type { DeepLinks, FlowServices, PhotoSaver } from "./flows/kit/flow.ts";

/** The configuration's part in the services: the town's rules, as `loadConfig` reads them. */
export interface ServiceRules {
  /** The town's IANA zone (config TIME_ZONE). */
  timeZone: string;
  /** Duplicate windows, rate limits and the reopen window (config `reports`). */
  reports: ReportsOptions;
  /** Class sign-ups one origin may make in an hour (config `web.signUpsPerAddressPerHour`). */
  signUpsPerAddressPerHour: number;
  /** Staff web console sessions' idle timeout and lifetime (config `consoleSessions`). */
  consoleSessions: WebSessionPolicy;
}

/**
 * Builds every service the flows use for one town, wired to each other: the
 * one place that says which service hears of which (a new compact shop makes
 * the reports service forget its cached shops, the desk acts through the
 * reports service, and so on). `startLinli` and the tests both build their
 * services here, so a test exercises the wiring production runs.
 *
 * What differs between a running bot and a test comes in as parameters: the
 * photo saver (which channels' downloads exist), the limiter behind the origin
 * budgets, the deep links (known once the server listens), where console
 * sessions are kept (`webSessionStore`: Redis when configured, the database
 * when absent), and `clock`, which
 * every service reads "now" from (the system clock when absent).
 */
export function createServices(deps: {
  db: Pick<Database, "prisma" | "sql">;
  grid: GridDirectory;
  townCode: string;
  rules: ServiceRules;
  photos: PhotoSaver;
  limiter: RateLimiter;
  links: DeepLinks;
  webSessionStore?: WebSessionStore;
  clock?: () => Date;
}) {
  const { db, grid, townCode, rules, clock } = deps;
  const { prisma, sql } = db;
  const { timeZone } = rules;
  const reports = createReportsService({ prisma, sql, grid, townCode, timeZone, clock, options: rules.reports });
  const webSessions = createWebSessions({
    store: deps.webSessionStore ?? createDatabaseWebSessionStore(sql),
    policy: rules.consoleSessions,
    clock,
  });
  const staff = createStaffRegistry({ prisma, sql, townCode, webSessions, clock });
  return {
    grid,
    reports,
    merchantReports: createMerchantReports({ sql, townCode, clock }),
    classes: createClassesService({ prisma, sql, townCode, staff, timeZone, grid, clock }),
    compact: createCompactService({ prisma, sql, townCode, staff, timeZone, clock, onShopAdded: reports.forgetShops }),
    photos: deps.photos,
    staff,
    signIn: createStaffSignIn({ prisma, townCode, registry: staff, webSessions, clock }),
    desk: createStaffDesk({ prisma, sql, townCode, registry: staff, reports, clock }),
    links: deps.links,
    budgets: createOriginBudgets(deps.limiter, { signUpsPerHour: rules.signUpsPerAddressPerHour }),
    timeZone,
  } satisfies FlowServices;
}

/** The services of {@link createServices}, with the staff-side actions the scheduler and tests reach beyond the flows' view. */
export type TownServices = ReturnType<typeof createServices>;
