import type { PrismaClient } from "../../src/generated/prisma/client.ts";
import { importTownData } from "../../src/domain/town/import.ts";
import type { ReportDraft } from "../../src/domain/reports/service.ts";
import { readTownFile } from "../../src/towndata/town-file.ts";
import { declining, SAMPLE_TOWN_FILE, type SampleServices, TOWN_TIME_ZONE } from "./town.ts";

/** A chat account as the flows see it: `userId` on `channel`, private chat `chatId`. */
export interface TestAccount {
  channel: "telegram" | "web";
  userId: string;
  chatId: string;
  locale?: "zh" | "en";
}

/**
 * Binds a chat account to a shop the way the merchant binding flow leaves it
 * (that flow belongs to the compact feature and is tested there).
 */
export async function bindShop(
  prisma: PrismaClient,
  merchantCode: string,
  account: TestAccount,
): Promise<{ accountId: string; chatUserId: string; merchantId: string }> {
  const merchant = await prisma.merchant.findUniqueOrThrow({ where: { townCode_code: { townCode: "wujing", code: merchantCode } } });
  const user = await prisma.chatUser.upsert({
    where: { channel_channelUserId: { channel: account.channel, channelUserId: account.userId } },
    create: { channel: account.channel, channelUserId: account.userId, chatId: account.chatId, locale: account.locale ?? "zh" },
    update: {},
  });
  const bound = await prisma.merchantAccount.create({ data: { merchantId: merchant.id, chatUserId: user.id, signerName: "店主" } });
  return { accountId: bound.id, chatUserId: user.id, merchantId: merchant.id };
}

/** Publishes the town's next compact version (after any the town data brought), in force from `effectiveFrom`. */
export async function publishCompact(prisma: PrismaClient, effectiveFrom: Date): Promise<string> {
  const latest = await prisma.compactVersion.findFirst({
    where: { townCode: "wujing" },
    orderBy: { version: "desc" },
    select: { version: true },
  });
  const version = (latest?.version ?? 0) + 1;
  const row = await prisma.compactVersion.create({
    data: {
      townCode: "wujing",
      version,
      title: `永德路街区自治公约 v${version}`,
      titleEn: `Yongde Road compact v${version}`,
      clauses: [],
      contentHash: `hash-${version}-${effectiveFrom.getTime()}`,
      effectiveFrom,
    },
  });
  return row.id;
}

/** Records that the shop's account acknowledged a compact version. */
export async function acknowledgeCompact(
  prisma: PrismaClient,
  bound: { merchantId: string; chatUserId: string },
  versionId: string,
  at: Date,
): Promise<void> {
  const [version, user] = await Promise.all([
    prisma.compactVersion.findUniqueOrThrow({ where: { id: versionId } }),
    prisma.chatUser.findUniqueOrThrow({ where: { id: bound.chatUserId } }),
  ]);
  await prisma.compactAcknowledgement.create({
    data: {
      merchantId: bound.merchantId,
      compactVersionId: versionId,
      contentHash: version.contentHash,
      chatUserId: user.id,
      channel: user.channel,
      channelUserId: user.channelUserId,
      signerName: "店主",
      acknowledgedAt: at,
    },
  });
}

/** Chat ids of the staff groups {@link withStaffGroups} subscribes: Yongde Road's road committee (Chinese) and district 2 (English). */
export const STAFF_GROUPS = { rc1: "-1002000000001", d2: "-1002000000002" } as const;

/** Re-imports the sample town with two staff groups that both hear of reports on Yongde Road. */
export async function withStaffGroups(town: SampleServices): Promise<void> {
  const { data } = await readTownFile(SAMPLE_TOWN_FILE);
  const alertDestinations = [
    {
      code: "rc1-group",
      name: "第一路管会工作群",
      telegramChatId: STAFF_GROUPS.rc1,
      locale: "zh" as const,
      districts: [],
      roadCommittees: ["rc1"],
      categories: [],
    },
    {
      code: "d2-group",
      name: "District 2 staff",
      telegramChatId: STAFF_GROUPS.d2,
      locale: "en" as const,
      districts: ["d2"],
      roadCommittees: [],
      categories: [],
    },
  ];
  await importTownData(town.db.prisma, { ...data, alertDestinations }, "shop-reports-groups", TOWN_TIME_ZONE);
  await town.grid.refreshIfChanged();
}

/**
 * Files reports on Yongde Road naming a shop, each one declining the earlier
 * ones as duplicates so a test can file as many as it needs.
 */
export function reportFiler(town: SampleServices) {
  const filed: string[] = [];
  return async (
    merchantCode: string | undefined,
    reporter: { channel: string; userId: string; chatId: string; displayName?: string; locale: "zh" | "en" },
    overrides: Partial<ReportDraft> = {},
  ): Promise<string> => {
    const draft: ReportDraft = {
      categoryCode: "pavement-trading",
      place: { roadCode: "yongde", houseNumber: 12 },
      description: "门口摆了三张桌子占道经营",
      photoIds: [],
      contactAllowed: true,
      ...(merchantCode ? { merchantCode } : {}),
      ...overrides,
    };
    const result = await town.reports.submit(draft, reporter, declining(filed));
    if (result.type !== "created") throw new Error(`expected a new report, got ${result.type}`);
    filed.push(result.reference);
    return result.reference;
  };
}
