import { sql, type Sql } from "../../db/sql.ts";
import type { ChatUser, Merchant, MerchantAccount } from "../../generated/prisma/client.ts";
import type { Bilingual } from "../grid/index.ts";

/** A shop a chat account speaks for. */
export interface BoundShop {
  accountId: string;
  merchantId: string;
  code: string;
  name: Bilingual;
}

/** Where a shop's messages go: each chat account bound to it and not revoked. */
export interface ShopRecipient {
  accountId: string;
  chatUserId: string;
  channel: string;
  chatId: string;
  locale: "zh" | "en";
}

/**
 * The shops a chat account is bound to (usually one; a chain owner may hold
 * several), in the town. Every merchant-only action starts here, so an account
 * whose binding was revoked can no longer act for the shop.
 */
export async function boundShopsOf(db: Sql, townCode: string, who: { channel: string; userId: string }): Promise<BoundShop[]> {
  const accounts = await db.query<
    { accountId: MerchantAccount["id"]; merchantId: Merchant["id"] } & Pick<Merchant, "code" | "name" | "nameEn">
  >(
    sql`SELECT a."id" AS "accountId", m."id" AS "merchantId", m."code", m."name", m."nameEn"
     FROM "MerchantAccount" a JOIN "ChatUser" u ON u."id" = a."chatUserId" JOIN "Merchant" m ON m."id" = a."merchantId"
     WHERE a."revokedAt" IS NULL AND u."channel" = ${who.channel} AND u."channelUserId" = ${who.userId} AND m."townCode" = ${townCode}
     ORDER BY a."boundAt"`,
  );
  return accounts.map((account) => ({
    accountId: account.accountId,
    merchantId: account.merchantId,
    code: account.code,
    name: { zh: account.name, en: account.nameEn },
  }));
}

/** The accounts that receive a shop's notices; an account whose user cannot be reached any more is left out. */
export async function recipientsOfShop(db: Sql, merchantId: string): Promise<ShopRecipient[]> {
  const rows = await db.query<
    { accountId: MerchantAccount["id"]; chatUserId: ChatUser["id"] } & Pick<ChatUser, "channel" | "chatId" | "locale">
  >(
    sql`SELECT a."id" AS "accountId", u."id" AS "chatUserId", u."channel", u."chatId", u."locale"
     FROM "MerchantAccount" a JOIN "ChatUser" u ON u."id" = a."chatUserId"
     WHERE a."merchantId" = ${merchantId} AND a."revokedAt" IS NULL AND u."unreachableAt" IS NULL
     ORDER BY a."boundAt"`,
  );
  return rows.map((row) => ({ ...row, locale: row.locale === "en" ? "en" : "zh" }));
}
