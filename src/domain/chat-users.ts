import { randomUUID } from "node:crypto";
import { sql, type Sql, type Statement } from "../db/sql.ts";
import type { ChatUser } from "../generated/prisma/client.ts";
import type { ChatIdentity } from "./reports/service.ts";

/** What the services that record a resident's action need of their chat account. */
export type ChatUserRow = Pick<ChatUser, "id" | "channel" | "chatId" | "locale" | "blockedAt">;

/**
 * Creates or refreshes the chat account behind `user` in one statement, on the
 * `(channel, channelUserId)` key, and returns it. Writing to the bot again
 * proves the chat reachable, so `unreachableAt` is cleared; a display name is
 * only replaced by a non-empty one. The id is a UUID as Prisma's
 * `@default(uuid())` makes, and `now` (the caller's clock) is the creation time
 * of a new account, so nothing depends on the server's clock or time zone.
 * Run it inside the caller's transaction, whose `tx` it takes.
 */
export async function upsertChatUser(tx: Sql, user: ChatIdentity, now: Date): Promise<ChatUserRow> {
  const [row] = await tx.query<ChatUserRow>(chatUserUpsert(user, now));
  return row!;
}

/**
 * The statement of {@link upsertChatUser}, for a caller that reads what belongs
 * to the account in the same statement (`WITH "user" AS (…) SELECT … FROM
 * "user" …`): one round trip instead of two. It returns the columns of
 * {@link ChatUserRow}.
 */
export function chatUserUpsert(user: ChatIdentity, now: Date): Statement {
  return sql`INSERT INTO "ChatUser" ("id", "channel", "channelUserId", "chatId", "displayName", "locale", "createdAt")
     VALUES (${randomUUID()}, ${user.channel}, ${user.userId}, ${user.chatId}, ${user.displayName ?? null}, ${user.locale}, ${now})
     ON CONFLICT ("channel", "channelUserId") DO UPDATE SET
       "chatId" = EXCLUDED."chatId",
       "locale" = EXCLUDED."locale",
       "unreachableAt" = NULL,
       "displayName" = COALESCE(NULLIF(EXCLUDED."displayName", ''), "ChatUser"."displayName")
     RETURNING "id", "channel", "chatId", "locale", "blockedAt"`;
}

/**
 * Marks the account(s) behind one chat as unreachable from `at` on, when a
 * channel said the chat can never be reached again (the resident blocked the
 * bot): senders of later messages can then skip it. An account already marked
 * keeps the time it was first found unreachable; writing to the bot again
 * clears the mark ({@link chatUserUpsert}).
 */
export async function markChatUnreachable(db: Sql, chat: Pick<ChatUser, "channel" | "chatId">, at: Date): Promise<void> {
  await db.query(sql`UPDATE "ChatUser" SET "unreachableAt" = ${at}
     WHERE "channel" = ${chat.channel} AND "chatId" = ${chat.chatId} AND "unreachableAt" IS NULL`);
}

/**
 * Blocks an account from `at` on: its later reports are kept but reach no
 * committee. `reason` says why and who decided, so another member of staff
 * can ask them.
 */
export async function blockChatUser(db: Sql, userId: string, at: Date, reason: string): Promise<void> {
  await db.query(sql`UPDATE "ChatUser" SET "blockedAt" = ${at}, "blockedReason" = ${reason} WHERE "id" = ${userId}`);
}
