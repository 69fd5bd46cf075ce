import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../../../src/db/database.ts";
import { GridDirectory } from "../../../../src/domain/grid/directory.ts";
import { createReportsService } from "../../../../src/domain/reports/reports.ts";
import { createStaffRegistry } from "../../../../src/domain/staff/registry.ts";
import { databaseWebSessions } from "../../../../src/domain/staff/web-session-table.ts";
import { startTestApp, type TestApp } from "../../../support/app.ts";
import { startFakeTelegram, type FakeChat, type FakeMessage, type FakeTelegram, type FakeUser } from "../../../support/fake-telegram.ts";
import { LABELLED_MESSAGES, declining, TOWN_TIME_ZONE } from "../../../support/town.ts";

const TOKEN = "123456:TEST-TOKEN-abcdefghijklmnopqrstu";
const group: FakeChat = { id: -100_222, type: "group", title: "第二片区工作群" };
const clerk: FakeUser = { id: 7001, first_name: "张", language_code: "zh-hans" };
const outsider: FakeUser = { id: 7002, first_name: "路人", language_code: "zh-hans" };

function button(message: FakeMessage, label: string): string {
  const found = message.reply_markup?.inline_keyboard?.flat().find((b) => b.text === label);
  if (!found?.callback_data) throw new Error(`no button "${label}" on "${message.text}"`);
  return found.callback_data;
}

const labels = (message: FakeMessage | undefined) => message?.reply_markup?.inline_keyboard?.flat().map((b) => b.text) ?? [];

async function eventually<T>(read: () => T | Promise<T>, accept: (value: T) => boolean, timeoutMs = 8_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (accept(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("staff on Telegram, end to end against a fake Bot API", () => {
  let fake: FakeTelegram;
  let app: TestApp;
  let db: Database;

  beforeAll(async () => {
    fake = await startFakeTelegram({ token: TOKEN });
    fake.addChat(group);
    app = await startTestApp({
      env: { TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: fake.url },
      editTown: (sample) =>
        sample.replace(
          "alertDestinations: []",
          `alertDestinations:\n  - code: d2-group\n    name: 第二片区工作群\n    telegramChatId: "${group.id}"\n    districts: [d2]`,
        ),
    });
    db = app.db;
  });

  afterAll(async () => {
    await app?.stop();
    await fake.close();
  });

  it("a clerk joins by link, and only they can claim and resolve the group alert, which is edited in place each time", async () => {
    const invite = await createStaffRegistry({
      prisma: db.prisma,
      sql: db.sql,
      townCode: "wujing",
      webSessions: databaseWebSessions(db.sql),
    }).invite("bootstrap", {
      role: "DISTRICT_STAFF",
      label: "第二片区网格员",
      districtCodes: ["d2"],
      roadCommitteeCodes: [],
    });
    if (invite.type !== "created") throw new Error(invite.type);
    await fake.userSends(clerk, `/start staff-${invite.code}`);
    expect((await fake.nextBotMessage((m) => m.chat.id === clerk.id)).text).toContain("登记成功：第二片区网格员（片区工作人员）");

    const grid = await GridDirectory.open(db.prisma, "wujing", LABELLED_MESSAGES);
    const submitted = await createReportsService({
      prisma: db.prisma,
      sql: db.sql,
      grid,
      townCode: "wujing",
      timeZone: TOWN_TIME_ZONE,
    }).submit(
      {
        categoryCode: "pavement-trading",
        place: { roadCode: "yongde", houseNumber: 12 },
        description: "早点摊占用人行道",
        photoIds: [],
        contactAllowed: false,
      },
      { channel: "telegram", userId: "9001", chatId: "9001", locale: "zh" },
      declining(),
    );
    if (submitted.type !== "created") throw new Error(submitted.type);
    const alert = await fake.nextBotMessage((m) => m.chat.id === group.id && (m.text ?? "").includes(submitted.reference));
    expect(labels(alert)).toEqual(["认领", "驳回"]);

    await fake.userPresses(alert, button(alert, "认领"), outsider);
    const refusal = await eventually(
      () => fake.callbackAnswers(),
      (answers) => answers.length >= 1,
    );
    expect(refusal.at(-1)?.text).toContain("仅供登记的工作人员使用");
    expect(labels(fake.currentMessage(group.id, alert.message_id))).toEqual(["认领", "驳回"]);

    await fake.userPresses(alert, button(alert, "认领"), clerk);
    const claimed = await eventually(
      () => fake.callbackAnswers(),
      (answers) => answers.length >= 2,
    );
    expect(claimed.at(-1)?.text).toBe(`✅ ${submitted.reference} 已更新为“已受理”。`);
    const edited = await eventually(
      () => fake.currentMessage(group.id, alert.message_id),
      (message) => (message?.text ?? "").includes("当前状态：已受理（第二片区网格员）"),
    );
    expect(edited?.text).toContain("当前状态：已受理（第二片区网格员）");
    expect(labels(edited)).toEqual(["处理中", "已解决", "驳回"]);

    await fake.userPresses(edited!, button(edited!, "已解决"), clerk);
    const prompt = await fake.nextBotMessage(
      (m) => m.chat.id === group.id && (m.text ?? "").includes(`请回复 ${submitted.reference} 的处理说明`),
    );
    expect(prompt.text).toContain("请“回复”本条消息");
    // A plain group message is not addressed to the bot, so Telegram's privacy mode would not pass it; a reply is.
    await fake.userSends(clerk, "已劝离摊主，人行道恢复通行", { chat: group, replyTo: prompt });
    const resolved = await eventually(
      () => fake.currentMessage(group.id, alert.message_id),
      (message) => (message?.text ?? "").includes("当前状态：已解决"),
    );
    expect(resolved?.text).toContain("当前状态：已解决（第二片区网格员）");
    expect(labels(resolved)).toEqual([]);
    expect((await db.prisma.report.findUniqueOrThrow({ where: { reference: submitted.reference } })).status).toBe("RESOLVED");
  });
});
