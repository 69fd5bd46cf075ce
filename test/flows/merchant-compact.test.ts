import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderOutboxRow } from "../../src/bot/notify/render.ts";
import { compactContentHash } from "../../src/domain/compact/content.ts";
import type { StaffGrant } from "../../src/domain/staff/registry.ts";
import type { OutboundMessage } from "../../src/flows/kit/messages.ts";
import { decodeCell } from "../domain/compact/qr-decode.ts";
import { converse, lastChoices, shownText } from "../support/conversation.ts";
import { declining, openSampleServices, type SampleServices, TOWN_TIME_ZONE } from "../support/town.ts";

let town: SampleServices;
let now = new Date("2026-11-26T02:00:00Z");
const clock = () => now;
/** Everything any merchant account was sent, to check no resident's identity ever reaches a shop. */
const toMerchants: OutboundMessage[] = [];

beforeAll(async () => {
  town = await openSampleServices({ clock });
  // A resident's report about the noodle shop: nothing of it may reach the shop through these flows.
  const submitted = await town.reports.submit(
    {
      categoryCode: "pavement-trading",
      place: { roadCode: "yongde", houseNumber: 12 },
      description: "面馆门口占道，联系我 13812345678",
      photoIds: [],
      contactAllowed: true,
    },
    { channel: "telegram", userId: "reporter-9", chatId: "reporter-9", displayName: "王小明", locale: "zh" },
    declining(),
  );
  if (submitted.type !== "created") throw new Error(submitted.type);
});
afterAll(async () => {
  await town.close();
});

async function bindStaff(userId: string, grant: StaffGrant) {
  const invite = await town.staff.invite("bootstrap", grant);
  if (invite.type !== "created") throw new Error(invite.type);
  const chat = converse(town.services, { channel: "telegram", userId, now: clock });
  expect(shownText(await chat.command("join", invite.code))).toContain("登记成功");
  return chat;
}

/** A shopkeeper on the web chat; every reply they get is kept for the privacy check. */
function shopkeeper(userId: string) {
  const chat = converse(town.services, { channel: "web", userId, now: clock });
  const keep = async (replies: Promise<OutboundMessage[]>) => {
    const got = await replies;
    toMerchants.push(...got);
    return got;
  };
  return {
    command: (command: string, args = "") => keep(chat.command(command, args)),
    text: (text: string) => keep(chat.text(text)),
    choose: (value: string) => keep(chat.choose(value)),
  };
}

const documents = (replies: OutboundMessage[]) => replies.flatMap((r) => (r.type === "document" ? [r] : []));
let codes: Map<string, string>;

describe("staff manage a road's shops in the chat", () => {
  it("/merchants shows a covered road's tallies, exports a CSV and prints invitation QR codes that decode to each shop's link", async () => {
    const clerk = await bindStaff("d2-clerk", {
      role: "DISTRICT_STAFF",
      label: "第二片区网格员",
      districtCodes: ["d2"],
      roadCommitteeCodes: [],
    });
    const roads = lastChoices(await clerk.command("merchants"));
    const yongde = roads.find((o) => o.label.startsWith("永德路"))!;
    const road = await clerk.choose(yongde.value);
    expect(shownText(road)).toContain("永德路 · 现行公约第 1 版\n已签署现行版本 0 家，旧版本 0 家，未签署 12 家");
    expect(shownText(road)).toContain("1. 永德路示例面馆 12 · 尚未签署");

    const csv = documents(await clerk.choose("act:csv"))[0]!;
    expect(csv).toMatchObject({ fileName: "yongde-compact.csv", mimeType: "text/csv", caption: "永德路 商户签署情况（可用 Excel 打开）" });
    expect(Buffer.from(csv.contentBase64, "base64").toString("utf8")).toContain("yd-noodles,永德路示例面馆,12,未签署 Not yet");

    await clerk.command("merchants");
    await clerk.choose(yongde.value);
    const invited = await clerk.choose("act:inviteRoad");
    const sheets = documents(invited);
    expect(sheets).toHaveLength(1);
    expect(sheets[0]).toMatchObject({ fileName: "yongde-invites.png", mimeType: "image/png" });
    expect(sheets[0]!.caption).toContain("12 家，30 天内有效");
    const list = shownText(invited.filter((r) => r.type === "text"));
    const lines = [...list.matchAll(/^(\d+)\. (\S+) \/ (.+)：([A-Z2-9]{10})$/gm)];
    expect(lines).toHaveLength(12);
    expect(lines[0]?.slice(1, 4)).toEqual(["1", "永德路示例面馆", "Sample Noodle Shop"]);
    const png = [Buffer.from(sheets[0]!.contentBase64, "base64")];
    lines.forEach((line, i) => expect(decodeCell(png, i)).toBe(`https://t.me/linli_test_bot?start=merchant-${line[4]}`));
    codes = new Map(lines.map((line) => [line[2]!, line[4]!]));
  });

  it("without Telegram the QR code carries the web chat link that opens with the same /start payload", async () => {
    const webOnly = {
      ...town.services,
      links: {
        telegram: () => undefined,
        web: (payload: string) => `https://linli.example.cn/?start=${payload}`,
        consoleSignIn: () => undefined,
      },
    };
    const clerk = converse(webOnly, { channel: "telegram", userId: "d2-clerk", now: clock });
    await clerk.command("merchants");
    await clerk.choose("road:heqing");
    await clerk.choose("act:inviteShop");
    const invited = await clerk.choose("shop:hq-laundry");
    const code = /：([A-Z2-9]{10})$/m.exec(shownText(invited.filter((r) => r.type === "text")))?.[1];
    const sheet = documents(invited)[0]!;
    expect(decodeCell([Buffer.from(sheet.contentBase64, "base64")], 0)).toBe(`https://linli.example.cn/?start=merchant-${code}`);
  });

  it("staff covering another area see none of the road's shops", async () => {
    const far = await bindStaff("rc7-clerk", {
      role: "DISTRICT_STAFF",
      label: "第七路管会",
      districtCodes: [],
      roadCommitteeCodes: ["rc7"],
    });
    expect(shownText(await far.command("merchants"))).toBe("您负责的区域内还没有商户。");
    expect(await town.services.compact.roadReport({ channel: "telegram", userId: "rc7-clerk" }, "yongde")).toEqual({ type: "notAllowed" });
  });

  it("a shop added in the chat appears on its road with its house number", async () => {
    const clerk = converse(town.services, { channel: "telegram", userId: "d2-clerk", now: clock });
    await clerk.command("merchants");
    await clerk.choose("road:yongde");
    await clerk.choose("act:add");
    expect(shownText(await clerk.text("永德路示例包子铺"))).toContain("门牌号");
    expect(shownText(await clerk.text("六十一"))).toContain("门牌号须为正整数");
    await clerk.text("61");
    expect(shownText(await clerk.text("91310112MA1234567X，李某，021-12345678"))).toMatch(
      /已添加商户：永德路示例包子铺（代码 yongde-[a-z2-9]{5}）/,
    );
    const shop = await town.db.prisma.merchant.findFirstOrThrow({ where: { name: "永德路示例包子铺" } });
    expect(shop).toMatchObject({
      houseNumber: 61,
      licenceNumber: "91310112MA1234567X",
      contactName: "李某",
      contactPhone: "021-12345678",
      managedInChat: true,
    });
  });
});

describe("a merchant binds their account and acknowledges the compact", () => {
  it("a forged code is asked again politely, a used and an expired code are explained", async () => {
    const stranger = shopkeeper("stranger");
    expect(shownText(await stranger.command("shop", "ABCDEFGHJK"))).toContain("邀请码不正确，请核对后重新输入");
    const created = await town.services.compact.createInvites({ channel: "telegram", userId: "d2-clerk" }, { merchantCode: "yd-tea" }, 1);
    if (created.type !== "created") throw new Error(created.type);
    now = new Date(now.getTime() + 2 * 86_400_000);
    try {
      expect(shownText(await shopkeeper("late-comer").command("shop", created.invites[0]!.code))).toContain("这个邀请码已过期");
    } finally {
      now = new Date(now.getTime() - 2 * 86_400_000);
    }
  });

  it("the QR code's link binds the shop, asks the signer's name, shows the compact page by page and answers the pledge with a receipt", async () => {
    const owner = shopkeeper("noodle-owner");
    const bound = await owner.command("start", `merchant-${codes.get("永德路示例面馆")}`);
    expect(shownText(bound)).toContain("已绑定商户：永德路示例面馆");
    expect(shownText(bound)).toContain("请填写签署人称呼");
    expect(shownText(await owner.text("   <b>"))).toContain("签署人称呼须为 1 到 40 个字");
    expect(shownText(await owner.text("王".repeat(41)))).toContain("签署人称呼须为 1 到 40 个字");

    const first = await owner.text("店主 王某");
    expect(shownText(first)).toContain("《永德路街区自治公约（示例）》第 1 版（2026-01-01 起施行）\n第 1/4 页");
    expect(shownText(first)).toContain("第一条　本街区的行政执法队伍");
    expect(lastChoices(first).map((o) => o.label)).toEqual(["下一页 ➡️", "稍后再说"]);
    const second = await owner.choose("read:next");
    expect(lastChoices(second).map((o) => o.label)).toEqual(["⬅️ 上一页", "下一页 ➡️", "稍后再说"]);
    expect(shownText(await owner.choose("read:prev"))).toContain("第 1/4 页");
    await owner.choose("read:next");
    await owner.choose("read:next");
    const last = await owner.choose("read:next");
    expect(shownText(last)).toContain("第 4/4 页");
    expect(lastChoices(last).map((o) => o.label)).toEqual(["⬅️ 上一页", "✅ 我已阅读并承诺遵守", "稍后再说"]);

    const receipt = shownText(await owner.choose("read:agree"));
    const version = await town.db.prisma.compactVersion.findFirstOrThrow({ where: { version: 1 } });
    expect(receipt).toContain("✅ 签署成功\n商户：永德路示例面馆\n公约版本：第 1 版（2026-01-01 起施行）");
    expect(receipt).toContain(`内容校验码：${version.contentHash.slice(0, 12)}\n签署人：店主 王某\n时间：2026/11/26 10:00\n渠道：网页聊天`);
    expect(await town.db.prisma.compactAcknowledgement.findMany({ where: { merchant: { code: "yd-noodles" } } })).toMatchObject([
      { contentHash: version.contentHash, channel: "web", channelUserId: "noodle-owner", signerName: "店主 王某" },
    ]);

    const again = converse(town.services, { channel: "web", userId: "someone-else", now: clock });
    expect(shownText(await again.command("shop", codes.get("永德路示例面馆")!))).toContain("这个邀请码已经用过了");
  });

  it("/compact shows a merchant their standing, and residents only per-road counts", async () => {
    expect(shownText(await shopkeeper("noodle-owner").command("compact"))).toContain(
      "🏪 永德路示例面馆：已签署现行公约\n上次签署：第 1 版，2026/11/26 10:00，店主 王某",
    );
    const resident = shownText(await converse(town.services, { userId: "resident-5", now: clock }).command("compact"));
    expect(resident).toContain("《永德路街区自治公约（示例）》现行版本：第 1 版（2026-01-01 起施行）");
    expect(resident).toContain("永德路：已签署现行公约 1/13 家");
    expect(resident).not.toContain("面馆");
  });

  it("an admin publishes a new version in the chat with a hash preview; the merchant is told, sees the shop outdated and signs again", async () => {
    const admin = await bindStaff("admin-1", { role: "ADMIN", label: "镇管理员", districtCodes: [], roadCommitteeCodes: [] });
    await admin.command("merchants");
    expect(shownText(await admin.choose("publish"))).toContain("中文条款");
    expect(shownText(await admin.text("第一条 各方共议共办共治共督。\n不是条款"))).toContain("第 2 行没有以“第…条”开头");
    expect(
      shownText(await admin.text("永德路街区自治公约（第二版示例）\n第一条 各方共议共办共治共督。\n第二条 商户在店内经营。")),
    ).toContain("请发送这 2 条的英文");
    expect(shownText(await admin.text("Only one line"))).toContain("需要 2 行英文条款，收到 1 行");
    await admin.text(
      "Yongde Road compact (second sample)\nArticle 1. All parties discuss and act together.\nArticle 2. Shops trade indoors.",
    );
    expect(shownText(await admin.text("2027-02-30"))).toContain("日期格式不正确");
    const preview = await admin.text("2026-11-26");
    const hash = compactContentHash({
      title: "永德路街区自治公约（第二版示例）",
      titleEn: "Yongde Road compact (second sample)",
      clauses: [
        { ref: "第一条", text: "各方共议共办共治共督。", textEn: "All parties discuss and act together." },
        { ref: "第二条", text: "商户在店内经营。", textEn: "Shops trade indoors." },
      ],
    });
    expect(shownText(preview)).toContain(
      `预览：《永德路街区自治公约（第二版示例）》共 2 条，2026-11-26 起施行\n内容校验码：${hash.slice(0, 12)}`,
    );
    expect(shownText(await admin.choose("pub:confirm"))).toContain("已发布第 2 版，已通知 1 个商户账号重新签署");

    const notice = await town.db.prisma.outboxMessage.findFirstOrThrow({ where: { kind: "compact.reack", chatId: "noodle-owner" } });
    const rendered = renderOutboxRow(notice, TOWN_TIME_ZONE)!;
    toMerchants.push(...rendered);
    expect(shownText(rendered)).toContain(
      "《永德路街区自治公约（第二版示例）》发布了第 2 版（2026-11-26 起施行）。请为 永德路示例面馆 阅读并重新签署",
    );

    const owner = shopkeeper("noodle-owner");
    const standing = await owner.command("compact");
    expect(shownText(standing)).toContain("永德路示例面馆：签署的是旧版本，需重新签署");
    const named = await owner.choose(lastChoices(rendered)[0]!.value);
    expect(lastChoices(named).map((o) => o.label)).toEqual(["使用“店主 王某”"]);
    const page = await owner.choose("name:suggested");
    expect(shownText(page)).toContain("第 2 版（2026-11-26 起施行）\n第 1/1 页");
    expect(shownText(await owner.choose("read:agree"))).toContain(
      `公约版本：第 2 版（2026-11-26 起施行）\n内容校验码：${hash.slice(0, 12)}`,
    );
    expect(shownText(await owner.command("compact"))).toContain("永德路示例面馆：已签署现行公约");
  });

  it("nothing a merchant was sent names a resident or carries their contact", () => {
    expect(toMerchants.length).toBeGreaterThan(10);
    const everything = shownText(toMerchants);
    for (const secret of ["王小明", "reporter-9", "13812345678", "占道，联系我"]) expect(everything).not.toContain(secret);
  });
});
