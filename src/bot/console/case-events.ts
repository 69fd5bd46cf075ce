import { sql } from "../../db/sql.ts";
import type { ReportStatus } from "../../generated/prisma/client.ts";
import { coversCase, type CaseArea } from "../../domain/staff/registry.ts";
import type { Route, ServerSentEvent } from "../http/route.ts";
import { staffPage, type ConsoleContext } from "./console.ts";

/** How often the process's one poller reads the timeline while anyone listens. */
export const CASE_EVENTS_POLL_MS = 2_000;
/**
 * How far back each poll reads again. A transaction may commit an entry
 * stamped a little before one already seen; reading a window again (and
 * skipping ids already sent) catches it without any cross-process channel.
 */
const OVERLAP_MS = 30_000;
const BATCH = 500;

/** One change of a case on the timeline, with the area that decides who hears of it. */
type ChangeRow = {
  id: string;
  createdAt: Date;
  reference: string;
  status: ReportStatus;
  districtCode: string | null;
  routedDistrictCode: string | null;
  routedRoadCommitteeCode: string | null;
};

interface Subscriber {
  staffId: string;
  send(event: ServerSentEvent): void;
}

/**
 * `GET /console/events`: server-sent events for the signed-in member. Event
 * `case` with data `{"reference","status"}` whenever a case they cover (the
 * desk's rule, {@link coversCase}) is filed, changes status, is reopened or is
 * passed to their area, whoever made the change and in whichever process
 * (chat, console, another worker): the changes are read from the timeline in
 * the database. One poller per process runs while at least one client listens.
 * Only routed cases are announced, as only they reach the desk's lists.
 */
export function caseEventRoutes(context: ConsoleContext): Route[] {
  const { db, townCode, logger } = context;
  const staff = context.services.staff;
  const subscribers = new Set<Subscriber>();
  const seen = new Map<string, number>();
  let since: Date | undefined;
  let timer: NodeJS.Timeout | undefined;
  let polling: Promise<void> | undefined;

  const readPage = (after: { at: Date; id: string }) =>
    db.sql.query<ChangeRow>(
      sql`SELECT e."id", e."createdAt", r."reference", COALESCE(e."toStatus", r."status") AS "status",
            d."code" AS "districtCode", rd."code" AS "routedDistrictCode", rc."code" AS "routedRoadCommitteeCode"
          FROM "ReportEvent" e JOIN "Report" r ON r."id" = e."reportId"
            LEFT JOIN "District" d ON d."id" = r."districtId"
            LEFT JOIN "District" rd ON rd."id" = r."routedDistrictId"
            LEFT JOIN "RoadCommittee" rc ON rc."id" = r."routedRoadCommitteeId"
          WHERE r."townCode" = ${townCode} AND r."routed" AND (e."createdAt", e."id") > (${after.at}, ${after.id})
            AND e."type" IN ('SUBMITTED', 'STATUS_CHANGED', 'REOPENED', 'REROUTED')
          ORDER BY e."createdAt", e."id" LIMIT ${BATCH}`,
    );
  /** Every change stamped after `from`, page by page, so a busy window never hides the entries after its first page. */
  const readChanges = async (from: Date): Promise<ChangeRow[]> => {
    const rows: ChangeRow[] = [];
    let after = { at: from, id: "" };
    for (;;) {
      const page = await readPage(after);
      rows.push(...page);
      const last = page.at(-1);
      if (!last || page.length < BATCH) return rows;
      after = { at: last.createdAt, id: last.id };
    }
  };

  const poll = async () => {
    if (!since) {
      // Start from the newest entry the database has, so a clock that differs between processes loses nothing.
      const [newest] = await db.sql.query<{ at: Date | null }>(
        sql`SELECT MAX(e."createdAt") AS "at" FROM "ReportEvent" e JOIN "Report" r ON r."id" = e."reportId" WHERE r."townCode" = ${townCode}`,
      );
      since = newest?.at ?? new Date(0);
      // What the window already holds happened before anyone listened: nobody is told of it.
      for (const row of await readChanges(new Date(since.getTime() - OVERLAP_MS))) seen.set(row.id, row.createdAt.getTime());
      return;
    }
    const rows = await readChanges(new Date(since.getTime() - OVERLAP_MS));
    const fresh = rows.filter((row) => !seen.has(row.id));
    for (const row of fresh) seen.set(row.id, row.createdAt.getTime());
    if (fresh.length > 0) {
      // The grant as it is now, not as it was at sign-in: a member revoked or moved meanwhile hears only of what they cover today.
      const listening = await Promise.all(
        [...subscribers].map(async (subscriber) => ({ subscriber, grant: await staff.findById(subscriber.staffId) })),
      );
      for (const row of fresh) {
        const area: CaseArea = {
          districtCodes: [...new Set([row.districtCode, row.routedDistrictCode].filter((code): code is string => code !== null))],
          roadCommitteeCode: row.routedRoadCommitteeCode,
        };
        const event = { event: "case", data: JSON.stringify({ reference: row.reference, status: row.status }) };
        for (const { subscriber, grant } of listening) if (grant && coversCase(grant, area)) subscriber.send(event);
      }
    }
    const newest = rows.at(-1)?.createdAt;
    if (newest && newest > since) since = newest;
    const forgetBefore = since.getTime() - OVERLAP_MS;
    for (const [id, at] of seen) if (at < forgetBefore) seen.delete(id);
  };

  const tick = () => {
    polling ??= poll()
      .catch((error: unknown) => logger.warn("could not read case changes for the console; the next poll tries again", { error }))
      .finally(() => {
        polling = undefined;
      });
  };

  const subscribe = (subscriber: Subscriber, closed: AbortSignal) => {
    subscribers.add(subscriber);
    if (!timer) {
      tick();
      timer = setInterval(tick, CASE_EVENTS_POLL_MS);
      timer.unref();
    }
    closed.addEventListener(
      "abort",
      () => {
        subscribers.delete(subscriber);
        if (subscribers.size === 0 && timer) {
          clearInterval(timer);
          timer = undefined;
          // The next listener starts from the database's newest entry again, not from a stale point.
          since = undefined;
          seen.clear();
        }
      },
      { once: true },
    );
  };

  const events = staffPage(context, async (_request, signedIn) => ({
    status: 200,
    events: {
      start(send, closed) {
        subscribe({ staffId: signedIn.staff.staffId, send }, closed);
      },
    },
  }));

  return [{ method: "GET", path: "/console/events", handle: events }];
}
