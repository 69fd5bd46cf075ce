import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { zh } from "../../src/flows/i18n/zh.ts";
import { reportUntilSummary, webResident } from "./support/app.ts";
import { queryDatabase } from "./support/postgres-cluster.ts";
import { startWebhookApp, type WebhookApp } from "./support/webhook-app.ts";

const REFERENCE = /WJ-\d{4}-\d{6}/;

/** What residents' reports tell about them, and who may read it, against the real app on PostgreSQL, Redis and the fake Bot API. */
describe("residents' privacy in the running app", () => {
  let stack: WebhookApp;

  beforeAll(async () => {
    stack = await startWebhookApp("privacy");
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it("a fresh web visitor who asks for another resident's reference sees only its kind, road and status, never the description, house number or staff notes", async () => {
    const reporter = webResident(stack.app.httpUrl);
    await reportUntilSummary(reporter, "龙吴路5500号门口的共享单车把盲道全堵了，楼上王阿姨天天绊倒", zh);
    const reference = REFERENCE.exec((await reporter.press(zh.report.confirm)).text)?.[0];
    expect(reference).toBeDefined();
    // A member of staff took the case on with a note for the reporter (written as the desk writes it).
    await queryDatabase(
      stack.databaseUrl,
      `WITH moved AS (UPDATE "Report" SET "status" = 'IN_PROGRESS' WHERE "reference" = $1 RETURNING "id")
       INSERT INTO "ReportEvent" ("id", "reportId", "type", "fromStatus", "toStatus", "note", "actorKind", "actorId", "actorLabel", "createdAt")
       SELECT gen_random_uuid()::text, "id", 'STATUS_CHANGED', 'SUBMITTED', 'IN_PROGRESS', '已约车主下午挪车', 'STAFF', 'staff-fault', '第二片区工作人员', now() FROM moved`,
      [reference],
    );

    const stranger = webResident(stack.app.httpUrl);
    const seen = await stranger.say(`/report ${reference}`);
    expect(seen.status).toBe(200);
    expect(seen.text).toContain(zh.report.viewTitle(reference!, zh.report.status.IN_PROGRESS));
    expect(seen.text).toContain(zh.report.viewRoad("龙吴路"));
    expect(seen.text).toContain(zh.report.viewPublicOnly);
    for (const hidden of ["5500", "盲道", "王阿姨", "挪车", zh.report.timelineTitle, zh.report.timelineEvent.SUBMITTED]) expect(seen.text).not.toContain(hidden);

    // The reporter still sees everything, so the stranger's answer is the rule at work, not a broken view.
    const own = await reporter.say(`/report ${reference}`);
    expect(own.text).toContain("龙吴路5500号");
    expect(own.text).toContain("王阿姨");
    expect(own.text).toContain(zh.report.timelineTitle);
    expect(own.text).toContain("已约车主下午挪车");
  });
});
