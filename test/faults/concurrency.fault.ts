import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { zh } from "../../src/flows/i18n/zh.ts";
import type { FakeUser } from "../support/fake-telegram.ts";
import { startWebhookApp, type WebhookApp } from "./support/webhook-app.ts";

const QUESTION = "紫竹半岛归哪个片区管？";
const ANSWER = "紫竹半岛居民区 属于【第四片区】";
const FAILURES = [zh.errors.generic, zh.errors.unavailable, zh.session.reset];

/** Telegram in webhook mode delivers updates concurrently, and redelivers one whenever it did not see a 200 in time. */
describe("the app under concurrent and repeated Telegram deliveries", () => {
  let stack: WebhookApp;

  beforeAll(async () => {
    stack = await startWebhookApp("concurrency");
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const user = (id: number): FakeUser => ({ id, first_name: `居民${id}`, language_code: "zh-hans" });
  const textsTo = (resident: FakeUser) => stack.telegram.deliveredTo(resident.id).map((message) => message.text ?? "");
  const answersTo = (resident: FakeUser) => textsTo(resident).filter((text) => text.includes(ANSWER)).length;
  const failuresTo = (resident: FakeUser) => textsTo(resident).filter((text) => FAILURES.some((failure) => text.includes(failure)));

  it("the same update delivered twice at the same moment is answered once", async () => {
    const resident = user(700_001);
    const update = stack.telegram.textUpdate(resident, QUESTION);
    // Both deliveries are answered 200 (deliver throws otherwise), with the answer in one of them only.
    await Promise.all([0, 1].map(() => stack.telegram.deliver(update)));
    expect(answersTo(resident)).toBe(1);
    // A late third delivery of the same update is dropped as well.
    await stack.telegram.deliver(update);
    expect(answersTo(resident)).toBe(1);
  });

  it("50 updates from one resident at once are each answered exactly once, and the session is intact afterwards", async () => {
    const resident = user(700_002);
    await Promise.all(Array.from({ length: 50 }, () => stack.telegram.userSends(resident, QUESTION)));
    expect(answersTo(resident)).toBe(50);
    expect(failuresTo(resident)).toEqual([]);
    await stack.telegram.userSends(resident, "/lang en");
    await stack.telegram.userSends(resident, "紫竹半岛");
    expect(textsTo(resident).at(-1)).toContain("Zizhu Peninsula Neighbourhood belongs to【District 4】");
  });

  it("1,000 residents asking at once are each answered exactly once, with no error and no one left out", { timeout: 120_000 }, async () => {
    const residents = Array.from({ length: 1_000 }, (_, n) => user(710_000 + n));
    await Promise.all(residents.map((resident) => stack.telegram.userSends(resident, QUESTION)));
    const counts = residents.map(answersTo);
    expect(counts.filter((count) => count !== 1)).toEqual([]);
    expect(residents.flatMap(failuresTo)).toEqual([]);
  });
});
