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
export async function recipientsOfShop(prisma: Reader, merchantId: string): Promise<ShopRecipient[]> {
  const accounts = await prisma.merchantAccount.findMany({
    where: { merchantId, revokedAt: null, chatUser: { unreachableAt: null } },
    select: { id: true, chatUser: { select: { id: true, channel: true, chatId: true, locale: true } } },
    orderBy: { boundAt: "asc" },
  });
  return accounts.map((account) => ({
    accountId: account.id,
    chatUserId: account.chatUser.id,
    channel: account.chatUser.channel,
    chatId: account.chatUser.chatId,
    locale: account.chatUser.locale === "en" ? "en" : "zh",
  }));
}
