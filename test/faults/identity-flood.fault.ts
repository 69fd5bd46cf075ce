import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningLinli } from "../../src/app.ts";
import { zh } from "../../src/flows/i18n/zh.ts";
import { createPostgresDatabase } from "../support/databases.ts";
import { reportUntilSummary, startApp, webResident } from "./support/app.ts";
import { queryDatabase } from "./support/postgres-cluster.ts";

const NEW_CLIENTS_PER_HOUR = 4;
const SIGN_UPS_PER_HOUR = 2;
const FLOOD = 12;
const COHORT = "talent-2027-1";
const REPORTS = [
  "鹤庆路88号门口的纸箱堆了一个星期",
  "永德路12号门口又在占道摆摊",
  "宝秀路10号门口的共享单车乱停了一个星期",
  "永德路100号门口的垃圾桶满了没人清",
];
const MOBILE = "13912340000";

/**
 * One address making up web identities as fast as it can, as the attack on
 * issue 17 did (22 reports and 11 of 12 seats in seconds): the address's
 * budget of new identities and of sign-ups, and one place per mobile number,
 * bound what the flood gets however many ids it invents.
 */
describe("an identity flood from one address", () => {
  let app: RunningLinli;
  let databaseUrl: string;

  beforeAll(async () => {
    databaseUrl = await createPostgresDatabase();
    app = await startApp("identity-flood", {
      DATABASE_URL: databaseUrl,
      WEB_NEW_CLIENTS_PER_ADDRESS_PER_HOUR: String(NEW_CLIENTS_PER_HOUR),
      WEB_SIGN_UPS_PER_ADDRESS_PER_HOUR: String(SIGN_UPS_PER_HOUR),
    });
  });
  afterAll(async () => {
    await app?.stop();
  });

  it(`${FLOOD} fresh client ids from one address get ${NEW_CLIENTS_PER_HOUR} conversations, file no more reports than those, and take one seat with one mobile number`, async () => {
    const flood = Array.from({ length: FLOOD }, () => webResident(app.httpUrl));
    const first = await Promise.all(flood.map((resident) => resident.say("紫竹半岛")));
    const admitted = flood.filter((_, i) => first[i]!.status === 200);
    expect(admitted).toHaveLength(NEW_CLIENTS_PER_HOUR);
    const refused = first.filter((answer) => answer.status !== 200);
    expect(refused).toHaveLength(FLOOD - NEW_CLIENTS_PER_HOUR);
    for (const answer of refused) expect(answer.status).toBe(429);
    const refusal = (await (
      await fetch(`${app.httpUrl}/api/chat`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ clientId: "one-more-made-up-id", messageId: "m00000001", message: { type: "text", text: "紫竹半岛" } }),
      })
    ).json()) as { error: { code: string; message: { zh: string; en: string } } };
    expect(refusal.error.code).toBe("new_client_limited");
    expect(refusal.error.message.zh).toContain("新开的对话太多");
    expect(refusal.error.message.en).toContain("Too many new chats");
    // Ids already talking go on: the budget is for new ones.
    expect((await admitted[0]!.say("紫竹半岛")).status).toBe(200);

    for (const [i, resident] of admitted.entries()) {
      await reportUntilSummary(resident, REPORTS[i]!, zh);
      expect((await resident.press(zh.report.confirm)).text).toMatch(/WJ-\d{4}-\d{6}/);
    }
    const [reports] = await queryDatabase<{ count: number }>(databaseUrl, `SELECT COUNT(*)::int AS "count" FROM "Report"`);
    expect(reports?.count).toBe(NEW_CLIENTS_PER_HOUR);

    const answers = [];
    for (const resident of admitted) {
      await resident.pressValue(`flow:classes:signup:${COHORT}`);
      await resident.pressValue("privacy:yes");
      await resident.say("王芳");
      await resident.say(MOBILE);
      await resident.say("紫竹半岛");
      answers.push((await resident.pressValue("skills:none")).text);
    }
    expect(answers[0]).toContain("报名成功");
    // The second made-up id types the same mobile: answered with the place that number holds.
    expect(answers[1]).toContain("您已经报名了");
    for (const answer of answers.slice(SIGN_UPS_PER_HOUR)) expect(answer).toContain("报名的人数已达上限");
    const [seats] = await queryDatabase<{ count: number }>(
      databaseUrl,
      `SELECT COUNT(*)::int AS "count" FROM "Enrolment" WHERE "status" <> 'CANCELLED'`,
    );
    expect(seats?.count).toBe(1);
  });
});
