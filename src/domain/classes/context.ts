import type { Sql } from "../../db/sql.ts";
import type { PrismaClient } from "../../generated/prisma/client.ts";
import type { StaffMemberInfo } from "../staff/registry.ts";
import type { Catalogue } from "./catalogue.ts";
import type { StaffWho } from "./classes.ts";

/**
 * What every part of one town's classes service shares: the database on both
 * paths, the town, the clock, who counts as academy staff and the in-memory
 * catalogue. Built once by `createClassesService`.
 */
export interface ClassesContext {
  prisma: PrismaClient;
  /** The same database as `prisma`, through its driver (decision record 0007). */
  db: Sql;
  townCode: string;
  /** The zone roster times are written in (CSV cells carry no zone). */
  timeZone: string;
  clock: () => Date;
  /** The acting account's staff entry when it is active ACADEMY_STAFF or ADMIN; undefined otherwise. */
  academyStaff(who: StaffWho): Promise<StaffMemberInfo | undefined>;
  catalogue: Catalogue;
}

/**
 * Options of the Prisma transactions staff changes run in. Staff changes queue
 * behind a burst of sign-ups on one cohort's lock (and, on PGlite, on one
 * connection): they wait longer than Prisma's 5 s.
 */
export const TRANSACTION_OPTIONS = { timeout: 60_000, maxWait: 60_000 };
