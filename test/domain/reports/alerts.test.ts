import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderOutboxRow } from "../../../src/bot/notify/render.ts";
import { importTownData } from "../../../src/domain/town/import.ts";
import { readTownFile } from "../../../src/towndata/town-file.ts";
import { shownText } from "../../support/conversation.ts";
import { declining, openSampleServices, SAMPLE_TOWN_FILE, type SampleServices, TOWN_TIME_ZONE } from "../../support/town.ts";

let town: SampleServices;
const reporter = { channel: "telegram", userId: "alert-reporter", chatId: "alert-reporter", displayName: "王小明", locale: "zh" as const };

beforeAll(async () => {
  town = await openSampleServices();
  const { data } = await readTownFile(SAMPLE_TOWN_FILE);
  const alertDestinations = [
    {
      code: "rc1-group",
      name: "第一路管会工作群",
      telegramChatId: "-1001000000001",
      locale: "zh" as const,
      districts: [],
      roadCommittees: ["rc1"],
      categories: [],
    },
    {
      code: "d4-group",
      name: "District 4 staff",
      telegramChatId: "-1001000000004",
      locale: "en" as const,
      districts: ["d4"],
      roadCommittees: [],
      categories: [],
    },
    {
      code: "noise-only",
      name: "噪音专班",
      telegramChatId: "-1001000000009",
      locale: "zh" as const,
      districts: [],
      roadCommittees: [],
      categories: ["noise"],
    },
  ];
  await importTownData(town.db.prisma, { ...data, alertDestinations }, "with-alert-destinations", TOWN_TIME_ZONE);
  await town.grid.refreshIfChanged();
});
afterAll(async () => {
  await town.close();
});

const alertsFor = (reference: string) =>
  town.db.prisma.outboxMessage.findMany({ where: { kind: "alert.new", payload: { path: ["reference"], equals: reference } } });

describe("staff alerts for new reports", () => {
  it("go to the groups subscribed to the report's road committee or district and category, never naming the reporter", async () => {
    const result = await town.reports.submit(
      {
        categoryCode: "pavement-trading",
        place: { roadCode: "yongde", houseNumber: 12 },
        description: "门口摆摊，摊主电话13812345678",
        photoIds: [],
        contactAllowed: true,
      },
      reporter,
      declining(),
    );
    if (result.type !== "created") throw new Error(result.type);
    const rows = await alertsFor(result.reference);
    expect(rows.map((row) => row.chatId)).toEqual(["-1001000000001"]);
    const text = shownText(renderOutboxRow(rows[0]!, TOWN_TIME_ZONE)!);
    expect(text).toContain(`新举报 ${result.reference}：占道经营`);
    expect(text).toContain("地点：永德路12号（第二片区）");
    expect(text).toContain("138****5678");
    expect(text).toContain("责任单位：第一路管会");
    expect(JSON.stringify(rows[0]!.payload)).not.toMatch(/alert-reporter|王小明/);
  });

  it("a noise report at a shared location in district 4 reaches the district group in English and the noise group, with a map link", async () => {
    const result = await town.reports.submit(
      {
        categoryCode: "noise",
        place: { latitude: 31.01, longitude: 121.47 },
        description: "半夜施工噪音",
        photoIds: [],
        contactAllowed: false,
      },
      { ...reporter, userId: "alert-2", chatId: "alert-2" },
      declining(),
    );
    if (result.type !== "created") throw new Error(result.type);
    const rows = await alertsFor(result.reference);
    expect(rows.map((row) => row.chatId).sort()).toEqual(["-1001000000004", "-1001000000009"]);
    const english = renderOutboxRow(rows.find((row) => row.chatId === "-1001000000004")!, TOWN_TIME_ZONE)!;
    expect(english[0]).toMatchObject({ type: "choices", options: [{ label: "Claim" }, { label: "Reject" }] });
    expect(shownText(english)).toContain("Map: https://uri.amap.com/marker?position=121.47,31.01&coordinate=wgs84");
    expect(shownText(english)).toContain(`New report ${result.reference}: Noise`);
  });

  it("a blocked resident's report raises no alert", async () => {
    const blocked = { ...reporter, userId: "alert-blocked", chatId: "alert-blocked" };
    const first = await town.reports.submit(
      {
        categoryCode: "pavement-trading",
        place: { roadCode: "yongde", houseNumber: 201 },
        description: "又在摆摊占道",
        photoIds: [],
        contactAllowed: false,
      },
      blocked,
      declining(),
    );
    if (first.type !== "created") throw new Error(first.type);
    await town.reports.blockUser({ channel: "telegram", userId: "alert-blocked" }, { staffId: "s", label: "管理员" }, "恶意举报");
    const second = await town.reports.submit(
      {
        categoryCode: "pavement-trading",
        place: { roadCode: "yongde", houseNumber: 401 },
        description: "又在摆摊占道",
        photoIds: [],
        contactAllowed: false,
      },
      blocked,
      declining(),
    );
    if (second.type !== "created") throw new Error(second.type);
    expect(await alertsFor(second.reference)).toEqual([]);
  });
});
