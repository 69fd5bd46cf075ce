import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseCsv } from "../../support/csv.ts";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { renderOutboxRow } from "../../../src/bot/notify/render.ts";
import type { Database } from "../../../src/db/database.ts";
import { createCompactService, type CompactService, type MerchantWho } from "../../../src/domain/compact/compact.ts";
import { compactContentHash, parseChineseClauses, type CompactContent } from "../../../src/domain/compact/content.ts";
import { AcknowledgedShopError } from "../../../src/domain/town/compact.ts";
import { compactStandingOf } from "../../../src/domain/compact/standing.ts";
import { COMPACT_REACK_KIND, COMPACT_REMINDER_KIND } from "../../../src/domain/compact/versions.ts";
import { importTownData } from "../../../src/domain/town/import.ts";
import type { TownData } from "../../../src/domain/town/town-data.ts";
import { createStaffRegistry, type StaffGrant } from "../../../src/domain/staff/registry.ts";
import { databaseWebSessions } from "../../../src/domain/staff/web-session-table.ts";
import { readTownFile, TownDataError } from "../../../src/towndata/town-file.ts";
import { DATABASE_KINDS } from "../../support/databases.ts";
import { openSampleTown, SAMPLE_TOWN_FILE, TOWN_TIME_ZONE } from "../../support/town.ts";

const ADMIN = { channel: "telegram", userId: "admin-1" };
const YONGDE_STAFF = { channel: "telegram", userId: "d2-clerk" };
const FAR_STAFF = { channel: "telegram", userId: "rc7-clerk" };
const DAY = 86_400_000;

const merchant = (n: number | string, locale: "zh" | "en" = "zh"): MerchantWho => ({
  channel: "web",
  userId: `shopkeeper-${n}`,
  chatId: `shopkeeper-${n}`,
  locale,
});

describe("compact content", () => {
  it("the same title and clauses always give the same hash, whatever the key order; one changed character gives another", () => {
    const content: CompactContent = {
      title: "公约",
      titleEn: "Compact",
      clauses: [{ ref: "第一条", text: "店内经营。", textEn: "Trade inside." }],
    };
    const reordered = JSON.parse(
      '{"clauses":[{"textEn":"Trade inside.","text":"店内经营。","ref":"第一条"}],"titleEn":"Compact","title":"公约"}',
    ) as CompactContent;
    expect(compactContentHash(reordered)).toBe(compactContentHash(content));
    expect(compactContentHash(content)).toMatch(/^[0-9a-f]{64}$/);
    expect(compactContentHash({ ...content, clauses: [{ ...content.clauses[0]!, text: "店内经营！" }] })).not.toBe(
      compactContentHash(content),
    );
  });

  it("typed Chinese clauses need their number at the start of every line, and the line at fault is named", () => {
    expect(parseChineseClauses("第一条 店内经营\n第二条：不乱堆")).toEqual({
      type: "ok",
      clauses: [
        { ref: "第一条", text: "店内经营" },
        { ref: "第二条", text: "不乱堆" },
      ],
    });
    expect(parseChineseClauses("第一条 店内经营\n不乱堆")).toEqual({ type: "badLine", line: 2 });
    expect(parseChineseClauses("  \n")).toEqual({ type: "empty" });
  });
});

describe("the compact section of the town data", () => {
  const writeSample = async (edit: (text: string) => string) => {
    const file = path.join(await mkdtemp(path.join(tmpdir(), "linli-compact-")), "town.yaml");
    await writeFile(file, edit(await readFile(SAMPLE_TOWN_FILE, "utf8")));
    return file;
  };
  const problems = async (file: string) => {
    const error = await readTownFile(file).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TownDataError);
    return (error as TownDataError).message;
  };

  it("a bad effective date, a duplicate clause number and a category quoting a clause the compact lacks are each named by file, line and field", async () => {
    const file = await writeSample((text) =>
      text
        .replace("  effectiveFrom: 2026-01-01", "  effectiveFrom: 2026-02-30")
        .replace("    - ref: 第三条\n      text: 货物", "    - ref: 第二条\n      text: 货物"),
    );
    const message = await problems(file);
    expect(message).toMatch(
      new RegExp(`${file.replaceAll(/[.*+?^${}()|[\]\\]/g, "\\$&")}:\\d+:\\d+ compact\\.effectiveFrom: 日期须写成 YYYY-MM-DD`),
    );
    expect(message).toMatch(/:\d+:\d+ compact\.clauses\[2\]\.ref: 条款编号“第二条”重复/);
    expect(message).toMatch(/:\d+:\d+ categories\[1\]\.clause\.ref: 公约 compact\.clauses 中没有条款“第三条”/);
  });

  it("a merchant's optional licence number is checked and named", async () => {
    const file = await writeSample((text) => text.replace("houseNumber: 12 }", "houseNumber: 12, licenceNumber: '=1+1' }"));
    expect(await problems(file)).toMatch(/:\d+:\d+ merchants\[0\]\.licenceNumber: 营业执照号/);
  });
});

describe.each(DATABASE_KINDS)("the street compact on %s", (kind) => {
  let db: Database;
  let data: TownData;
  let compact: CompactService;
  let now = new Date("2026-11-26T02:00:00Z");
  let importCount = 0;

  const reimport = (changed: TownData) => importTownData(db.prisma, changed, `edited-${++importCount}`, TOWN_TIME_ZONE);
  const withClauseText = (text: string): TownData => ({
    ...data,
    compact: { ...data.compact!, clauses: data.compact!.clauses.map((c, i) => (i === 0 ? { ...c, text } : c)) },
  });

  async function bindStaff(who: { channel: string; userId: string }, grant: StaffGrant) {
    const registry = createStaffRegistry({ prisma: db.prisma, sql: db.sql, townCode: "wujing", webSessions: databaseWebSessions(db.sql) });
    const invite = await registry.invite("bootstrap", grant);
    if (invite.type !== "created") throw new Error(invite.type);
    await registry.redeem(invite.code, { ...who, chatId: who.userId, locale: "zh" });
  }

  /** Binds a merchant account to a shop through a real invitation. */
  async function bindShop(who: MerchantWho, merchantCode: string) {
    const created = await compact.createInvites(ADMIN, { merchantCode });
    if (created.type !== "created") throw new Error(created.type);
    const bound = await compact.redeem(created.invites[0]!.code, who);
    expect(bound.type).toBe("bound");
  }

  beforeAll(async () => {
    ({ db } = await openSampleTown(kind));
    ({ data } = await readTownFile(SAMPLE_TOWN_FILE));
    await bindStaff(ADMIN, { role: "ADMIN", label: "镇管理员", districtCodes: [], roadCommitteeCodes: [] });
    await bindStaff(YONGDE_STAFF, { role: "DISTRICT_STAFF", label: "第二片区网格员", districtCodes: ["d2"], roadCommitteeCodes: [] });
    await bindStaff(FAR_STAFF, { role: "DISTRICT_STAFF", label: "第七路管会", districtCodes: [], roadCommitteeCodes: ["rc7"] });
    const staff = createStaffRegistry({ prisma: db.prisma, sql: db.sql, townCode: "wujing", webSessions: databaseWebSessions(db.sql) });
    compact = createCompactService({
      prisma: db.prisma,
      sql: db.sql,
      townCode: "wujing",
      timeZone: TOWN_TIME_ZONE,
      staff,
      clock: () => now,
    });
  });
  afterAll(async () => {
    await db.close();
  });
  beforeEach(async () => {
    await db.prisma.outboxMessage.deleteMany();
  });

  it("the sample's compact is version 1, and importing the same compact again in a changed file adds no version", async () => {
    const first = await db.prisma.compactVersion.findMany();
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({
      version: 1,
      title: "永德路街区自治公约（示例）",
      publishedByStaffId: null,
      effectiveFrom: new Date("2025-12-31T16:00:00Z"),
    });
    expect(first[0]!.contentHash).toBe(
      compactContentHash({ title: data.compact!.title, titleEn: data.compact!.titleEn, clauses: data.compact!.clauses }),
    );
    const result = await reimport({ ...data, holidays: [...data.holidays, "2026-12-24"] });
    expect(result).toMatchObject({ status: "imported", compact: { version: 1, published: false } });
    expect(await db.prisma.compactVersion.count()).toBe(1);
  });

  it("invitation codes bind once: a valid code binds, the same code again is used, a code past its 30 days is expired, a made-up one is invalid", async () => {
    const created = await compact.createInvites(YONGDE_STAFF, { merchantCode: "yd-fruit" });
    if (created.type !== "created") throw new Error(created.type);
    const { code, expiresAt } = created.invites[0]!;
    expect(code).toMatch(/^[A-HJKMNP-Z2-9]{10}$/);
    expect(expiresAt.getTime() - now.getTime()).toBe(30 * DAY);
    expect(await db.prisma.merchantInvite.count({ where: { codeHash: code } })).toBe(0);

    expect(await compact.redeem(code.toLowerCase().replace(/(.{5})/, "$1-"), merchant("fruit"))).toMatchObject({
      type: "bound",
      shop: { code: "yd-fruit", name: { zh: "永德路示例水果店" } },
    });
    expect(await compact.redeem(code, merchant("someone-else"))).toEqual({ type: "used" });
    expect(await compact.redeem("ABCDEFGHJK", merchant("forger"))).toEqual({ type: "invalid" });

    const old = await compact.createInvites(ADMIN, { merchantCode: "yd-fruit" });
    if (old.type !== "created") throw new Error(old.type);
    now = new Date(now.getTime() + 30 * DAY);
    try {
      expect(await compact.redeem(old.invites[0]!.code, merchant("late"))).toEqual({ type: "expired" });
    } finally {
      now = new Date(now.getTime() - 30 * DAY);
    }
    expect(await db.prisma.merchantAccount.count({ where: { merchant: { code: "yd-fruit" } } })).toBe(1);
  });

  it("of two people racing for one code exactly one is bound", async () => {
    const created = await compact.createInvites(ADMIN, { merchantCode: "yd-bakery" });
    if (created.type !== "created") throw new Error(created.type);
    const code = created.invites[0]!.code;
    const results = await Promise.all([compact.redeem(code, merchant("racer-a")), compact.redeem(code, merchant("racer-b"))]);
    expect(results.map((r) => r.type).sort()).toEqual(["bound", "used"]);
    expect(await db.prisma.merchantAccount.count({ where: { merchant: { code: "yd-bakery" } } })).toBe(1);
  });

  it("only staff covering the road may add shops and invite; a shop added in the chat survives the next import", async () => {
    expect(await compact.createInvites(FAR_STAFF, { roadCode: "yongde" })).toEqual({ type: "notAllowed" });
    expect(await compact.addMerchant(FAR_STAFF, { name: "永德路新店", roadCode: "yongde" })).toEqual({ type: "notAllowed" });
    expect(await compact.roadReport(merchant("nobody"), "yongde")).toEqual({ type: "notAllowed" });
    const added = await compact.addMerchant(YONGDE_STAFF, {
      name: "永德路新开的示例包子铺",
      roadCode: "yongde",
      houseNumber: 61,
      licenceNumber: "91310112MA1234567X",
      contactName: "李某",
      contactPhone: "021-12345678",
    });
    if (added.type !== "added") throw new Error(added.type);
    expect(added.shop.code).toMatch(/^yongde-[a-z2-9]{5}$/);
    expect(await db.prisma.merchant.findUniqueOrThrow({ where: { id: added.shop.merchantId } })).toMatchObject({
      managedInChat: true,
      licenceNumber: "91310112MA1234567X",
      contactPhone: "021-12345678",
    });
    await reimport({ ...data, holidays: [...data.holidays, "2026-12-25"] });
    expect(await db.prisma.merchant.count({ where: { id: added.shop.merchantId } })).toBe(1);
  });

  it("an acknowledgement records who signed for which shop, the version's hash, the time and the channel, once per version", async () => {
    const who = merchant("noodles");
    await bindShop(who, "yd-noodles");
    expect(await compact.acknowledge(who, "   ")).toEqual({ type: "invalidName" });
    expect(await compact.acknowledge(who, "x".repeat(41))).toEqual({ type: "invalidName" });
    expect(await compact.acknowledge(merchant("stranger"), "王某")).toEqual({ type: "notBound" });

    const signed = await compact.acknowledge(who, " 店主  王某 ");
    if (signed.type !== "acknowledged") throw new Error(signed.type);
    const version = await db.prisma.compactVersion.findFirstOrThrow({ where: { version: 1 } });
    expect(signed.receipt).toMatchObject({
      shop: { code: "yd-noodles" },
      version: 1,
      contentHash: version.contentHash,
      signerName: "店主 王某",
      acknowledgedAt: now,
      channel: "web",
    });
    const records = await db.prisma.compactAcknowledgement.findMany({
      where: { merchant: { code: "yd-noodles" } },
      include: { merchant: true },
    });
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      compactVersionId: version.id,
      contentHash: version.contentHash,
      channel: "web",
      channelUserId: "shopkeeper-noodles",
      signerName: "店主 王某",
      acknowledgedAt: now,
    });

    const again = await Promise.all([compact.acknowledge(who, "店主 王某"), compact.acknowledge(who, "店主 王某")]);
    expect(again.map((r) => r.type)).toEqual(["alreadyAcknowledged", "alreadyAcknowledged"]);
    expect(await db.prisma.compactAcknowledgement.count({ where: { merchant: { code: "yd-noodles" } } })).toBe(1);
    expect((await compact.myShops(who))[0]).toMatchObject({
      standing: "current",
      lastAcknowledged: { version: 1, signerName: "店主 王某" },
    });
  });

  it("per-road tallies count current, outdated and unsigned shops, list signer and date, and the CSV reads back", async () => {
    const report = await compact.roadReport(YONGDE_STAFF, "yongde");
    if (report.type !== "road") throw new Error(report.type);
    const yongdeShops = await db.prisma.merchant.count({ where: { road: { code: "yongde" } } });
    expect(report.counts).toEqual({ current: 1, outdated: 0, none: yongdeShops - 1 });
    expect(report.shops.find((s) => s.code === "yd-noodles")).toMatchObject({
      standing: "current",
      signerName: "店主 王某",
      acknowledgedVersion: 1,
      accounts: 1,
    });

    const csv = await compact.roadCsv(YONGDE_STAFF, "yongde");
    if (csv.type !== "csv") throw new Error(csv.type);
    expect(csv.content.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(csv.content.toString("utf8")).toContain("\r\n");
    const rows = parseCsv(csv.content.toString("utf8").slice(1));
    expect(rows[0]).toEqual([
      "商户代码 Code",
      "商户 Shop",
      "门牌号 No.",
      "状态 Standing",
      "签署版本 Version",
      "签署人 Signer",
      "签署时间 Signed at",
      "绑定账号 Accounts",
    ]);
    expect(rows.find((r) => r[0] === "yd-noodles")).toEqual([
      "yd-noodles",
      "永德路示例面馆",
      "12",
      "已签署现行版本 Current",
      "1",
      "店主 王某",
      "2026-11-26 10:00",
      "1",
    ]);
    expect(rows).toHaveLength(yongdeShops + 1);

    const counts = await compact.publicCounts();
    expect(counts.find((c) => c.roadCode === "yongde")).toEqual({
      roadCode: "yongde",
      road: { zh: "永德路", en: "Yongde Road" },
      signed: 1,
      total: yongdeShops,
    });
  });

  it("a version published by staff asks every bound account to sign again in the same transaction; the shop is outdated until it does, and reminders go out on day 3 and day 7 exactly once", async () => {
    const published = now;
    const v1 = (await compact.latestVersion())!;
    const content: CompactContent = {
      title: v1.title.zh,
      titleEn: v1.title.en,
      clauses: v1.clauses.map((c, i) => ({
        ref: c.ref,
        text: i === 0 ? "本公约由街区各方共同制定（第二版示例）。" : c.text.zh,
        textEn: c.text.en,
      })),
    };
    expect(await compact.publish(ADMIN, content, published)).toMatchObject({ type: "published", version: 2 });
    const accounts = await db.prisma.merchantAccount.count({ where: { revokedAt: null } });
    const notices = await db.prisma.outboxMessage.findMany({ where: { kind: COMPACT_REACK_KIND } });
    expect(notices).toHaveLength(accounts);
    expect(notices.find((n) => n.chatId === "shopkeeper-noodles")?.payload).toMatchObject({
      merchantCode: "yd-noodles",
      version: 2,
      reminderDay: null,
    });

    const noodles = await db.prisma.merchant.findFirstOrThrow({ where: { code: "yd-noodles" } });
    expect((await compactStandingOf(db.sql, "wujing", [noodles.id], now)).get(noodles.id)).toBe("outdated");

    now = new Date(published.getTime() + 3 * DAY - 60_000);
    expect(await compact.queueCompactReminders()).toBe(0);
    now = new Date(published.getTime() + 3 * DAY);
    expect(await compact.queueCompactReminders()).toBe(accounts);
    expect(await compact.queueCompactReminders()).toBe(0);

    const signed = await compact.acknowledge(merchant("noodles"), "店主 王某");
    expect(signed).toMatchObject({ type: "acknowledged", receipt: { version: 2 } });
    expect((await compactStandingOf(db.sql, "wujing", [noodles.id], now)).get(noodles.id)).toBe("current");

    now = new Date(published.getTime() + 7 * DAY);
    expect(await compact.queueCompactReminders()).toBe(accounts - 1);
    now = new Date(published.getTime() + 9 * DAY);
    expect(await compact.queueCompactReminders()).toBe(0);
    const reminders = await db.prisma.outboxMessage.findMany({ where: { kind: COMPACT_REMINDER_KIND }, orderBy: { createdAt: "asc" } });
    expect(reminders.map((r) => (r.payload as { reminderDay: number }).reminderDay)).toEqual([
      ...Array<number>(accounts).fill(3),
      ...Array<number>(accounts - 1).fill(7),
    ]);
    expect(reminders.filter((r) => r.chatId === "shopkeeper-noodles")).toHaveLength(1);
    now = published;
  });

  it("staff publish a version in the chat only as admins, and the same content twice publishes once", async () => {
    const content: CompactContent = {
      title: "永德路街区自治公约（示例）",
      titleEn: "Yongde Road compact (sample)",
      clauses: [{ ref: "第一条", text: "共议共办共治共督。", textEn: "Discuss, handle, govern and supervise together." }],
    };
    expect(await compact.publish(YONGDE_STAFF, content, new Date("2027-01-01T00:00:00+08:00"))).toEqual({ type: "notAllowed" });
    const first = await compact.publish(ADMIN, content, new Date("2027-01-01T00:00:00+08:00"));
    expect(first).toMatchObject({ type: "published", version: 3, contentHash: compactContentHash(content) });
    expect(await compact.publish(ADMIN, content, new Date("2027-02-01T00:00:00+08:00"))).toEqual({
      type: "unchanged",
      version: 3,
      contentHash: compactContentHash(content),
    });
    const admin = await db.prisma.staffMember.findFirstOrThrow({ where: { chatUser: { channelUserId: ADMIN.userId } } });
    expect(await db.prisma.compactVersion.findFirstOrThrow({ where: { version: 3 } })).toMatchObject({ publishedByStaffId: admin.id });
    // Version 3 takes effect next year: the version in force is still 2.
    expect((await compact.inForce())?.version).toBe(2);
  });

  it("an import that drops a shop with acknowledgements is refused with the merchants field and the shop named, and changes nothing", async () => {
    const before = await db.prisma.merchant.count();
    const error = await reimport({ ...data, merchants: data.merchants.filter((m) => m.code !== "yd-noodles") }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AcknowledgedShopError);
    expect((error as Error).message).toContain("merchants");
    expect((error as Error).message).toContain("yd-noodles");
    expect(await db.prisma.merchant.count()).toBe(before);
  });

  it("an import with changed compact text publishes the next version and asks bound accounts to sign again; the notices name the shop and the version only, never a resident", async () => {
    expect(await reimport(withClauseText("第四版示例文字。"))).toMatchObject({
      status: "imported",
      compact: { version: 4, published: true },
    });
    const rows = await db.prisma.outboxMessage.findMany({ where: { kind: { in: [COMPACT_REACK_KIND, COMPACT_REMINDER_KIND] } } });
    expect(rows).toHaveLength(await db.prisma.merchantAccount.count({ where: { revokedAt: null } }));
    for (const row of rows) {
      const text = JSON.stringify(renderOutboxRow(row, TOWN_TIME_ZONE));
      expect(text).toMatch(/永德路|示例/);
      for (const secret of ["王小明", "resident", "13812345678", "user-"]) expect(text).not.toContain(secret);
    }
    const rendered = renderOutboxRow(rows.find((r) => r.chatId === "shopkeeper-noodles")!, TOWN_TIME_ZONE)!;
    expect(rendered[0]).toMatchObject({ type: "choices", options: [{ label: "📝 阅读并签署", value: "flow:shop:ack:yd-noodles" }] });
    expect(rendered[0]?.type === "choices" && rendered[0].text).toContain("请为 永德路示例面馆 阅读并重新签署");
  });
});
