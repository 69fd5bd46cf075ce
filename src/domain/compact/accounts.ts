import type { Sql } from "../../db/sql.ts";
import type { PrismaClient } from "../../generated/prisma/client.ts";
import type { Bilingual } from "../grid/index.ts";

type Reader = Pick<PrismaClient, "merchantAccount">;

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
export async function boundShopsOf(prisma: Reader, townCode: string, who: { channel: string; userId: string }): Promise<BoundShop[]> {
  const accounts = await prisma.merchantAccount.findMany({
    where: { revokedAt: null, chatUser: { channel: who.channel, channelUserId: who.userId }, merchant: { townCode } },
    select: { id: true, merchant: { select: { id: true, code: true, name: true, nameEn: true } } },
    orderBy: { boundAt: "asc" },
  });
  return accounts.map((account) => ({
    accountId: account.id,
    merchantId: account.merchant.id,
    code: account.merchant.code,
    name: { zh: account.merchant.name, en: account.merchant.nameEn },
  }));
}

/** The accounts that receive a shop's notices; an account whose user cannot be reached any more is left out. */
export async function recipientsOfShop(db: Sql, merchantId: string): Promise<ShopRecipient[]> {
  const rows = await db.query<Omit<ShopRecipient, "locale"> & { locale: string }>(
    `SELECT a."id" AS "accountId", u."id" AS "chatUserId", u."channel", u."chatId", u."locale"
     FROM "MerchantAccount" a JOIN "ChatUser" u ON u."id" = a."chatUserId"
     WHERE a."merchantId" = $1 AND a."revokedAt" IS NULL AND u."unreachableAt" IS NULL
     ORDER BY a."boundAt"`,
    [merchantId],
  );
  return rows.map((row) => ({ ...row, locale: row.locale === "en" ? "en" : "zh" }));
}
