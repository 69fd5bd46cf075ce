import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { zh } from "../../src/flows/i18n/zh.ts";
import { reportUntilSummary, webResident } from "./support/app.ts";
import { queryDatabase } from "./support/postgres-cluster.ts";
import { startWebhookApp, type WebhookApp } from "./support/webhook-app.ts";

const REFERENCE = /WJ-\d{4}-\d{6}/g;

/** Residents who were shown open reports nearby and filed a new one anyway, against the real app on PostgreSQL and Redis. */
describe("duplicates a resident declined stay declined", () => {
  let stack: WebhookApp;

  beforeAll(async () => {
    stack = await startWebhookApp("declined-duplicates");
  });
  afterAll(async () => {
    await stack?.stop();
  });

  /** Files a cooking-fumes report at the house number of 景洪路 through the web chat, past any shown nearby; its reference. */
  const fileFumes = async (houseNumber: number): Promise<string> => {
    const resident = webResident(stack.app.httpUrl);
    await reportUntilSummary(resident, `景洪路${houseNumber}号饭店的油烟直接排进楼道`, zh);
    const answer = await resident.press(zh.report.confirm);
    expect(answer.text).toContain("已提交");
    return answer.text.match(REFERENCE)![0]!;
  };
  /** The chat users following a report. */
  const followers = async (reference: string) =>
    queryDatabase<{ channelUserId: string }>(
      stack.databaseUrl,
      `SELECT u."channelUserId" FROM "ReportFollower" f JOIN "Report" r ON r."id" = f."reportId" JOIN "ChatUser" u ON u."id" = f."userId" WHERE r."reference" = $1`,
      [reference],
    );

  it("a resident shown three of four nearby reports who files anyway gets a report of their own, not a follow of the fourth; one filed after they were shown the list still takes their submission", async () => {
    const earlier: string[] = [];
    for (const houseNumber of [200, 202, 204, 206]) earlier.push(await fileFumes(houseNumber));

    const resident = webResident(stack.app.httpUrl);
    await resident.say("景洪路203号楼下饭店油烟呛得开不了窗");
    const listed = await resident.press(zh.report.yes);
    expect(listed.text).toContain(zh.report.duplicatesFound);
    // The question lists the three newest; the oldest is not shown.
    expect(earlier.filter((reference) => listed.text.includes(reference))).toEqual(earlier.slice(1));
    let answer = await resident.press(zh.report.submitAnyway);
    for (const [question, button] of [
      [zh.report.askPhotos, zh.report.photosSkip],
      [zh.report.askShop, zh.report.noShop],
      [zh.report.askContact, zh.report.contactNo],
    ]) {
      if (answer.text.includes(question!)) answer = await resident.press(button!);
    }
    const done = await resident.press(zh.report.confirm);
    const own = done.text.match(REFERENCE)?.[0];
    expect(done.text, done.text).toContain("已提交");
    expect(earlier).not.toContain(own);
    for (const reference of earlier) expect(await followers(reference)).toEqual([]);

    // Shown the list, then someone else files the same problem before the resident confirms: that one they follow.
    const second = webResident(stack.app.httpUrl);
    await reportUntilSummary(second, "景洪路205号饭店油烟很大，一直排进居民楼", zh);
    const later = await fileFumes(208);
    const folded = await second.press(zh.report.confirm);
    expect(folded.text).toContain(zh.report.followedInstead(later));
    expect(await followers(later)).toEqual([{ channelUserId: second.clientId }]);
  });
});
