import { sql, type Sql } from "../../db/sql.ts";
import type { OutboxMessage, PrismaClient } from "../../generated/prisma/client.ts";
import { requeueDeadLetters } from "../outbox/store.ts";
import type { CasePin, OpenCaseLine, RejectReasonName, StaffActionResult, StaffCaseView, StaffReportActions } from "../reports/reports.ts";
import { coveredArea, coversCase, type StaffIdentity, type StaffMemberInfo, type StaffRegistry } from "./registry.ts";

/** What a member of staff asks to do to a case. */
export type CaseCommand =
  | { type: "claim" }
  | { type: "progress"; note?: string }
  | { type: "resolve"; note: string; photoId?: string }
  | { type: "reject"; reason: RejectReasonName; note: string; duplicateOf?: string }
  /**
   * Hands the case to another district or road committee. Whoever covers the
   * case may pass it anywhere in the town (the target need not be theirs:
   * handing over a case that is not theirs to handle is the point); admins
   * cover every case.
   */
  | { type: "reassign"; target: { districtCode: string } | { roadCommitteeCode: string }; note: string };

/** Refusals every desk method can answer before it looks at the case. */
export type DeskRefusal = { type: "notStaff" } | { type: "notYourArea" };

/** A message the outbox gave up on, as an admin reviews it. */
export interface DeadLetter {
  id: string;
  kind: string;
  channel: string;
  /** The group's name for alert destinations, "resident" for a private chat; never a WeCom robot URL (it holds a key). */
  recipient: { type: "group"; name: string } | { type: "resident" } | { type: "chat"; chatId: string };
  attempts: number;
  lastError: string | null;
  createdAt: Date;
}

/** An alert destination as an admin reviews it: never a WeCom robot's URL (it holds the robot's key). */
export interface DestinationInfo {
  name: string;
  channel: string;
  districtCodes: string[];
  roadCommitteeCodes: string[];
  categoryCodes: string[];
  escalation: boolean;
  managedInChat: boolean;
}

/** A group chat subscribing itself to alerts. */
export interface AlertChat {
  channel: string;
  chatId: string;
  name: string;
}

/** The areas a group receives alerts for; both empty: the whole town. */
export interface AlertArea {
  districtCodes: string[];
  roadCommitteeCodes: string[];
}

/**
 * Everything staff do from chat, each call authorized here and not only in the
 * flows: a case can be read or changed only by active staff whose districts or
 * road committees cover it (admins: the whole town); dead letters are for
 * admins. Flows translate the answers; they never decide who may act.
 */
export interface StaffDesk {
  /** The caller's staff record, if active. */
  whoIs(who: Pick<StaffIdentity, "channel" | "userId">): Promise<StaffMemberInfo | undefined>;
  openCases(
    who: Pick<StaffIdentity, "channel" | "userId">,
    limit: number,
  ): Promise<{ type: "ok"; cases: OpenCaseLine[]; total: number } | DeskRefusal>;
  /** The cases of the caller's area for the grid map (see StaffReportActions.mapCases), with their staff record. */
  mapCases(
    who: Pick<StaffIdentity, "channel" | "userId">,
    options: { closedSince: Date; limit: number },
  ): Promise<{ type: "ok"; cases: CasePin[]; staff: StaffMemberInfo } | DeskRefusal>;
  caseDetail(
    who: Pick<StaffIdentity, "channel" | "userId">,
    reference: string,
  ): Promise<{ type: "ok"; view: StaffCaseView; staff: StaffMemberInfo } | { type: "notFound" } | DeskRefusal>;
  act(who: Pick<StaffIdentity, "channel" | "userId">, reference: string, command: CaseCommand): Promise<StaffActionResult | DeskRefusal>;
  deadLetters(
    who: Pick<StaffIdentity, "channel" | "userId">,
    limit: number,
  ): Promise<{ type: "ok"; letters: DeadLetter[]; total: number } | { type: "notAllowed" }>;
  destinations(
    who: Pick<StaffIdentity, "channel" | "userId">,
  ): Promise<{ type: "ok"; destinations: DestinationInfo[] } | { type: "notAllowed" }>;
  /** What a group chat receives now; undefined when it receives nothing. */
  chatSubscription(chat: Pick<AlertChat, "channel" | "chatId">): Promise<(AlertArea & { managedInChat: boolean }) | undefined>;
  /** An admin subscribes the group they are in; a group listed in the town-data file is changed there, not here. */
  subscribeChat(
    who: Pick<StaffIdentity, "channel" | "userId">,
    chat: AlertChat,
    area: AlertArea,
  ): Promise<{ type: "saved" } | { type: "notAllowed" } | { type: "managedInFile" }>;
  unsubscribeChat(
    who: Pick<StaffIdentity, "channel" | "userId">,
    chat: Pick<AlertChat, "channel" | "chatId">,
  ): Promise<{ type: "removed" } | { type: "notSubscribed" } | { type: "notAllowed" } | { type: "managedInFile" }>;
  /** Puts dead letters back in the queue with a fresh attempt count ("all": every dead letter of the town's chats). */
  retryDeadLetters(
    who: Pick<StaffIdentity, "channel" | "userId">,
    ids: string[] | "all",
  ): Promise<{ type: "retried"; count: number } | { type: "notAllowed" }>;
}

/** A dead letter as the admin's list reads it, with whether a resident's account has its chat. */
type DeadLetterRow = Pick<OutboxMessage, "id" | "kind" | "channel" | "chatId" | "attempts" | "lastError" | "createdAt"> & {
  resident: boolean;
};

/**
 * Creates the {@link StaffDesk}. Each table is reached by its own path
 * (decision record 0007): the staff registry and alert destinations through
 * Prisma, the outbox and chat accounts through driver SQL, a dead letter's
 * requeue through the outbox store, and cases through `reports`.
 */
export function createStaffDesk(deps: {
  /** The staff registry's and alert destinations' tables (Prisma's, decision record 0007). */
  prisma: PrismaClient;
  /** The outbox's and chat accounts' tables (driver SQL's, decision record 0007). */
  sql: Sql;
  townCode: string;
  registry: StaffRegistry;
  reports: StaffReportActions;
  clock?: () => Date;
}): StaffDesk {
  const { prisma, sql: db, townCode, registry, reports } = deps;
  const clock = deps.clock ?? (() => new Date());

  const staffCase = async (who: Pick<StaffIdentity, "channel" | "userId">, reference: string) => {
    const staff = await registry.find(who);
    if (!staff) return { type: "notStaff" } as const;
    const view = await reports.caseForStaff(reference);
    if (!view) return { type: "notFound" } as const;
    if (!coversCase(staff, view.area)) return { type: "notYourArea" } as const;
    return { type: "ok", view, staff } as const;
  };

  const admin = async (who: Pick<StaffIdentity, "channel" | "userId">) => (await registry.find(who))?.role === "ADMIN";

  return {
    whoIs: (who) => registry.find(who),

    async openCases(who, limit) {
      const staff = await registry.find(who);
      if (!staff) return { type: "notStaff" };
      const area = coveredArea(staff);
      if (!area) return { type: "notYourArea" };
      return { type: "ok", ...(await reports.openCases(area, limit)) };
    },

    async mapCases(who, options) {
      const staff = await registry.find(who);
      if (!staff) return { type: "notStaff" };
      const area = coveredArea(staff);
      if (!area) return { type: "notYourArea" };
      return { type: "ok", cases: await reports.mapCases(area, options), staff };
    },

    caseDetail: staffCase,

    async act(who, reference, command) {
      const found = await staffCase(who, reference);
      if (found.type !== "ok") return found;
      const actor = { staffId: found.staff.staffId, label: found.staff.label };
      const ref = found.view.reference;
      switch (command.type) {
        case "claim":
          return reports.acknowledge(ref, actor);
        case "progress":
          return reports.startProgress(ref, actor, command.note);
        case "resolve":
          return reports.resolve(ref, actor, command.note, command.photoId);
        case "reject":
          return reports.reject(ref, actor, command.reason, command.note, command.duplicateOf);
        case "reassign":
          return reports.reroute(ref, actor, command.target, command.note);
      }
    },

    async deadLetters(who, limit) {
      if (!(await admin(who))) return { type: "notAllowed" };
      const [rows, [counted], destinations] = await Promise.all([
        db.query<DeadLetterRow>(sql`
          SELECT o."id", o."kind", o."channel", o."chatId", o."attempts", o."lastError", o."createdAt",
            EXISTS (SELECT 1 FROM "ChatUser" u WHERE u."channel" = o."channel" AND u."chatId" = o."chatId") AS "resident"
          FROM "OutboxMessage" o WHERE o."status" = 'DEAD'
          ORDER BY o."createdAt" DESC, o."id" DESC
          LIMIT ${limit}`),
        db.query<{ total: number }>(sql`SELECT COUNT(*)::int AS "total" FROM "OutboxMessage" WHERE "status" = 'DEAD'`),
        prisma.alertDestination.findMany({ where: { townCode }, select: { channel: true, address: true, name: true } }),
      ]);
      const groups = new Map(destinations.map((d) => [`${d.channel}\u0000${d.address}`, d.name]));
      const recipientOf = (row: DeadLetterRow): DeadLetter["recipient"] => {
        const group = groups.get(`${row.channel}\u0000${row.chatId}`);
        if (group !== undefined) return { type: "group", name: group };
        if (row.resident) return { type: "resident" };
        // A robot URL that no destination names any more still must not be shown.
        return row.channel === "wecom" ? { type: "group", name: "WeCom robot" } : { type: "chat", chatId: row.chatId };
      };
      return {
        type: "ok",
        total: counted!.total,
        letters: rows.map((row) => ({
          id: row.id,
          kind: row.kind,
          channel: row.channel,
          recipient: recipientOf(row),
          attempts: row.attempts,
          lastError: row.lastError,
          createdAt: row.createdAt,
        })),
      };
    },

    async destinations(who) {
      if (!(await admin(who))) return { type: "notAllowed" };
      const rows = await prisma.alertDestination.findMany({ where: { townCode }, orderBy: [{ managedInChat: "asc" }, { code: "asc" }] });
      return {
        type: "ok",
        destinations: rows.map(({ name, channel, districtCodes, roadCommitteeCodes, categoryCodes, escalation, managedInChat }) => ({
          name,
          channel,
          districtCodes,
          roadCommitteeCodes,
          categoryCodes,
          escalation,
          managedInChat,
        })),
      };
    },

    async chatSubscription(chat) {
      const row = await prisma.alertDestination.findFirst({ where: { townCode, channel: chat.channel, address: chat.chatId } });
      return row
        ? { districtCodes: row.districtCodes, roadCommitteeCodes: row.roadCommitteeCodes, managedInChat: row.managedInChat }
        : undefined;
    },

    async subscribeChat(who, chat, area) {
      if (!(await admin(who))) return { type: "notAllowed" };
      const existing = await prisma.alertDestination.findFirst({ where: { townCode, channel: chat.channel, address: chat.chatId } });
      if (existing && !existing.managedInChat) return { type: "managedInFile" };
      const fields = { name: chat.name, districtCodes: area.districtCodes, roadCommitteeCodes: area.roadCommitteeCodes };
      await prisma.alertDestination.upsert({
        where: { townCode_code: { townCode, code: chatDestinationCode(chat) } },
        create: {
          townCode,
          code: chatDestinationCode(chat),
          channel: chat.channel,
          address: chat.chatId,
          categoryCodes: [],
          managedInChat: true,
          ...fields,
        },
        update: fields,
      });
      return { type: "saved" };
    },

    async unsubscribeChat(who, chat) {
      if (!(await admin(who))) return { type: "notAllowed" };
      const existing = await prisma.alertDestination.findFirst({ where: { townCode, channel: chat.channel, address: chat.chatId } });
      if (!existing) return { type: "notSubscribed" };
      if (!existing.managedInChat) return { type: "managedInFile" };
      await prisma.alertDestination.delete({ where: { id: existing.id } });
      return { type: "removed" };
    },

    async retryDeadLetters(who, ids) {
      if (!(await admin(who))) return { type: "notAllowed" };
      return { type: "retried", count: await requeueDeadLetters(db, ids, clock()) };
    },
  };
}

/** Codes of chat-managed destinations cannot clash with the file's, whose codes never contain a colon. */
function chatDestinationCode(chat: Pick<AlertChat, "channel" | "chatId">): string {
  return `chat:${chat.channel}:${chat.chatId}`;
}
