import { createHash, randomInt } from "node:crypto";
import { prismaSql, sql, type Sql } from "../../db/sql.ts";
import type { ChatUser, Prisma, PrismaClient } from "../../generated/prisma/client.ts";
import { upsertChatUser } from "../chat-users.ts";
import { toCsv } from "../classes/csv.ts";
import type { Bilingual } from "../grid/index.ts";
import { CODE_ALPHABET, normalizeCode, type CaseArea, type StaffIdentity, type StaffRegistry } from "../staff/registry.ts";
import { boundShopsOf } from "./accounts.ts";
import { clausesOf, type ClauseView, type CompactContent } from "./content.ts";
import { compactStandingOf, versionInForce, type CompactStanding } from "./standing.ts";
import { COMPACT_REMINDER_DAYS, queueCompactNotices, writeCompactVersion } from "./versions.ts";
import { localDateTimeOf } from "../time/zone.ts";

/*
 * The street compact's acknowledgement side (issue 6): staff add shops and
 * hand out one-time invitation codes; a merchant redeems one to bind their
 * chat account to the shop and acknowledges the compact; every acknowledgement
 * is an append-only audit record fixed to the version's content hash. Staff
 * see per-road tallies; residents see how many shops on a road signed.
 */

/** A member of staff acting, identified by their chat account. */
export type StaffWho = Pick<StaffIdentity, "channel" | "userId">;
/** The chat account of a merchant. */
export interface MerchantWho {
  channel: string;
  userId: string;
  chatId: string;
  locale: "zh" | "en";
}

/** A published version as readers see it. */
export interface CompactVersionView {
  id: string;
  version: number;
  title: Bilingual;
  clauses: ClauseView[];
  contentHash: string;
  effectiveFrom: Date;
}

/** A shop as staff and merchants see it. */
export interface ShopView {
  merchantId: string;
  code: string;
  name: Bilingual;
  roadCode: string;
  road: Bilingual;
  houseNumber: number | null;
}

/** What an acknowledgement proves: who signed for which shop, which version (by hash), when and where. */
export interface AcknowledgementReceipt {
  shop: ShopView;
  version: number;
  title: Bilingual;
  effectiveFrom: Date;
  contentHash: string;
  signerName: string;
  acknowledgedAt: Date;
  channel: string;
}

export type NotAllowed = { type: "notAllowed" };

export type AddMerchantResult =
  | { type: "added"; shop: ShopView }
  | { type: "unknownRoad" }
  | { type: "invalidName" }
  | { type: "invalidHouseNumber" }
  | NotAllowed;

/** One invitation as created: the code is shown once and then only its hash is kept. */
export interface ShopInvite {
  shop: ShopView;
  code: string;
  expiresAt: Date;
}

export type CreateInvitesResult =
  | { type: "created"; invites: ShopInvite[] }
  | { type: "unknownShop" }
  | { type: "unknownRoad" }
  | { type: "noShops" }
  | NotAllowed;

export type RedeemShopResult = { type: "bound"; shop: ShopView } | { type: "invalid" } | { type: "used" } | { type: "expired" };

export type AcknowledgeResult =
  | { type: "acknowledged"; receipt: AcknowledgementReceipt }
  /** The shop already acknowledged this version; the earlier record stands and nothing is added. */
  | { type: "alreadyAcknowledged"; receipt: AcknowledgementReceipt }
  | { type: "notBound" }
  | { type: "noCompact" }
  | { type: "invalidName" };

export type PublishResult =
  | { type: "published"; version: number; contentHash: string; noticesQueued: number }
  | { type: "unchanged"; version: number; contentHash: string }
  | { type: "invalid" }
  | NotAllowed;

/** A bound shop's standing, for /compact. */
export interface MyShopStanding {
  shop: ShopView;
  standing: CompactStanding;
  /** The shop's latest acknowledgement, if any. */
  lastAcknowledged: { version: number; at: Date; signerName: string } | null;
}

/** A shop on a staff member's per-road list. */
export interface ShopTally extends ShopView {
  standing: CompactStanding;
  signerName: string | null;
  acknowledgedAt: Date | null;
  acknowledgedVersion: number | null;
  /** Accounts bound to the shop and not revoked. */
  accounts: number;
}

export type RoadReportResult =
  | { type: "road"; road: Bilingual; roadCode: string; inForce: number | null; counts: Record<CompactStanding, number>; shops: ShopTally[] }
  | { type: "unknownRoad" }
  | NotAllowed;

export type RoadCsvResult = { type: "csv"; fileName: string; content: Buffer } | { type: "unknownRoad" } | NotAllowed;

/** What residents may see per road: shops that signed the version in force, of all shops. */
export interface PublicRoadCount {
  roadCode: string;
  road: Bilingual;
  signed: number;
  total: number;
}

/** A new shop as staff enter it in the chat. */
export interface NewShop {
  name: string;
  nameEn?: string;
  roadCode: string;
  houseNumber?: number;
  address?: string;
  licenceNumber?: string;
  contactName?: string;
  contactPhone?: string;
}

/**
 * The street-compact service of one town. Staff methods take the acting
 * account first and answer `notAllowed` unless it is an admin or district
 * staff covering the road (StaffRegistry.mayHandle); publishing is for admins.
 * Merchant methods act only for shops the account is bound to.
 */
export interface CompactService {
  /** The version a merchant acknowledges now: the newest published (it also covers the one in force). */
  latestVersion(): Promise<CompactVersionView | undefined>;
  /** The version in force at the clock's now. */
  inForce(): Promise<CompactVersionView | undefined>;
  /** Roads (with shops) the staff member may manage, in name order. */
  roadsFor(staff: StaffWho): Promise<{ code: string; name: Bilingual; shops: number }[]>;
  /** Shops of a road, for picking one. */
  shopsOf(staff: StaffWho, roadCode: string): Promise<ShopView[] | NotAllowed>;
  addMerchant(staff: StaffWho, shop: NewShop): Promise<AddMerchantResult>;
  /** One-time 10-character codes (only hashes kept), for one shop or every shop of a road; valid `validDays` (30). */
  createInvites(staff: StaffWho, target: { merchantCode: string } | { roadCode: string }, validDays?: number): Promise<CreateInvitesResult>;
  /** Binds the account to the invitation's shop; of two people racing for one code exactly one wins. */
  redeem(code: string, who: MerchantWho): Promise<RedeemShopResult>;
  /** Shops the account speaks for, with their standing. */
  myShops(who: Pick<MerchantWho, "channel" | "userId">): Promise<MyShopStanding[]>;
  /** Acknowledges {@link latestVersion} for a bound shop (the first when `merchantCode` is left out). */
  acknowledge(who: Pick<MerchantWho, "channel" | "userId">, signerName: string, merchantCode?: string): Promise<AcknowledgeResult>;
  roadReport(staff: StaffWho, roadCode: string): Promise<RoadReportResult>;
  /** The road report as CSV that opens in Excel (UTF-8 with BOM, CRLF, formula-safe). */
  roadCsv(staff: StaffWho, roadCode: string): Promise<RoadCsvResult>;
  /** Per road with shops: how many signed the version in force, of all. */
  publicCounts(): Promise<PublicRoadCount[]>;
  /** Admins publish a new version (highest + 1); bound accounts are asked to acknowledge it, in the same transaction. */
  publish(staff: StaffWho, content: CompactContent, effectiveFrom: Date): Promise<PublishResult>;
  /**
   * Reminds accounts whose shop has not acknowledged the newest version, 3 and
   * 7 days after its publication, each at most once (dedupe keys).
   * @returns the number of reminders queued by this call
   */
  queueCompactReminders(now?: Date): Promise<number>;
}

/** The longest signer name kept: enough for 店主 欧阳某某 or a manager's title and name. */
export const MAX_SIGNER_NAME = 40;
const INVITE_CODE_LENGTH = 10;
const DEFAULT_INVITE_DAYS = 30;
const DAY_MS = 86_400_000;
const MAX_SHOP_NAME = 60;

/** A signer name as typed, or undefined when it is empty, too long or holds control characters or markup. */
export function validSignerName(input: string): string | undefined {
  const name = input.normalize("NFKC").replace(/\s+/g, " ").trim();
  if (name === "" || [...name].length > MAX_SIGNER_NAME) return undefined;
  if (/[\p{Cc}<>{}[\]\\/@#$%^*=|`~]/u.test(name) || !/[\p{L}]/u.test(name)) return undefined;
  return name;
}

function hashCode(code: string): string {
  return createHash("sha256").update(code).digest("hex");
}

const shopSelect = {
  id: true,
  code: true,
  name: true,
  nameEn: true,
  houseNumber: true,
  road: { select: { code: true, name: true, nameEn: true } },
} as const satisfies Prisma.MerchantSelect;
type ShopRow = Prisma.MerchantGetPayload<{ select: typeof shopSelect }>;

const shopView = (m: ShopRow): ShopView => ({
  merchantId: m.id,
  code: m.code,
  name: { zh: m.name, en: m.nameEn },
  roadCode: m.road.code,
  road: { zh: m.road.name, en: m.road.nameEn },
  houseNumber: m.houseNumber,
});

/** Creates the compact service of one town; `timeZone` is the zone CSV times are written in; `onShopAdded` hears of every shop staff add in chat. */
export function createCompactService(deps: {
  prisma: PrismaClient;
  /** The database through its driver, for the tables decision record 0007 puts on SQL (chat accounts, the outbox). */
  sql: Sql;
  townCode: string;
  staff: StaffRegistry;
  clock?: () => Date;
  timeZone: string;
  onShopAdded?: () => void;
}): CompactService {
  const { prisma, sql: db, townCode, staff: registry } = deps;
  const clock = deps.clock ?? (() => new Date());

  const versionView = (v: {
    id: string;
    version: number;
    title: string;
    titleEn: string;
    clauses: unknown;
    contentHash: string;
    effectiveFrom: Date;
  }): CompactVersionView => ({
    id: v.id,
    version: v.version,
    title: { zh: v.title, en: v.titleEn },
    clauses: clausesOf(v.clauses).map((c) => ({ ref: c.ref, text: { zh: c.text, en: c.textEn } })),
    contentHash: v.contentHash,
    effectiveFrom: v.effectiveFrom,
  });

  const latest = () => prisma.compactVersion.findFirst({ where: { townCode }, orderBy: { version: "desc" } });

  /** The area of a road, for StaffRegistry.mayHandle: the districts of its segments and its road committee. */
  const roadArea = async (roadCode: string): Promise<{ id: string; name: Bilingual; area: CaseArea } | undefined> => {
    const road = await prisma.road.findUnique({
      where: { townCode_code: { townCode, code: roadCode } },
      select: {
        id: true,
        name: true,
        nameEn: true,
        roadCommittee: { select: { code: true } },
        segments: { select: { district: { select: { code: true } } } },
      },
    });
    if (!road) return undefined;
    return {
      id: road.id,
      name: { zh: road.name, en: road.nameEn },
      area: { districtCodes: [...new Set(road.segments.map((s) => s.district.code))], roadCommitteeCode: road.roadCommittee.code },
    };
  };

  /** The road if it exists and the staff member covers it; `notAllowed` is checked first so strangers learn nothing. */
  const coveredRoad = async (who: StaffWho, roadCode: string): Promise<Awaited<ReturnType<typeof roadArea>> | NotAllowed> => {
    const member = await registry.find(who);
    if (member?.role !== "ADMIN" && member?.role !== "DISTRICT_STAFF") return { type: "notAllowed" };
    const road = await roadArea(roadCode);
    if (!road) return undefined;
    return (await registry.mayHandle(who, road.area)) ? road : { type: "notAllowed" };
  };

  const receiptOf = (
    ack: {
      signerName: string;
      acknowledgedAt: Date;
      channel: string;
      contentHash: string;
      version: { version: number; title: string; titleEn: string; effectiveFrom: Date };
    },
    shop: ShopView,
  ): AcknowledgementReceipt => ({
    shop,
    version: ack.version.version,
    title: { zh: ack.version.title, en: ack.version.titleEn },
    effectiveFrom: ack.version.effectiveFrom,
    contentHash: ack.contentHash,
    signerName: ack.signerName,
    acknowledgedAt: ack.acknowledgedAt,
    channel: ack.channel,
  });

  const newCode = () => Array.from({ length: INVITE_CODE_LENGTH }, () => CODE_ALPHABET[randomInt(CODE_ALPHABET.length)]).join("");

  return {
    async latestVersion() {
      const v = await latest();
      return v ? versionView(v) : undefined;
    },

    async inForce() {
      const current = await versionInForce(db, townCode, clock());
      if (!current) return undefined;
      return versionView(await prisma.compactVersion.findUniqueOrThrow({ where: { id: current.id } }));
    },

    async roadsFor(who) {
      const member = await registry.find(who);
      if (member?.role !== "ADMIN" && member?.role !== "DISTRICT_STAFF") return [];
      const roads = await prisma.road.findMany({
        where: { townCode, merchants: { some: {} } },
        select: { code: true, name: true, nameEn: true, _count: { select: { merchants: true } } },
        orderBy: { code: "asc" },
      });
      const allowed: { code: string; name: Bilingual; shops: number }[] = [];
      for (const road of roads) {
        const area = await roadArea(road.code);
        if (area && (await registry.mayHandle(who, area.area)))
          allowed.push({ code: road.code, name: { zh: road.name, en: road.nameEn }, shops: road._count.merchants });
      }
      return allowed;
    },

    async shopsOf(who, roadCode) {
      const road = await coveredRoad(who, roadCode);
      if (!road) return [];
      if ("type" in road) return road;
      const shops = await prisma.merchant.findMany({
        where: { townCode, roadId: road.id },
        select: shopSelect,
        orderBy: [{ houseNumber: "asc" }, { code: "asc" }],
      });
      return shops.map(shopView);
    },

    async addMerchant(who, input) {
      const road = await coveredRoad(who, input.roadCode);
      if (!road) return { type: "unknownRoad" };
      if ("type" in road) return road;
      const name = input.name.trim();
      if (name === "" || [...name].length > MAX_SHOP_NAME) return { type: "invalidName" };
      if (
        input.houseNumber !== undefined &&
        !(Number.isInteger(input.houseNumber) && input.houseNumber >= 1 && input.houseNumber <= 99_999)
      )
        return { type: "invalidHouseNumber" };
      const optional = (value: string | undefined) => (value?.trim() ? value.trim() : null);
      // Chat-added shops get codes the town-data file is unlikely to use, and imports leave them alone.
      for (;;) {
        const code = `${input.roadCode}-${Array.from({ length: 5 }, () => CODE_ALPHABET[randomInt(CODE_ALPHABET.length)])
          .join("")
          .toLowerCase()}`;
        if (await prisma.merchant.findUnique({ where: { townCode_code: { townCode, code } }, select: { id: true } })) continue;
        const created = await prisma.merchant.create({
          data: {
            townCode,
            code,
            name,
            nameEn: input.nameEn?.trim() || name,
            roadId: road.id,
            houseNumber: input.houseNumber ?? null,
            address: optional(input.address),
            licenceNumber: optional(input.licenceNumber),
            contactName: optional(input.contactName),
            contactPhone: optional(input.contactPhone),
            managedInChat: true,
          },
          select: shopSelect,
        });
        // The report flow's shop picker keeps the town's shops in memory (see ShopsCache).
        deps.onShopAdded?.();
        return { type: "added", shop: shopView(created) };
      }
    },

    async createInvites(who, target, validDays = DEFAULT_INVITE_DAYS) {
      const member = await registry.find(who);
      if (member?.role !== "ADMIN" && member?.role !== "DISTRICT_STAFF") return { type: "notAllowed" };
      let shops: ShopRow[];
      if ("merchantCode" in target) {
        const shop = await prisma.merchant.findUnique({
          where: { townCode_code: { townCode, code: target.merchantCode } },
          select: shopSelect,
        });
        if (!shop) return { type: "unknownShop" };
        shops = [shop];
      } else {
        const road = await roadArea(target.roadCode);
        if (!road) return { type: "unknownRoad" };
        shops = await prisma.merchant.findMany({
          where: { townCode, roadId: road.id },
          select: shopSelect,
          orderBy: [{ houseNumber: "asc" }, { code: "asc" }],
        });
        if (shops.length === 0) return { type: "noShops" };
      }
      const road = await roadArea(shops[0]!.road.code);
      if (!road || !(await registry.mayHandle(who, road.area))) return { type: "notAllowed" };
      const now = clock();
      const expiresAt = new Date(now.getTime() + validDays * DAY_MS);
      const invites = shops.map((shop) => ({ shop: shopView(shop), code: newCode(), expiresAt }));
      await prisma.merchantInvite.createMany({
        data: invites.map((invite) => ({
          merchantId: invite.shop.merchantId,
          codeHash: hashCode(invite.code),
          createdByStaffId: member.staffId,
          expiresAt,
          createdAt: now,
        })),
      });
      return { type: "created", invites };
    },

    async redeem(code, who) {
      return prisma.$transaction(async (tx): Promise<RedeemShopResult> => {
        const invite = await tx.merchantInvite.findUnique({
          where: { codeHash: hashCode(normalizeCode(code)) },
          include: { merchant: { select: { ...shopSelect, townCode: true } } },
        });
        if (!invite || invite.merchant.townCode !== townCode) return { type: "invalid" };
        if (invite.redeemedAt) return { type: "used" };
        const now = clock();
        if (invite.expiresAt.getTime() <= now.getTime()) return { type: "expired" };
        // The invitation and the binding are Prisma's, the chat account is SQL's: one transaction holds both.
        const user = await upsertChatUser(prismaSql(tx), who, now);
        // Claiming conditionally is what makes the race safe: the loser's update matches no row.
        const claimed = await tx.merchantInvite.updateMany({
          where: { id: invite.id, redeemedAt: null },
          data: { redeemedAt: now, redeemedByChatUserId: user.id },
        });
        if (claimed.count === 0) return { type: "used" };
        await tx.merchantAccount.upsert({
          where: { merchantId_chatUserId: { merchantId: invite.merchantId, chatUserId: user.id } },
          create: { merchantId: invite.merchantId, chatUserId: user.id, boundAt: now },
          update: { revokedAt: null },
        });
        return { type: "bound", shop: shopView(invite.merchant) };
      });
    },

    async myShops(who) {
      const bound = await boundShopsOf(db, townCode, who);
      if (bound.length === 0) return [];
      const ids = bound.map((b) => b.merchantId);
      const [standing, shops, acks] = await Promise.all([
        compactStandingOf(db, townCode, ids, clock()),
        prisma.merchant.findMany({ where: { id: { in: ids } }, select: shopSelect }),
        prisma.compactAcknowledgement.findMany({
          where: { merchantId: { in: ids } },
          orderBy: { acknowledgedAt: "desc" },
          select: { merchantId: true, acknowledgedAt: true, signerName: true, version: { select: { version: true } } },
        }),
      ]);
      const byId = new Map(shops.map((s) => [s.id, s]));
      return bound.map((b) => {
        const last = acks.find((a) => a.merchantId === b.merchantId);
        return {
          shop: shopView(byId.get(b.merchantId)!),
          standing: standing.get(b.merchantId) ?? "none",
          lastAcknowledged: last ? { version: last.version.version, at: last.acknowledgedAt, signerName: last.signerName } : null,
        };
      });
    },

    async acknowledge(who, signerName, merchantCode) {
      const name = validSignerName(signerName);
      if (!name) return { type: "invalidName" };
      const bound = (await boundShopsOf(db, townCode, who)).find((b) => merchantCode === undefined || b.code === merchantCode);
      if (!bound) return { type: "notBound" };
      const version = await latest();
      if (!version) return { type: "noCompact" };
      return prisma.$transaction(async (tx): Promise<AcknowledgeResult> => {
        // The shop's row lock serialises acknowledgements of one shop, so a double tap adds one record, not two.
        // The chat account that signs is SQL's table (decision record 0007), read with the lock.
        const [signer] = await prismaSql(tx).query<Pick<ChatUser, "channel" | "channelUserId">>(
          sql`SELECT u."channel", u."channelUserId"
            FROM "Merchant" m JOIN "MerchantAccount" a ON a."merchantId" = m."id" JOIN "ChatUser" u ON u."id" = a."chatUserId"
            WHERE m."id" = ${bound.merchantId} AND a."id" = ${bound.accountId} FOR UPDATE OF m`,
        );
        const account = await tx.merchantAccount.findUniqueOrThrow({
          where: { id: bound.accountId },
          select: { id: true, chatUserId: true, merchant: { select: shopSelect } },
        });
        const shop = shopView(account.merchant);
        const earlier = await tx.compactAcknowledgement.findFirst({
          where: { merchantId: bound.merchantId, compactVersionId: version.id },
          include: { version: true },
          orderBy: { acknowledgedAt: "asc" },
        });
        if (earlier) return { type: "alreadyAcknowledged", receipt: receiptOf(earlier, shop) };
        const now = clock();
        const created = await tx.compactAcknowledgement.create({
          data: {
            merchantId: bound.merchantId,
            compactVersionId: version.id,
            contentHash: version.contentHash,
            chatUserId: account.chatUserId,
            channel: signer!.channel,
            channelUserId: signer!.channelUserId,
            signerName: name,
            acknowledgedAt: now,
          },
          include: { version: true },
        });
        await tx.merchantAccount.update({ where: { id: account.id }, data: { signerName: name } });
        return { type: "acknowledged", receipt: receiptOf(created, shop) };
      });
    },

    async roadReport(who, roadCode) {
      const road = await coveredRoad(who, roadCode);
      if (!road) return { type: "unknownRoad" };
      if ("type" in road) return road;
      const now = clock();
      const shops = await prisma.merchant.findMany({
        where: { townCode, roadId: road.id },
        select: {
          ...shopSelect,
          _count: { select: { accounts: { where: { revokedAt: null } } } },
          acknowledgements: {
            orderBy: { acknowledgedAt: "desc" },
            take: 1,
            select: { signerName: true, acknowledgedAt: true, version: { select: { version: true } } },
          },
        },
        orderBy: [{ houseNumber: "asc" }, { code: "asc" }],
      });
      const standing = await compactStandingOf(
        db,
        townCode,
        shops.map((s) => s.id),
        now,
      );
      const counts: Record<CompactStanding, number> = { current: 0, outdated: 0, none: 0 };
      const tallies = shops.map((s): ShopTally => {
        const st = standing.get(s.id) ?? "none";
        counts[st]++;
        const last = s.acknowledgements[0];
        return {
          ...shopView(s),
          standing: st,
          signerName: last?.signerName ?? null,
          acknowledgedAt: last?.acknowledgedAt ?? null,
          acknowledgedVersion: last?.version.version ?? null,
          accounts: s._count.accounts,
        };
      });
      const inForce = await versionInForce(db, townCode, now);
      return { type: "road", road: road.name, roadCode, inForce: inForce?.version ?? null, counts, shops: tallies };
    },

    async roadCsv(who, roadCode) {
      const report = await this.roadReport(who, roadCode);
      if (report.type !== "road") return report;
      const label: Record<CompactStanding, string> = {
        current: "已签署现行版本 Current",
        outdated: "签署的是旧版本 Outdated",
        none: "未签署 Not yet",
      };
      const rows = [
        [
          "商户代码 Code",
          "商户 Shop",
          "门牌号 No.",
          "状态 Standing",
          "签署版本 Version",
          "签署人 Signer",
          "签署时间 Signed at",
          "绑定账号 Accounts",
        ],
        ...report.shops.map((s) => [
          s.code,
          s.name.zh,
          s.houseNumber === null ? "" : String(s.houseNumber),
          label[s.standing],
          s.acknowledgedVersion === null ? "" : String(s.acknowledgedVersion),
          s.signerName ?? "",
          s.acknowledgedAt ? localDateTimeOf(s.acknowledgedAt, deps.timeZone) : "",
          String(s.accounts),
        ]),
      ];
      return { type: "csv", fileName: `${roadCode}-compact.csv`, content: toCsv(rows) };
    },

    async publicCounts() {
      const shops = await prisma.merchant.findMany({
        where: { townCode },
        select: { id: true, road: { select: { code: true, name: true, nameEn: true } } },
        orderBy: { road: { code: "asc" } },
      });
      const standing = await compactStandingOf(
        db,
        townCode,
        shops.map((s) => s.id),
        clock(),
      );
      const byRoad = new Map<string, PublicRoadCount>();
      for (const shop of shops) {
        const entry = byRoad.get(shop.road.code) ?? {
          roadCode: shop.road.code,
          road: { zh: shop.road.name, en: shop.road.nameEn },
          signed: 0,
          total: 0,
        };
        entry.total++;
        if (standing.get(shop.id) === "current") entry.signed++;
        byRoad.set(shop.road.code, entry);
      }
      return [...byRoad.values()];
    },

    async publish(who, content, effectiveFrom) {
      const member = await registry.find(who);
      if (member?.role !== "ADMIN") return { type: "notAllowed" };
      if (
        content.title.trim() === "" ||
        content.titleEn.trim() === "" ||
        content.clauses.length === 0 ||
        content.clauses.some((c) => !c.ref.trim() || !c.text.trim() || !c.textEn.trim())
      )
        return { type: "invalid" };
      if (Number.isNaN(effectiveFrom.getTime())) return { type: "invalid" };
      const written = await prisma.$transaction((tx) =>
        writeCompactVersion(tx, { townCode, content, effectiveFrom, publishedByStaffId: member.staffId, now: clock() }),
      );
      return written.type === "exists"
        ? { type: "unchanged", version: written.version, contentHash: written.contentHash }
        : { type: "published", version: written.version, contentHash: written.contentHash, noticesQueued: written.noticesQueued };
    },

    async queueCompactReminders(now = clock()) {
      const newest = await latest();
      if (!newest) return 0;
      const age = now.getTime() - newest.createdAt.getTime();
      // Only the latest day that has come: a scheduler that was down on day 3 sends one reminder, not two.
      const day = [...COMPACT_REMINDER_DAYS].reverse().find((d) => age >= d * DAY_MS);
      if (day === undefined) return 0;
      return queueCompactNotices(db, {
        townCode,
        version: {
          id: newest.id,
          version: newest.version,
          title: { zh: newest.title, en: newest.titleEn },
          effectiveFrom: newest.effectiveFrom,
          contentHash: newest.contentHash,
        },
        reminderDay: day,
        onlyBehind: true,
        now,
      });
    },
  };
}
