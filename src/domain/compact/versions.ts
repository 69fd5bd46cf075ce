import { empty, prismaSql, sql, type Sql } from "../../db/sql.ts";
import type { ChatUser, Merchant, MerchantAccount, Prisma } from "../../generated/prisma/client.ts";
import type { Bilingual } from "../grid/index.ts";
import { queueOutbox } from "../outbox/queue.ts";
import { compactContentHash, type CompactContent } from "./content.ts";

/*
 * Publishing a compact version, shared by the town-data import and staff in
 * the chat: the version row and one re-acknowledgement notice per bound
 * merchant account are written in the same transaction, so a version never
 * exists without its notices (and a retried import queues none twice).
 */

type Tx = Prisma.TransactionClient;

/** Outbox kind asking a bound merchant account to acknowledge a newly published version. */
export const COMPACT_REACK_KIND = "compact.reack";
/** Outbox kind reminding an account whose shop has still not acknowledged the newest version (day 3 and day 7). */
export const COMPACT_REMINDER_KIND = "compact.reminder";

/** Days after publication on which accounts still behind are reminded, once each. */
export const COMPACT_REMINDER_DAYS = [3, 7] as const;

/**
 * The payload of {@link COMPACT_REACK_KIND} and {@link COMPACT_REMINDER_KIND}
 * rows. It names the shop and the version only: nothing about any resident.
 */
export interface CompactNoticePayload {
  merchantCode: string;
  shop: Bilingual;
  version: number;
  title: Bilingual;
  /** ISO 8601. */
  effectiveFrom: string;
  contentHash: string;
  /** Days since publication for a reminder; null for the first notice. */
  reminderDay: number | null;
  locale: "zh" | "en";
}

export type WriteVersionResult =
  | { type: "published"; versionId: string; version: number; contentHash: string; noticesQueued: number }
  /** A version with exactly this content already exists; nothing was written. */
  | { type: "exists"; version: number; contentHash: string };

/**
 * Creates the next version (highest + 1) unless one with the same content
 * hash exists, and queues a {@link COMPACT_REACK_KIND} row for every bound,
 * reachable merchant account of the town. Callers hold a transaction; the
 * unique (townCode, version) constraint turns a concurrent publication into a
 * failed transaction rather than two versions with one number. The version is
 * Prisma's and the notices are driver SQL's (decision record 0007), so the
 * notices are queued through the same transaction seen as {@link Sql}.
 */
export async function writeCompactVersion(
  tx: Tx,
  input: { townCode: string; content: CompactContent; effectiveFrom: Date; publishedByStaffId: string | null; now: Date },
): Promise<WriteVersionResult> {
  const { townCode, content, now } = input;
  const contentHash = compactContentHash(content);
  const same = await tx.compactVersion.findUnique({
    where: { townCode_contentHash: { townCode, contentHash } },
    select: { version: true },
  });
  if (same) return { type: "exists", version: same.version, contentHash };
  const latest = await tx.compactVersion.findFirst({ where: { townCode }, orderBy: { version: "desc" }, select: { version: true } });
  const created = await tx.compactVersion.create({
    data: {
      townCode,
      version: (latest?.version ?? 0) + 1,
      title: content.title,
      titleEn: content.titleEn,
      clauses: content.clauses.map((c) => ({ ref: c.ref, text: c.text, textEn: c.textEn })),
      contentHash,
      effectiveFrom: input.effectiveFrom,
      publishedByStaffId: input.publishedByStaffId,
      createdAt: now,
    },
  });
  const noticesQueued = await queueCompactNotices(prismaSql(tx), {
    townCode,
    version: {
      id: created.id,
      version: created.version,
      title: { zh: created.title, en: created.titleEn },
      effectiveFrom: created.effectiveFrom,
      contentHash,
    },
    reminderDay: null,
    onlyBehind: false,
    now,
  });
  return { type: "published", versionId: created.id, version: created.version, contentHash, noticesQueued };
}

/**
 * Queues a notice about `version` to bound accounts (not revoked, reachable):
 * all of them, or with `onlyBehind` those whose shop has not acknowledged
 * this version or a later one. Dedupe keys make every (version, account,
 * day) notice go out at most once, however often this runs. Answers how
 * many were queued.
 */
export async function queueCompactNotices(
  db: Sql,
  input: {
    townCode: string;
    version: { id: string; version: number; title: Bilingual; effectiveFrom: Date; contentHash: string };
    reminderDay: number | null;
    onlyBehind: boolean;
    now: Date;
  },
): Promise<number> {
  const { version, now } = input;
  const behind = input.onlyBehind
    ? sql`AND NOT EXISTS (SELECT 1 FROM "CompactAcknowledgement" k JOIN "CompactVersion" v ON v."id" = k."compactVersionId"
        WHERE k."merchantId" = m."id" AND v."version" >= ${version.version})`
    : empty;
  const accounts = await db.query<
    Pick<MerchantAccount, "id"> & Pick<ChatUser, "channel" | "chatId" | "locale"> & Pick<Merchant, "code" | "name" | "nameEn">
  >(
    sql`SELECT a."id", u."channel", u."chatId", u."locale", m."code", m."name", m."nameEn"
     FROM "MerchantAccount" a JOIN "ChatUser" u ON u."id" = a."chatUserId" JOIN "Merchant" m ON m."id" = a."merchantId"
     WHERE a."revokedAt" IS NULL AND u."unreachableAt" IS NULL AND m."townCode" = ${input.townCode} ${behind}`,
  );
  const stage = input.reminderDay === null ? "reack" : `day${input.reminderDay}`;
  const rows = accounts.map((account) => {
    const payload: CompactNoticePayload = {
      merchantCode: account.code,
      shop: { zh: account.name, en: account.nameEn },
      version: version.version,
      title: version.title,
      effectiveFrom: version.effectiveFrom.toISOString(),
      contentHash: version.contentHash,
      reminderDay: input.reminderDay,
      locale: account.locale === "en" ? "en" : "zh",
    };
    return {
      dedupeKey: `compact:${stage}:${version.id}:${account.id}`,
      kind: input.reminderDay === null ? COMPACT_REACK_KIND : COMPACT_REMINDER_KIND,
      channel: account.channel,
      chatId: account.chatId,
      payload,
    };
  });
  return queueOutbox(db, rows, now);
}
