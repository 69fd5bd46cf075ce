import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderOutboxRow, UnreadableOutboxRowError } from "../../../src/bot/notify/render.ts";
import { lastChoices, shownText } from "../../support/conversation.ts";
import { declining, openSampleServices, type SampleServices, TOWN_TIME_ZONE } from "../../support/town.ts";

let town: SampleServices;

beforeAll(async () => {
  town = await openSampleServices();
});
afterAll(async () => {
  await town.close();
});

describe("rendering queued updates for residents", () => {
  it("a resolution reaches the reporter with the fixed? buttons and followers without them, each in their language, with numbers masked", async () => {
    const reporter = { channel: "telegram", userId: "r-1", chatId: "r-1", locale: "zh" as const };
    const follower = { channel: "telegram", userId: "f-1", chatId: "f-1", locale: "en" as const };
    const submitted = await town.reports.submit(
      {
        categoryCode: "noise",
        place: { roadCode: "heqing", houseNumber: 77 },
        description: "夜里施工太吵",
        photoIds: [],
        contactAllowed: false,
      },
      reporter,
      declining(),
    );
    if (submitted.type !== "created") throw new Error(submitted.type);
    await town.reports.follow(submitted.reference, follower);
    const staff = { staffId: "s-1", label: "第二路管会" };
    await town.reports.acknowledge(submitted.reference, staff);
    await town.reports.resolve(submitted.reference, staff, "已要求停工，施工方电话 13912345678");

    const rows = await town.db.prisma.outboxMessage.findMany({
      where: { kind: "report.status", payload: { path: ["status"], equals: "RESOLVED" } },
    });
    const toReporter = renderOutboxRow(rows.find((row) => row.chatId === "r-1")!, TOWN_TIME_ZONE)!;
    const toFollower = renderOutboxRow(rows.find((row) => row.chatId === "f-1")!, TOWN_TIME_ZONE)!;

    expect(shownText(toReporter)).toContain(`您的举报 ${submitted.reference} 有新进展：已解决`);
    expect(shownText(toReporter)).toContain("处理说明：已要求停工，施工方电话 139****5678");
    expect(lastChoices(toReporter).map((option) => option.label)).toEqual(["✅ 已解决", "❌ 没有解决"]);
    expect(shownText(toFollower)).toContain(`A report you follow, ${submitted.reference}, has news: Resolved`);
    expect(lastChoices(toFollower)).toEqual([]);
  });

  it("the confirmation of a new report is not sent again (the resident saw it in the chat)", () => {
    expect(renderOutboxRow({ kind: "report.submitted", payload: {} }, TOWN_TIME_ZONE)).toBeUndefined();
  });

  it("an unknown kind or a payload that does not parse is refused with the reason", () => {
    expect(() => renderOutboxRow({ kind: "mystery", payload: {} }, TOWN_TIME_ZONE)).toThrow(UnreadableOutboxRowError);
    expect(() => renderOutboxRow({ kind: "report.status", payload: { reference: 1 } }, TOWN_TIME_ZONE)).toThrow(/reference/);
  });
});
